"""Writing one ledger (台账) as a printable form, with its further sheets and the hidden ``_kbtui`` marker."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain.checking import CheckingError, checked_at_least
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.oserrors import os_error_reason
from kbtui.services.access import access
from kbtui.services.reporting.ledger_catalog import LedgerError, get_ledger, place_records
from kbtui.services.reporting.ledger_marker import MARKER, MARKER_SHEET, marker_rows
from kbtui.store.journal import now_ts

if TYPE_CHECKING:
    from kbtui.excel.writer import FormSheet
    from kbtui.services.workspace import Workspace

Progress = Callable[[int, int | None], None]


@dataclass
class ExportResult:
    ledger_id: str
    title: str
    path: str
    rows: int
    village: str | None = None

    def as_dict(self) -> dict:
        return {"ledger": self.ledger_id, "title": self.title, "path": self.path, "rows": self.rows,
                "village": self.village}


def default_export_name(workspace: Workspace, ledger_id: str, village: str | None = None) -> Path:
    ledger = get_ledger(workspace, ledger_id)
    title = ledger.title_for(workspace.context())
    stamp = dt.date.today().strftime("%Y%m%d")
    return workspace.folder("exports") / f"{title}{('-' + village) if village else ''}-{stamp}.xlsx"


def export_ledger(workspace: Workspace, ledger_id: str, path: str | Path | None = None, *, village: str | None = None,
                  progress: Progress | None = None, today: dt.date | None = None,
                  level: str | None = None, town: str | None = None) -> ExportResult:
    """Write one ledger as a printable form (title, 填报单位, date, 序号, frozen header, footer).

    ``level`` (a checking level, e.g. 镇核查) keeps only findings checked at least that far
    (domain.checking.checked_at_least); None exports every member. ``village`` / ``town`` (a district's) keep
    the children of one village or town (``services.children.places.find_village``)."""
    ledger = get_ledger(workspace, ledger_id)
    workspace.store.refresh()
    place, records = place_records(workspace, village, town)
    village = place.label if place else None            # 城头镇新村, or 城头镇 for --town alone
    path = Path(path) if path else default_export_name(workspace, ledger_id, village)
    if path.suffix.lower() != ".xlsx":
        raise LedgerError(f"导出文件应以 .xlsx 结尾：{path}")
    ctx = workspace.context(today)
    title = ledger.title_for(ctx)
    members = ledger.members(records, ctx)
    if level:
        try:
            members = [r for r in members if checked_at_least(r, level)]
        except CheckingError as err:
            raise LedgerError(str(err)) from None
    columns = ledger.columns
    serial = ledger.serial
    sheets = _extra_sheets(workspace, ledger, title, members, ctx)

    def rows():
        for n, record in enumerate(members, 1):
            values = access.mask_row(workspace, columns, [c.value(record, ctx) for c in columns])
            yield [n, *values] if serial else values

    exported_at = now_ts()
    position = workspace.store.journal.position()
    profile = workspace.profile
    unit = f"{profile.township}{village}" if village else profile.township
    marker = marker_rows(workspace, ledger, title, village, exported_at, position)

    def write(properties: dict[str, str]) -> int:
        from kbtui.excel.writer import write_form  # heavy: imported where used

        return write_form(
            path, title=title, unit=unit, date=ctx.today, columns=ledger.headers(), rows=_Sized(rows(), len(members)),
            sheet_title=ledger.sheet, progress=progress, hidden_sheets=[(MARKER_SHEET, marker)], sheets=sheets,
            properties=properties)

    detail: dict[str, Any] = {"ledger": ledger.id, "village": village}
    if sheets:
        detail["sheets"] = {sheet.sheet_title: len(sheet.rows) for sheet in sheets}
    try:
        written = access.export_file(
            workspace, title, path, write, detail=detail,
            properties={"subject": "台账", "keywords": f"{MARKER}:{ledger.id}",
                        "description": json.dumps({"kbtui": MARKER, "ledger": ledger.id,
                                                   "exported_at": exported_at}, ensure_ascii=False)})
    except OSError as err:
        raise LedgerError(f"无法写入文件“{path}”：{os_error_reason(err)}（未生成文件）") from err
    return ExportResult(ledger.id, title, str(path), written, village)


def _extra_sheets(workspace: Workspace, ledger: Ledger, title: str, members: list[dict], ctx: LedgerContext
                  ) -> list[FormSheet]:
    """The ledger's further sheets (``Ledger.extra_sheets``) as forms, their rows computed now and masked like
    the first sheet's. The collections they read are passed in ``ctx.extra["collections"]``, read through the
    operator's scoped store."""
    if not ledger.extra_sheets:
        return []
    from kbtui.excel.writer import FormSheet  # heavy: imported where used

    wanted = dict.fromkeys(name for spec in ledger.extra_sheets for name in spec.collections)
    ctx.extra["collections"] = {name: workspace.store.collection(name).all() for name in wanted}
    sheets = []
    for spec in ledger.extra_sheets:
        columns = [None, *spec.columns] if spec.serial else list(spec.columns)
        rows = []
        for n, values in enumerate(spec.rows(members, ctx), 1):
            rows.append(access.mask_row(workspace, columns, [n, *values] if spec.serial else list(values)))
        sheets.append(FormSheet(spec.heading_for(ctx, title), spec.headers(), rows, spec.title))
    return sheets


class _Sized:
    """An iterator that knows its length (so write_form can report progress against a total)."""

    def __init__(self, it, n: int):
        self._it = it
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __iter__(self):
        return self._it

