"""Reports (报表) out: list them, compute them, preview them as text, export them as printable forms.

For the CLI (``kbtui report …``) and the TUI::

    infos = list_reports(workspace)                                   # id, title, description
    built = build_report(workspace, "statistics", village=None)       # rows with checked totals
    print(preview_text(built))
    result = export_report(workspace, "statistics", path)             # totals as =SUM(...) formulas

An exported report carries a hidden sheet ``_kbtui`` naming the report (``kbtui-report``), like a ledger.
"""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain.report import DATA, Report, ReportContext, ReportError, ReportRow
from kbtui.excel.errors import ExcelWriteError
from kbtui.oserrors import os_error_reason
from kbtui.registry import enabled
from kbtui.services.access import access
from kbtui.services.children.places import find_village
from kbtui.store.journal import now_ts

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

Progress = Callable[[int, int | None], None]

MARKER_SHEET = "_kbtui"
MARKER = "kbtui-report"


@dataclass
class ReportInfo:
    id: str
    title: str
    description: str

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "description": self.description}


@dataclass
class BuiltReport:
    """A report computed for one workspace (and maybe one village): what the preview and the export show."""

    report: Report
    ctx: ReportContext
    title: str
    subtitle: str
    rows: list[ReportRow]
    headers: list[tuple[str, int]]
    notes: list[str]
    village: str | None = None

    def table(self) -> list[list[Any]]:
        return self.report.table(self.rows, self.ctx)

    def total(self) -> ReportRow:
        return self.rows[-1]

    def as_dict(self) -> dict:
        keys = [c.key for c in self.report.columns_for(self.ctx)]
        return {"id": self.report.id, "title": self.title, "subtitle": self.subtitle, "village": self.village,
                "headers": [h for h, _ in self.headers], "keys": keys, "notes": self.notes,
                "rows": [{"label": r.label, "kind": r.kind, "values": r.values} for r in self.rows]}


@dataclass
class ReportExport:
    report_id: str
    title: str
    path: str
    rows: int
    village: str | None = None

    def as_dict(self) -> dict:
        return {"report": self.report_id, "title": self.title, "path": self.path, "rows": self.rows,
                "village": self.village}


def report_context(workspace: Workspace, today: dt.date | None = None, village: str | None = None,
                   town: str | None = None) -> ReportContext:
    """The context of a report for the operator: in a district the towns it covers are ``town`` (``--town``)
    or the operator's own (a town's staff), so that other towns' rows are not printed as zeros."""
    account = workspace.account
    towns = [town] if town else list(account.towns) if account is not None else []
    return ReportContext(workspace.campaign_profile, today, statuses=workspace.statuses, ledgers=workspace.ledgers,
                         village=village, towns=towns or None)


def get_report(workspace: Workspace, report_id: str) -> Report:
    return enabled(workspace.reports, report_id, "报表", ReportError)


def list_reports(workspace: Workspace, today: dt.date | None = None) -> list[ReportInfo]:
    ctx = report_context(workspace, today)
    return [ReportInfo(rid, report.title_for(ctx), report.description) for rid, report in workspace.reports.items()]


def build_report(workspace: Workspace, report_id: str, *, village: str | None = None, town: str | None = None,
                 today: dt.date | None = None, records: list[dict] | None = None) -> BuiltReport:
    """Compute a report: its rows (totals checked to add up), title, headers and notes. ``village`` / ``town``
    (a district's) limit it to one village or town."""
    report = get_report(workspace, report_id)
    label = village
    if records is None:
        workspace.store.refresh()
        place = find_village(workspace, village, ReportError, town)
        if place is not None:
            label, town = place.label, place.town           # 城头镇新村, or 城头镇 for --town alone
            village = label if place.village else None
        records = [r for r in workspace.store.all() if place is None or place.holds(r)]
    ctx = report_context(workspace, today, village, town)
    rows = report.rows_for(records, ctx)
    return BuiltReport(report, ctx, report.title_for(ctx), report.subtitle_for(ctx), rows, report.headers(ctx),
                       report.notes_for(ctx), label)


# --------------------------------------------------------------------------- the printed form

def sheet_rows(built: BuiltReport) -> list[list[Any]]:
    """The rows as written to the sheet: counts as values; total cells ``=SUM(...)`` over the rows they
    cover; derived cells (rates, 小计 of kinds) the column's formula on the same row."""
    from kbtui.excel.cells import Formula  # heavy: imported where used
    from kbtui.excel.writer import column_letter, data_start_row  # heavy: imported where used

    report, ctx = built.report, built.ctx
    columns = report.columns_for(ctx)
    offset = 2 if report.serial else 1              # 序号 and the row label come first
    letter = {c.key: column_letter(offset + i + 1) for i, c in enumerate(columns)}
    start = data_start_row(subtitle=bool(built.subtitle), header_groups=bool(report.header_groups(ctx)))
    out = []
    for index, (row, cells) in enumerate(zip(built.rows, built.table())):
        sheet_row = start + index
        refs = {key: f"{col}{sheet_row}" for key, col in letter.items()}
        for i, column in enumerate(columns):
            at = offset + i
            if row.kind != DATA and column.summable:
                cells[at] = Formula("=SUM(" + ",".join(sum_ranges(letter[column.key], start, row.parts)) + ")")
            elif column.formula is not None and column.derive is not None:
                cells[at] = Formula(column.formula(refs))
        out.append(cells)
    return out


