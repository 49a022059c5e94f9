"""Setting a database up for kbtui (run by the database administrator, as a superuser): the schema, and one
login role per town and one for the district bureau, each seeing only its towns (row-level security)."""
from __future__ import annotations

import re
from importlib import resources

from psycopg import sql

from kbtui.errors import StoreError
from kbtui.store.postgres.connect import connect, friendly, one_row

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def schema_sql() -> str:
    return resources.files("kbtui.store.postgres").joinpath("schema.sql").read_text(encoding="utf-8")


def install(admin_url: str) -> None:
    """Create the kbtui schema in the (empty) database of ``admin_url``, whole or not at all."""
    with connect(admin_url) as conn, friendly(admin_url, "建立 kbtui 数据库"):
        exists = one_row(conn.execute("SELECT to_regnamespace('kbtui') IS NOT NULL"))[0]
        if exists:
            raise StoreError("该数据库中已有 kbtui 的数据表，未重复建立")
        conn.execute(schema_sql())          # one transaction: committed when the block ends


def add_login(admin_url: str, role: str, towns: list[str] | None, password: str | None = None) -> None:
    """A login role for the application that sees ``towns`` (None: the whole district). It does not own the
    tables: its rights are those of ``kbtui_app``, narrowed by row-level security."""
    if not ROLE_NAME.match(role):
        raise StoreError(f"数据库用户名“{role}”不合法：只能用小写英文字母、数字和下划线，且不以数字开头")
    with connect(admin_url) as conn, friendly(admin_url, f"建立数据库用户 {role}"):
        ident = sql.Identifier(role)
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
        conn.execute(sql.SQL("GRANT kbtui_app TO {}").format(ident))
        conn.execute(sql.SQL("ALTER ROLE {} SET lock_timeout = '60s'").format(ident))
        conn.execute("INSERT INTO kbtui.login_scope VALUES (%s, %s) ON CONFLICT (role) DO UPDATE"
                     " SET towns = EXCLUDED.towns", (role, towns))
