"""What services do with the working operator's rights: masking, exports and import rejects.

- Lists: ``can_see_full(workspace)`` / ``list_record(workspace, record)``.
- Exports: ``export_file(workspace, what, path, write)`` around writing any file of children's data
  (``export_properties(workspace, what)`` for ``write_form(properties=…)``, 0600, then
  ``record_export(workspace, what, path, rows)`` for the journal); ``mask_row`` / ``export_record`` mask
  ID and phone numbers for roles that may not see them in exports.
- Imports: ``reject_out_of_scope(workspace, checked)`` moves rows outside the scope to the rejects.

Who is working is ``services.access.operators`` (managed through ``services.access.operator_admin``), the scoped store
``services.access.scope``, and ``require`` / ``operator_of`` / ``raw_store`` ``services.access.gate``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import roles as R
from kbtui.errors import StoreError
from kbtui.excel.saving import output_problem
from kbtui.services.access import disclosure
from kbtui.services.access.gate import operator_of, raw_store, require
from kbtui.services.access.scope import Record, ScopedStore
from kbtui.store.journal import JournalEntry, make_entry

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


class OutputPathError(StoreError):
    """An export's file cannot go where it was asked to (no such folder …); the message is Chinese."""


def can_see_full(workspace: Workspace, record: Record | None = None, purpose: str = "list") -> bool:
    """Full ID and phone numbers? ``purpose`` is "list" (on-screen lists) or "export" (ledgers, reports).

    The detail form of a child in scope always shows them (``ScopedStore.get`` returns the full record).
    """
    operator = operator_of(workspace)
    if operator is None:
        return False
    store = workspace.store
    if record is not None and isinstance(store, ScopedStore) and not store.allows(record):
        return False
    role = operator.role_info
    return role.full_exports if purpose == "export" else role.full_numbers


def list_record(workspace: Workspace, record: Record, purpose: str = "list") -> Record:
    """``record`` as a list row for this operator: masked unless the role needs full numbers (also numbers
    quoted in its texts: ``services.access.disclosure``)."""
    return disclosure.presenter(workspace, purpose).data(record)


def mask_row(workspace: Workspace, columns: list, values: list, purpose: str = "export") -> list:
    """Mask the cells of an exported row, unless the operator may see full numbers: a column holding an ID
    or phone number (``column.key``) by its kind, any other text for the numbers quoted in it
    (``services.access.disclosure``). ``columns`` and ``values`` are parallel."""
    shown = disclosure.presenter(workspace, purpose)
    if shown.full:
        return values
    return [shown.value(getattr(c, "key", None), v) for c, v in zip(columns, values)]


def export_properties(workspace: Workspace, what: str, now: dt.datetime | None = None) -> dict[str, str]:
    """Workbook properties recording who exported what scope when (for ``write_form(properties=…)``).

    ``lastModifiedBy`` is the operator's login, ``category`` the scope and ``contentStatus`` (and
    ``description``, which a caller may replace by its own) the whole sentence.
    """
    operator = operator_of(workspace)
    when = (now or dt.datetime.now()).isoformat(timespec="seconds")
    who = operator.label() if operator else str(getattr(workspace, "operator", ""))
    scope = operator.scope_text() if operator else ""
    masked = "" if can_see_full(workspace, purpose="export") else "；身份证号和电话已部分隐藏"
    text = f"导出人：{who}；内容：{what}；范围：{scope}；导出时间：{when}{masked}"
    return {
        "subject": what,
        "lastModifiedBy": operator.login if operator else who,
        "category": f"范围：{scope}",
        "contentStatus": text,
        "description": text,
        "keywords": f"kbtui 导出 {what} {scope}",
    }


def record_export(workspace: Workspace, what: str, path: Path | str | None = None, rows: int | None = None,
                  detail: dict[str, Any] | None = None) -> JournalEntry:
    """Journal an export (action "export"): who, what, which scope, which file, how many rows."""
    operator = operator_of(workspace)
    info = {"what": what, "scope": operator.scope_text() if operator else "", "role": operator.role if operator else "",
            "file": str(path) if path is not None else None, "rows": rows,
            "masked": not can_see_full(workspace, purpose="export"),
            **(detail or {})}
    login = operator.login if operator else str(workspace.operator)
    return raw_store(workspace).journal.append([make_entry(login, "export", None, {}, info)])[0]


def export_file(workspace: Workspace, what: str, path: Path | str, write: Callable[[dict[str, str]], int], *,
                properties: dict[str, str] | None = None, detail: dict[str, Any] | None = None,
                suffixes: tuple[str, ...] = (".xlsx",)) -> int:
    """The steps every export of children's data takes around writing its file.

    The role must be allowed to export and the file must be allowed where it goes
    (``excel.saving.output_problem``: an existing folder, never made on the way, not the data folder's own
    files, a name ending in one of ``suffixes``; OutputPathError otherwise); ``write(props)`` writes ``path``
    through ``excel.saving`` (``write_form(properties=props)``, ``atomic_save``, ``save_text``: whole or not,
    private, checked again as it is written) with the workbook properties saying who exported what scope
    when (``export_properties``, then ``properties`` over them) and returns the number of rows; the export
    is then journaled (``record_export``). Returns the rows. Masking is the writer's job (``mask_row`` /
    ``export_record``), since only it knows its columns.
    """
    require(workspace, R.EXPORT, "导出")
    problem = output_problem(path, suffixes=suffixes)
    if problem:
        raise OutputPathError(problem)
    rows = write({**export_properties(workspace, what), **(properties or {})})
    record_export(workspace, what, path, rows, detail)
    return rows


def export_record(workspace: Workspace, record: Record) -> Record:
    """``record`` as an exported file may show it: ID and phone numbers masked unless the role may see them."""
    return list_record(workspace, record, purpose="export")


def row_problem(workspace: Workspace, id_number: str, values: Record) -> str | None:
    """Why an imported row is outside the operator's scope (the rejects' reason), or None."""
    store = workspace.store
    if not isinstance(store, ScopedStore) or store.scope.everything:
        return None
    problem = store._problem(id_number, values, new=store.raw.get(id_number) is None)
    return f"{problem}，不能由您导入" if problem else None


__all__ = [
    "can_see_full", "export_file", "export_properties", "export_record", "list_record", "mask_row",
    "record_export", "row_problem",
]
