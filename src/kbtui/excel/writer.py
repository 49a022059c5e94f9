"""Writing printable ledgers (台账) as real forms, streamed with openpyxl's write-only mode.

Layout of a form::

    row 1   title, merged across all columns (bold, 16 pt, centred)
    row 2   optional subtitle, merged
    row n   填报单位：…    填报日期：YYYY年M月D日 (merged)
    row h   header row (bold, borders, wrapped, centred) — frozen, repeated on every printed page
    ...     data rows (thin borders)
    last    填表人：        审核人：        联系电话：        填表日期：

The layout is this module's job. What a cell may hold (text Excel accepts, :class:`Formula` the one way
to write a formula) is ``excel.cells``; the fast writing of the data rows is ``excel.data_rows``; the
properties, the atomic save and the clean-up of a failed write are ``excel.saving``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kbtui.excel.cells import BORDER, clean_text, safe_cell, styled
from kbtui.excel.data_rows import FastRows, slow_cells
from kbtui.excel.errors import ExcelWriteError
from kbtui.excel.saving import atomic_save, check_output, discard_all, set_properties, write_error

Progress = Callable[[int, int | None], None]

PROGRESS_EVERY = 2000
EXCEL_MAX_ROWS = 1_048_576
#: Use the fast reused-cell path for data rows when openpyxl offers the hook (tests switch it off).
USE_FAST_ROWS = True
FOOTER_TEXT = "填表人：            审核人：            联系电话：                填表日期："
FONT_NAME = "宋体"


def with_serial(rows: Iterable[Sequence[Any]], start: int = 1) -> Iterator[list[Any]]:
    """Prefix each row with its 序号 (1, 2, 3…)."""
    for number, row in enumerate(rows, start):
        yield [number, *row]


def format_date_cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --------------------------------------------------------------------------- the form

def data_start_row(*, subtitle: bool = False, header_groups: bool = False) -> int:
    """The sheet row of the first data row of a form (for formulas that refer to data cells)."""
    return 4 + int(bool(subtitle)) + int(bool(header_groups))


@dataclass(frozen=True)
class FormSheet:
    """A further printable form in the same workbook (``write_form(sheets=…)``): its own title, columns and
    rows, under the same 填报单位 and date, e.g. 送教记录 after 送教上门学生台账."""
    title: str
    columns: Sequence[tuple[str, int | float]]
    rows: Sequence[Sequence[Any]]             # all of them (an export journals how many)
    sheet_title: str = "附表"
    subtitle: str | None = None
    notes: Sequence[str] = ()


def write_form(
    path: str | Path,
    *,
    title: str,
    unit: str,
    date: dt.date,
    columns: Sequence[tuple[str, int | float]],
    rows: Iterable[Sequence[Any]],
    footer: bool = True,
    sheet_title: str = "台账",
    properties: dict[str, str] | None = None,
    progress: Progress | None = None,
    subtitle: str | None = None,
    hidden_sheets: Sequence[tuple[str, Iterable[Sequence[Any]]]] = (),
    notes: Sequence[str] = (),
    header_groups: Sequence[tuple[str, int]] = (),
    sheets: Sequence[FormSheet] = (),
) -> int:
    """Write a printable form and return the number of data rows written (on its first sheet).

    ``columns`` are (header, width in characters); ``rows`` yields lists in column order (add 序号
    yourself, e.g. with :func:`with_serial`). ``progress(done, total)`` is called every
    ``PROGRESS_EVERY`` rows; ``total`` is None when ``rows`` has no length.
    ``hidden_sheets`` are (name, rows) written as hidden sheets after the form (machine-readable
    markers, e.g. which field each column of an exported ledger is).
    ``sheets`` are further printable forms (:class:`FormSheet`) written after the first one, same layout.
    ``notes`` are lines written under the table, before the footer (e.g. how a rate is computed).
    ``header_groups`` adds a band above the header: (label, number of columns) in column order; a column
    under an empty label keeps one header cell over both rows (the two-level header of a 统计表).
    Data start at :func:`data_start_row`; a cell may be a :class:`Formula`.
    """
    if not columns or any(not sheet.columns for sheet in sheets):
        raise ExcelWriteError("导出失败：没有任何列")
    if header_groups and sum(span for _, span in header_groups) != len(columns):
        raise ExcelWriteError("导出失败：表头分组的列数与表头不一致")
    target = check_output(path)      # fail before doing the work when the file cannot go there

    wb = Workbook(write_only=True)
    set_properties(wb, title, properties)

    total = len(rows) if hasattr(rows, "__len__") else None  # type: ignore[arg-type]
    try:
        written = _form_sheet(wb, title=title, unit=unit, date=date, columns=columns, rows=rows, footer=footer,
                              sheet_title=sheet_title, progress=progress, total=total, subtitle=subtitle,
                              notes=notes, header_groups=header_groups)
        for sheet in sheets:
            _form_sheet(wb, title=sheet.title, unit=unit, date=date, columns=sheet.columns, rows=sheet.rows,
                        footer=footer, sheet_title=sheet.sheet_title, subtitle=sheet.subtitle, notes=sheet.notes)
        for name, hidden_rows in hidden_sheets:
            extra = wb.create_sheet(title=_sheet_name(name))
            extra.sheet_state = "hidden"
            for hidden_row in hidden_rows:
                extra.append([safe_cell(extra, v) if v.__class__ is str else v for v in hidden_row])
        atomic_save(wb, path)
    except OSError as err:           # a temporary file of a write-only sheet (openpyxl's) could not be written
        discard_all(wb)
        raise write_error(target, err) from None
    except BaseException:
        discard_all(wb)
        raise
    if progress is not None:
        progress(written, total if total is not None else written)
    return written


def _form_sheet(wb: Workbook, *, title: str, unit: str, date: dt.date, columns: Sequence[tuple[str, int | float]],
                rows: Iterable[Sequence[Any]], footer: bool, sheet_title: str, progress: Progress | None = None,
                total: int | None = None, subtitle: str | None = None, notes: Sequence[str] = (),
                header_groups: Sequence[tuple[str, int]] = ()) -> int:
    """One printable form as a new sheet of ``wb`` (see the module docstring); returns its data rows."""
    ws = wb.create_sheet(title=_unique_sheet_name(wb, sheet_title))
    ncols = len(columns)
    last = get_column_letter(ncols)

    # Everything written before the first row (columns, views, sheet properties) is set now.
    for i, (_, width) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    title_row = 1
    subtitle_row = 2 if subtitle else None
    unit_row = 3 if subtitle else 2
    group_row = unit_row + 1 if header_groups else None
    header_row = data_start_row(subtitle=bool(subtitle), header_groups=bool(header_groups)) - 1
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{group_row or header_row}:{header_row}"
    fit_a4(ws, "landscape")
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.row_dimensions[title_row].height = 32
    ws.row_dimensions[header_row].height = 30

    font = Font(name=FONT_NAME, size=10)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    data_alignment = Alignment(vertical="center", wrap_text=False)

    ws.append([styled(ws, clean_text(title), font=Font(name=FONT_NAME, size=16, bold=True),
                       alignment=Alignment(horizontal="center", vertical="center"))])
    ws.merged_cells.add(f"A{title_row}:{last}{title_row}")
    if subtitle:
        ws.append([styled(ws, clean_text(subtitle), font=Font(name=FONT_NAME, size=11),
                           alignment=Alignment(horizontal="center", vertical="center"))])
        ws.merged_cells.add(f"A{subtitle_row}:{last}{subtitle_row}")
    unit_text = f"填报单位：{unit}        填报日期：{format_date_cn(date)}"
    ws.append([styled(ws, clean_text(unit_text), font=Font(name=FONT_NAME, size=11),
                       alignment=Alignment(horizontal="left", vertical="center"))])
    ws.merged_cells.add(f"A{unit_row}:{last}{unit_row}")

    header_font = Font(name=FONT_NAME, size=10, bold=True)
    header_fill = PatternFill("solid", fgColor="F2F2F2")

    def header_cell(value: Any) -> Cell:
        return safe_cell(ws, str(value) if value is not None else None, font=header_font, border=BORDER,
                         alignment=centre, fill=header_fill)

    names = [name for name, _ in columns]
    if group_row:
        band: list[Any] = []
        col = 1
        for label, span in header_groups:
            first, end = get_column_letter(col), get_column_letter(col + span - 1)
            if label:
                band += [label] + [None] * (span - 1)
                if span > 1:
                    ws.merged_cells.add(f"{first}{group_row}:{end}{group_row}")
            else:      # ungrouped columns: one header cell spanning both rows
                band += names[col - 1:col - 1 + span]
                for i in range(col, col + span):
                    letter = get_column_letter(i)
                    ws.merged_cells.add(f"{letter}{group_row}:{letter}{header_row}")
                    names[i - 1] = None
            col += span
        ws.row_dimensions[group_row].height = 22
        ws.append([header_cell(v) for v in band])
    ws.append([header_cell(name) for name in names])

    written = 0
    fast = None
    if USE_FAST_ROWS and hasattr(ws, "_values_to_row") and hasattr(ws, "_get_writer"):
        fast = FastRows(wb, ws, font, data_alignment)
    if fast is not None:
        fast.install()  # our cells (one reused pre-styled cell per value kind), or the row's XML text
    if progress is not None:
        progress(0, total)
    max_rows = EXCEL_MAX_ROWS - header_row - (2 if footer else 0)
    for row in rows:
        if fast is not None:
            ws.append(row if isinstance(row, (list, tuple)) else list(row))
        else:
            ws.append(slow_cells(ws, row, font, data_alignment))
        written += 1
        if written > max_rows:
            raise ExcelWriteError(
                f"导出失败：数据超过 Excel 单个工作表的最大行数（{max_rows}行），请按村或学校分开导出"
            )
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written, total)
    if fast is not None:
        fast.uninstall()  # back to openpyxl's own for the notes and the footer

    last_row = header_row + written
    for note in notes:
        last_row += 1
        text = clean_text(str(note))
        ws.row_dimensions[last_row].height = max(18, 15 * (1 + len(text) // max(20, sum(w for _, w in columns) // 2)))
        ws.append([safe_cell(ws, text, font=Font(name=FONT_NAME, size=10),
                             alignment=Alignment(horizontal="left", vertical="center", wrap_text=True))])
        ws.merged_cells.add(f"A{last_row}:{last}{last_row}")
    if footer:
        footer_row = last_row + 2  # one empty row between the table (and its notes) and the footer
        ws.append([])
        ws.row_dimensions[footer_row].height = 24
        ws.append([styled(ws, FOOTER_TEXT, font=Font(name=FONT_NAME, size=11),
                           alignment=Alignment(horizontal="left", vertical="center"))])
        ws.merged_cells.add(f"A{footer_row}:{last}{footer_row}")
        last_row = footer_row
    ws.print_area = f"A1:{last}{last_row}"
    return written

def column_letter(index: int) -> str:
    """The letter of the 1-based column ``index`` (A, B, … AA), for the references of a :class:`Formula`."""
    return get_column_letter(index)


def fit_a4(ws: Any, orientation: str) -> None:
    """Print on A4 in ``orientation`` ("portrait"/"landscape"): one page wide, as many pages long as needed."""
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = "9"      # A4 (write-only sheets lack the PAPERSIZE_A4 constant)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _sheet_name(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of : \\ / ? * [ ]."""
    cleaned = "".join("_" if ch in ':\\/?*[]' else ch for ch in clean_text(name)).strip("'") or "Sheet1"
    return cleaned[:31]


def _unique_sheet_name(wb: Workbook, name: str) -> str:
    """``_sheet_name(name)``, with a number added when the workbook already has a sheet of that name."""
    base = _sheet_name(name)
    taken = {ws.title for ws in wb.worksheets}
    found, n = base, 2
    while found in taken:
        suffix = f"({n})"
        found, n = base[:31 - len(suffix)] + suffix, n + 1
    return found
