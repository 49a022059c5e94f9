"""How an exported ledger workbook says what it is: the hidden sheet ``_kbtui`` written on export (the ledger,
each column's record field, which columns may be filled in, when it was exported) and read back on import, with
the form's title as the fallback when that sheet was lost."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain.ledger import Ledger
from kbtui.services.reporting.ledger_catalog import LedgerError

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

MARKER_SHEET = "_kbtui"
MARKER = "kbtui-ledger"
FORMAT = 1


def column_keys(ledger: Ledger) -> tuple[list[str], list[str]]:
    """Per printed column (序号 included): the record field ("" if computed), "1" if editable."""
    keys = [""] if ledger.serial else []
    editable = [""] if ledger.serial else []
    for column in ledger.columns:
        keys.append(getattr(column, "key", "") or "")
        editable.append("1" if getattr(column, "editable", False) else "")
    return keys, editable


def marker_rows(workspace: Workspace, ledger: Ledger, title: str, village: str | None, exported_at: str,
                position: Any) -> list[list]:
    """The marker sheet's rows. ``position``: the journal's ``position()`` at the export (an int for a data
    folder's one chain, {chain: seq} for a database's, written as JSON text)."""
    keys, editable = column_keys(ledger)
    return [
        [MARKER, FORMAT],
        ["ledger", ledger.id],
        ["title", title],
        ["profile", workspace.profile.name],
        ["village", village or ""],
        ["exported_at", exported_at],
        ["exported_by", workspace.operator],
        ["journal_seq", position if isinstance(position, int) else json.dumps(position, ensure_ascii=False)],
        ["keys", *keys],
        ["editable", *editable],
        ["headers", *(h for h, _ in ledger.headers())],
    ]


def marker_position(marker: dict[str, list]) -> Any:
    """The journal position a marker recorded (see ``marker_rows``), or None when it has none readable."""
    value = (marker.get("journal_seq") or [None])[0]
    if isinstance(value, str) and value.startswith("{"):
        try:
            found = json.loads(value)
        except ValueError:
            return None
        return found if isinstance(found, dict) and all(isinstance(v, int) for v in found.values()) else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read_marker(path: Path) -> dict[str, list]:
    try:
        from python_calamine import CalamineWorkbook  # heavy: imported where used

        wb = CalamineWorkbook.from_path(str(path))
        if MARKER_SHEET not in wb.sheet_names:
            return {}
        rows = wb.get_sheet_by_name(MARKER_SHEET).to_python()
    except Exception:  # noqa: BLE001 - no marker is not an error: fall back to the title
        return {}
    marker = {str(r[0]): list(r[1:]) for r in rows if r and r[0] != ""}
    return marker if MARKER in marker else {}


def _title_of(path: Path) -> str:
    try:
        from python_calamine import CalamineWorkbook  # heavy: imported where used

        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            if name == MARKER_SHEET:
                continue
            for row in wb.get_sheet_by_name(name).to_python()[:3]:
                for cell in row:
                    if isinstance(cell, str) and cell.strip():
                        return cell.strip()
    except Exception:  # noqa: BLE001
        return ""
    return ""


def identify(workspace: Workspace, path: Path) -> tuple[Ledger, dict[str, list]]:
    marker = read_marker(path)
    if marker:
        lid = str((marker.get("ledger") or [""])[0])
        if lid not in workspace.all_ledgers:
            raise LedgerError(f"文件“{path.name}”是台账“{lid}”，本系统没有登记这个台账，无法导入")
        return workspace.all_ledgers[lid], marker
    title = _title_of(path)
    ctx = workspace.context()
    for ledger in workspace.ledgers.values():
        if title and ledger.title_for(ctx) == title:
            return ledger, {}
    raise LedgerError(f"文件“{path.name}”不是从本系统导出的台账（没有导出标记，标题“{title or '（空）'}”也对不上"
                      "任何台账）。请用 kbtui ledger export 导出台账，填写后再导入")
