"""Writing printable ledgers (台账) as real forms, streamed with openpyxl's write-only mode.

Layout of a form::

    row 1   title, merged across all columns (bold, 16 pt, centred)
    row 2   optional subtitle, merged
    row n   填报单位：…    填报日期：YYYY年M月D日 (merged)
    row h   header row (bold, borders, wrapped, centred) — frozen, repeated on every printed page
    ...     data rows (thin borders)
    last    填表人：        审核人：        联系电话：        填表日期：

Safety: a string beginning with ``= + - @`` (or looking like an Excel error code) is written as an
inline *string* with Excel's quote-prefix flag, so neither Excel nor WPS evaluates it, not even after
the user edits the cell; control characters Excel refuses are removed. The only way to write a formula is
to pass a :class:`Formula` (built by code, e.g. a report's ``=SUM(D5:D18)`` total): it accepts cell
references, numbers, operators and a few harmless functions, never text taken from a record. The file is written next to
the target under a temporary name and moved into place with ``os.replace``.

Speed: every data cell carries the same bordered style. Creating a styled ``WriteOnlyCell`` per
value costs ~1.6x a plain write, so the data rows go through one reused pre-styled cell whose style id
is computed once (see ``_FastRows``). This uses openpyxl's ``WriteOnlyWorksheet._values_to_row``
hook (openpyxl 3.1); if that hook is missing, a slower public-API path is used instead.

Most of a big export's time was then openpyxl serialising each cell (an ``Element`` per cell, passed
through et_xmlfile's generic namespace-aware serialiser). With et_xmlfile (openpyxl without lxml), data
rows made only of text, whole numbers and empty cells — nearly all rows of a ledger — are written as
the very same XML text openpyxl would write (``_FastRows.row_xml``; ``tests/test_excel_writer.py``
compares the sheet XML byte for byte), straight into the sheet's stream. Any other row (dates, booleans,
formulas…), or any other XML writer (lxml), goes through openpyxl's own ``write_row`` as before.
"""
from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # what et_xmlfile escapes text with (see _FastRows.row_xml)
    from xml.etree.ElementTree import _escape_cdata
except ImportError:  # pragma: no cover - then openpyxl writes every row itself
    _escape_cdata = None

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter

Progress = Callable[[int, int | None], None]

PROGRESS_EVERY = 2000
EXCEL_MAX_ROWS = 1_048_576
#: Use the fast reused-cell path for data rows when openpyxl offers the hook (tests switch it off).
USE_FAST_ROWS = True
#: With the fast path, write plain data rows as XML text when openpyxl writes through et_xmlfile (tests
#: switch it off to compare with openpyxl's own serialisation).
USE_ROW_XML = True
#: openpyxl keeps at most this many characters of a text cell
MAX_CELL_CHARS = 32767
FOOTER_TEXT = "填表人：            审核人：            联系电话：                填表日期："
_RISKY_FIRST = frozenset("=+-@\t\r")
_ERROR_CODES = frozenset(ERROR_CODES)

_THIN = Side(style="thin")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FONT_NAME = "宋体"


class ExcelWriteError(Exception):
    """An export that could not be written; the message is Chinese."""


#: Functions a :class:`Formula` may call (arithmetic and rounding only: nothing that reaches outside).
FORMULA_FUNCTIONS = frozenset({"SUM", "IF", "IFERROR", "ROUND", "MAX", "MIN", "ABS", "AND", "OR", "COUNT"})
_FORMULA_TOKEN = re.compile(r'\$?[A-Z]{1,3}\$?[0-9]+|[0-9]+(?:\.[0-9]+)?|([A-Z]+)\(|"[^"=]*"|[-+*/(),:<>=&% ]')