def sum_ranges(col: str, start: int, parts: tuple[int, ...]) -> list[str]:
    """Contiguous runs of row indexes as cell ranges: (0, 1, 2, 4) → D5:D7, D9."""
    if not parts:
        return ["0"]
    runs: list[list[int]] = []
    for p in parts:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return [f"{col}{start + a}" if a == b else f"{col}{start + a}:{col}{start + b}" for a, b in runs]


def default_export_name(workspace: Workspace, built: BuiltReport) -> Path:
    stamp = dt.date.today().strftime("%Y%m%d")
    village = f"-{built.village}" if built.village else ""
    return workspace.folder("exports") / f"{built.title}{village}-{stamp}.xlsx"


def export_report(workspace: Workspace, report_id: str, path: str | Path | None = None, *, village: str | None = None,
                  town: str | None = None, today: dt.date | None = None,
                  progress: Progress | None = None) -> ReportExport:
    """Write one report as a printable form (title, 填报单位, date, 序号, two-level header when the columns
    are grouped, totals as formulas, notes under the table, footer)."""
    built = build_report(workspace, report_id, village=village, town=town, today=today)
    village = built.village                                # the place's label (城头镇新村, 城头镇)
    path = Path(path) if path else default_export_name(workspace, built)
    if path.suffix.lower() != ".xlsx":
        raise ReportError(f"导出文件应以 .xlsx 结尾：{path}")
    report, ctx = built.report, built.ctx
    profile = workspace.profile
    unit = f"{profile.township}{village}" if village else profile.township
    exported_at = now_ts()
    marker: list[list[str | int]] = [
        [MARKER, 1], ["report", report.id], ["title", built.title], ["profile", profile.name],
        ["village", village or ""], ["exported_at", exported_at], ["exported_by", workspace.operator]]
    from kbtui.excel.writer import write_form  # heavy: imported where used

    try:
        write_form(path, title=built.title, subtitle=built.subtitle or None, unit=unit, date=ctx.today,
                   columns=built.headers, rows=sheet_rows(built), sheet_title=report.sheet, notes=built.notes,
                   header_groups=report.header_groups(ctx), progress=progress,
                   hidden_sheets=[(MARKER_SHEET, marker)],
                   properties={**access.export_properties(workspace, built.title), "subject": "报表",
                               "keywords": f"{MARKER}:{report.id}",
                               "description": json.dumps({"kbtui": MARKER, "report": report.id,
                                                          "exported_at": exported_at}, ensure_ascii=False)})
    except ExcelWriteError as err:
        raise ReportError(str(err)) from None
    except OSError as err:
        raise ReportError(f"无法写入文件“{path}”：{os_error_reason(err)}（未生成文件）") from err
    try:
        path.chmod(0o600)
    except OSError:
        pass
    access.record_export(workspace, built.title, path, len(built.rows), {"report": report.id, "village": village})
    return ReportExport(report.id, built.title, str(path), len(built.rows), village)


# --------------------------------------------------------------------------- a text preview

def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def text_width(text: str) -> int:
    """Terminal cells taken by ``text`` (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - text_width(text))
    return gap + text if right else text + gap


def preview_headers(built: BuiltReport) -> list[str]:
    """Headers on one line: a column under a band whose own header is 小计 shows the band (在校小计)."""
    headers = [h for h, _ in built.headers]
    first = len(headers) - len(built.report.columns_for(built.ctx))
    for i, column in enumerate(built.report.columns_for(built.ctx)):
        if column.group and column.header in ("小计", "合计"):
            headers[first + i] = column.group + column.header
    return headers


def preview_lines(built: BuiltReport) -> list[str]:
    """The report as aligned text lines: title, header, rows, notes (for ``kbtui report show`` and the TUI)."""
    headers = preview_headers(built)
    table = [[cell_text(v) for v in row] for row in built.table()]
    widths = [max([text_width(h)] + [text_width(r[i]) for r in table]) for i, h in enumerate(headers)]
    lines = [built.title]
    if built.subtitle:
        lines.append(built.subtitle)
    lines.append("  ".join(_pad(h, w, False) for h, w in zip(headers, widths)))
    for row in table:
        lines.append("  ".join(_pad(c, w, i != (1 if built.report.serial else 0))
                               for i, (c, w) in enumerate(zip(row, widths))))
    lines += built.notes
    return lines


def preview_text(built: BuiltReport) -> str:
    return "\n".join(preview_lines(built))


__all__ = ["BuiltReport", "ReportExport", "ReportInfo", "build_report", "export_report",
           "get_report", "list_reports", "preview_lines", "preview_text", "report_context", "sheet_rows"]
