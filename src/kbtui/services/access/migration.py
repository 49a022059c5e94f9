"""``kbtui store migrate``: a township's data folder into the district database (镇管理员 of the folder).

The source is verified first (``audit.verify``: chain, signatures, anchor, every file against the journal)
and refused if anything is wrong; the move itself is one verified transaction
(``store.postgres.migrate``), so a failed migration leaves the database as it was, and the source folder is
only read. Profile, operators and attachments stay in the township's folder.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui.domain import roles as R
from kbtui.errors import StoreError
from kbtui.services.access import audit, gate
from kbtui.store import backends

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


def migrate(workspace: Workspace, url: str, town: str | None = None):
    """Move the open township folder's children, collections and journal into the database at ``url`` as
    ``town`` (default: the profile's township). Returns the ``MigrationReport``."""
    operator = gate.require(workspace, R.ADMIN, "把数据迁入区县数据库")
    if workspace.backend != backends.TINYDB:
        raise StoreError(f"数据目录 {workspace.root} 的数据已经在数据库 {workspace.raw_store.location} 中，无需迁移")
    checked = audit.verify(workspace)
    if not checked.ok:
        raise StoreError(f"源数据目录 {workspace.root} 校验未通过，未迁移：{checked.text()}")
    from kbtui.store.postgres import PgStore  # heavy: imported where used (psycopg)
    from kbtui.store.postgres.migrate import migrate_folder  # heavy: imported where used (psycopg)

    target = PgStore.open(url, load=False)
    try:
        login = operator.login if operator else str(workspace.operator)
        return migrate_folder(gate.raw_store(workspace), target, town or workspace.profile.township, login)
    finally:
        target.close()