class Formula:
    """A cell that Excel computes, e.g. ``Formula("=SUM(D5:D18)")``.

    Plain strings that look like formulas are always written as text (see the module docstring); this
    wrapper is the one explicit way to write a formula. Only cell references (``D5``, ``$D$5``, ranges),
    numbers, operators, short string literals and the functions in :data:`FORMULA_FUNCTIONS` are accepted,
    so that text from a record can never become a formula by accident (``ValueError`` otherwise).
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.startswith("=") or len(text) > 2000:
            raise ValueError(f"不是公式：{text!r}")
        pos = 1
        while pos < len(text):
            match = _FORMULA_TOKEN.match(text, pos)
            if match is None:
                raise ValueError(f"公式中有不允许的内容：{text[pos:pos + 20]!r}")
            if match.group(1) and match.group(1) not in FORMULA_FUNCTIONS:
                raise ValueError(f"公式中不允许使用函数 {match.group(1)}")
            pos = match.end()
        self.text = text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __str__(self) -> str:
        return self.text


def with_serial(rows: Iterable[Sequence[Any]], start: int = 1) -> Iterator[list[Any]]:
    """Prefix each row with its 序号 (1, 2, 3…)."""
    for number, row in enumerate(rows, start):
        yield [number, *row]


def format_date_cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def clean_text(value: str) -> str:
    """Remove the control characters Excel refuses (openpyxl would raise on them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def is_risky(value: Any) -> bool:
    """A string Excel/WPS could take for a formula (or an error code)."""
    return value.__class__ is str and value != "" and (
        value[0] in _RISKY_FIRST or value in _ERROR_CODES
    )


def _plain(value: Any) -> Any:
    """Values openpyxl cannot store become text (lists are joined with 、)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- cell prototypes

def _styled(ws, value=None, *, font=None, border=None, alignment=None, number_format=None,
            fill=None, quote=False) -> Cell:
    cell = WriteOnlyCell(ws, value)
    if font is not None:
        cell.font = font
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    if fill is not None:
        cell.fill = fill
    if quote:
        cell.quotePrefix = True
    return cell


_ILLEGAL_SEARCH = ILLEGAL_CHARACTERS_RE.search


def _same_values(values: Sequence[Any], _row_idx: int) -> Sequence[Any]:
    return values


def _frozen_cell_class(style_id: int) -> type[Cell]:
    """A Cell subclass whose style id is a constant (no per-cell style lookup)."""
    return type("_FixedStyleCell", (Cell,), {"__slots__": (), "style_id": style_id, "has_style": True})


class _FastRows:
    """Writes the data rows of a form: as XML text (:meth:`row_xml`) when it can, else as bordered cells,
    reusing one cell per kind of value (:meth:`cells`)."""

    def __init__(self, wb: Workbook, ws, font: Font, alignment: Alignment):
        def proto(number_format=None, quote=False):
            model = _styled(ws, font=font, border=BORDER, alignment=alignment,
                            number_format=number_format, quote=quote)
            style_id = wb._cell_styles.add(model._style)
            cell = _frozen_cell_class(style_id)(ws)
            # a private copy: openpyxl gives a cell a number format when it gets a time value, and on the
            # registered style array itself that would turn every cell of this kind in the file into a date
            cell._style = copy.copy(model._style)
            return cell

        self.plain = proto()
        self.text = proto(quote=True)
        self.date = proto("yyyy-mm-dd")
        self.datetime = proto("yyyy-mm-dd hh:mm")
        self.time = proto("hh:mm:ss")
        self.ws = ws
        self._plain_s = f'" s="{self.plain.style_id}" t="'
        self._text_s = f'" s="{self.text.style_id}" t="'
        self._letters: list[str] = []
        self._xf: Any = None
        self._write: Callable[[str], Any] | None = None

    # -- data rows as XML text (et_xmlfile only) -------------------------------------------------------

    def install(self) -> None:
        """Route the sheet's appended rows through :meth:`write_row` (until :meth:`uninstall`)."""
        ws = self.ws
        ws._values_to_row = _same_values
        ws._get_writer()
        ws._writer.write_row = self.write_row

    def uninstall(self) -> None:
        ws = self.ws
        del ws._values_to_row            # back to openpyxl's own for the footer
        if ws._writer is not None and "write_row" in vars(ws._writer):
            del ws._writer.write_row

    def _raw_write(self, xf) -> Callable[[str], Any] | None:
        """The text-writing function behind et_xmlfile's incremental writer (the one its own ``write`` uses),
        or None for another writer (lxml, an et_xmlfile of another shape)."""
        if xf is not self._xf:
            self._xf = xf
            self._write = None
            if USE_ROW_XML and _escape_cdata is not None and type(xf).__module__.startswith("et_xmlfile") \
                    and callable(getattr(xf, "_file", None)) and getattr(xf, "_element_stack", None):
                self._write = xf._file
        return self._write

    def write_row(self, xf, values: Sequence[Any], row_idx: int) -> None:
        """openpyxl's ``WorksheetWriter.write_row`` for one data row, given the row's values."""
        write = self._raw_write(xf)
        text = None
        if write is not None and row_idx not in self.ws.row_dimensions:
            text = self.row_xml(values, row_idx)
        if text is None:
            WorksheetWriter.write_row(self.ws._writer, xf, self.cells(values, row_idx), row_idx)
        else:
            write(text)

    def row_xml(self, values: Sequence[Any], row_idx: int) -> str | None:
        """The ``<row>`` element openpyxl (through et_xmlfile) writes for these values in the styled data
        cells, or None when a value is not text, a whole number or empty (then openpyxl writes the row).
        Text is cleaned of characters Excel refuses and cut to Excel's length, and text that Excel could
        take for a formula gets the quote-prefixed style, as in :meth:`cells`."""
        letters = self._letters
        if len(values) > len(letters):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
        r = str(row_idx)
        plain, quoted = self._plain_s, self._text_s
        parts = [f'<row r="{r}">']
        add = parts.append
        for letter, value in zip(letters, values):
            cls = value.__class__
            if cls is str:
                if value:
                    if _ILLEGAL_SEARCH(value):
                        value = clean_text(value)
                    if len(value) > MAX_CELL_CHARS:
                        value = value[:MAX_CELL_CHARS]
                if not value:
                    add(f'<c r="{letter}{r}{plain}inlineStr" />')
                    continue
                style = quoted if value[0] in _RISKY_FIRST or value in _ERROR_CODES else plain
                stripped = value.strip()
                space = ' xml:space="preserve"' if stripped and stripped != value else ""
                add(f'<c r="{letter}{r}{style}inlineStr"><is><t{space}>{_escape_cdata(value)}</t></is></c>')
            elif value is None:
                add(f'<c r="{letter}{r}{plain}n" />')
            elif cls is int:
                add(f'<c r="{letter}{r}{plain}n"><v>{"%.16g" % value}</v></c>')
            else:
                return None
        add("</row>")
        return "".join(parts)

    def cells(self, values: Sequence[Any], row_idx: int) -> Iterator[Cell]:
        plain = self.plain
        for col, value in enumerate(values, 1):
            if value is None:
                cell = plain
                cell._value = None
                cell.data_type = "n"
            elif value.__class__ is str:
                if _ILLEGAL_SEARCH(value):   # cleaned first: what is left may look like a formula
                    value = clean_text(value)
                if value and (value[0] in _RISKY_FIRST or value in _ERROR_CODES):
                    cell = self.text
                    self._set(cell, value)
                    cell.data_type = "s"
                else:
                    cell = plain
                    self._set(cell, value)
            elif isinstance(value, dt.datetime):
                cell = self.date if value.time() == dt.time() else self.datetime
                cell.value = value
            elif isinstance(value, dt.date):
                cell = self.date
                cell.value = value
            elif isinstance(value, (dt.time, dt.timedelta)):
                cell = self.time
                cell.value = value
            elif value.__class__ is Formula:
                cell = plain
                cell._value = value.text
                cell.data_type = "f"
            else:
                cell = plain
                self._set(cell, value)
            cell.row = row_idx
            cell.column = col
            yield cell

    @staticmethod
    def _set(cell: Cell, value: Any) -> None:
        try:
            cell.value = value
        except IllegalCharacterError:
            cell.value = clean_text(value)
        except (ValueError, TypeError):
            cell.value = clean_text(_plain(value))
        if cell.data_type in ("f", "e") and value.__class__ is str:
            cell.data_type = "s"


def _slow_cells(ws, values: Sequence[Any], font: Font, alignment: Alignment) -> list[Cell]:
    """Public-API fallback: one styled WriteOnlyCell per value."""
    out = []
    for value in values:
        if value.__class__ is Formula:
            cell = _styled(ws, None, font=font, border=BORDER, alignment=alignment)
            cell._value = value.text
            cell.data_type = "f"
            out.append(cell)
            continue
        if value.__class__ is str:
            value = clean_text(value)
        elif value is not None and not isinstance(value, (int, float, dt.date, bool)):
            value = clean_text(_plain(value))
        risky = is_risky(value)
        if isinstance(value, dt.datetime):
            fmt = "yyyy-mm-dd" if value.time() == dt.time() else "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            fmt = "yyyy-mm-dd"
        else:
            fmt = None
        cell = _styled(ws, value, font=font, border=BORDER, alignment=alignment,
                       number_format=fmt, quote=risky)
        if risky:
            cell.data_type = "s"
        out.append(cell)
    return out


# --------------------------------------------------------------------------- atomic save

def atomic_save(wb: Workbook, path: str | Path) -> Path:
    """Save to a temporary file next to ``path``, then move it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp.xlsx", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


# --------------------------------------------------------------------------- the form

_PROPERTY_KEYS = ("creator", "title", "subject", "description", "keywords", "category",
                  "lastModifiedBy", "identifier", "version", "contentStatus")


def set_properties(wb: Workbook, title: str, properties: dict[str, str] | None = None) -> None:
    """The workbook's properties: kbtui as creator, ``title``, then ``properties`` (e.g.
    ``services.access.export_properties``: who exported what scope when); unknown keys are ignored."""
    props = wb.properties
    props.creator = "kbtui 控辍保学工作台"
    props.title = clean_text(title)
    for key, value in (properties or {}).items():
        if key in _PROPERTY_KEYS and value is not None:
            setattr(props, key, clean_text(str(value)))


def data_start_row(*, subtitle: bool = False, header_groups: bool = False) -> int:
    """The sheet row of the first data row of a form (for formulas that refer to data cells)."""
    return 4 + int(bool(subtitle)) + int(bool(header_groups))


@dataclass(frozen=True)
class FormSheet:
    """A further printable form in the same workbook (``write_form(sheets=…)``): its own title, columns and
    rows, under the same 填报单位 and date, e.g. 送教记录 after 送教上门学生台账."""
    title: str
    columns: Sequence[tuple[str, int | float]]
    rows: Iterable[Sequence[Any]]
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
    target = Path(path)
    try:  # fail before doing the work when the folder cannot be made
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExcelWriteError(f"无法创建文件夹“{target.parent}”：{err.strerror or err}") from err

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
                extra.append([clean_text(v) if v.__class__ is str else v for v in hidden_row])
        atomic_save(wb, path)
    except OSError as err:
        _discard_all(wb)
        raise ExcelWriteError(f"无法写入文件“{path}”：{err.strerror or err}") from err
    except BaseException:
        _discard_all(wb)
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
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.row_dimensions[title_row].height = 32
    ws.row_dimensions[header_row].height = 30

    font = Font(name=FONT_NAME, size=10)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    data_alignment = Alignment(vertical="center", wrap_text=False)

    ws.append([_styled(ws, clean_text(title), font=Font(name=FONT_NAME, size=16, bold=True),
                       alignment=Alignment(horizontal="center", vertical="center"))])
    ws.merged_cells.add(f"A{title_row}:{last}{title_row}")
    if subtitle:
        ws.append([_styled(ws, clean_text(subtitle), font=Font(name=FONT_NAME, size=11),
                           alignment=Alignment(horizontal="center", vertical="center"))])
        ws.merged_cells.add(f"A{subtitle_row}:{last}{subtitle_row}")
    unit_text = f"填报单位：{unit}        填报日期：{format_date_cn(date)}"
    ws.append([_styled(ws, clean_text(unit_text), font=Font(name=FONT_NAME, size=11),
                       alignment=Alignment(horizontal="left", vertical="center"))])
    ws.merged_cells.add(f"A{unit_row}:{last}{unit_row}")

    header_font = Font(name=FONT_NAME, size=10, bold=True)
    header_fill = PatternFill("solid", fgColor="F2F2F2")

    def header_cell(value: Any) -> Cell:
        text = clean_text(str(value)) if value is not None else None
        cell = _styled(ws, text, font=header_font, border=BORDER, alignment=centre, fill=header_fill,
                       quote=is_risky(text))
        if is_risky(text):
            cell.data_type = "s"
        return cell

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
        fast = _FastRows(wb, ws, font, data_alignment)
    if fast is not None:
        fast.install()  # our cells (one reused pre-styled cell per value kind), or the row's XML text
    if progress is not None:
        progress(0, total)
    max_rows = EXCEL_MAX_ROWS - header_row - (2 if footer else 0)
    for row in rows:
        if fast is not None:
            ws.append(row if isinstance(row, (list, tuple)) else list(row))
        else:
            ws.append(_slow_cells(ws, row, font, data_alignment))
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
        cell = _styled(ws, text, font=Font(name=FONT_NAME, size=10), quote=is_risky(text),
                       alignment=Alignment(horizontal="left", vertical="center", wrap_text=True))
        if is_risky(text):
            cell.data_type = "s"
        ws.append([cell])
        ws.merged_cells.add(f"A{last_row}:{last}{last_row}")
    if footer:
        footer_row = last_row + 2  # one empty row between the table (and its notes) and the footer
        ws.append([])
        ws.row_dimensions[footer_row].height = 24
        ws.append([_styled(ws, FOOTER_TEXT, font=Font(name=FONT_NAME, size=11),
                           alignment=Alignment(horizontal="left", vertical="center"))])
        ws.merged_cells.add(f"A{footer_row}:{last}{footer_row}")
        last_row = footer_row
    ws.print_area = f"A1:{last}{last_row}"
    return written


def _discard_all(wb: Workbook) -> None:
    for ws in wb.worksheets:
        _discard(ws)


def _discard(ws) -> None:
    """Close a half-written write-only sheet and delete openpyxl's temporary file (it holds data)."""
    try:
        if ws._rows is not None:
            ws._rows.close()
        if ws._writer is not None:
            ws._writer.close()
            ws._writer.cleanup()
    except Exception:  # best effort: the caller's exception is what matters
        pass


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
