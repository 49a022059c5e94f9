"""Writing the data rows of a form fast (the form around them is ``excel.writer``).

Every data cell carries the same bordered style. Creating a styled ``WriteOnlyCell`` per
value costs ~1.6x a plain write, so the data rows go through one reused pre-styled cell whose style id
is computed once (see ``FastRows``). This uses openpyxl's private names (``WriteOnlyWorksheet._values_to_row``
and ``_writer``, ``Cell._value``, ``_style``, ``Workbook._cell_styles``): openpyxl and et_xmlfile are pinned in
pyproject.toml and ``tests/architecture/test_private_apis.py`` names any that an upgrade changes; if the hook
is missing, a slower public-API path is used instead (``slow_cells``).

Most of a big export's time was then openpyxl serialising each cell (an ``Element`` per cell, passed
through et_xmlfile's generic namespace-aware serialiser). With et_xmlfile (openpyxl without lxml), data
rows made only of text, whole numbers and empty cells — nearly all rows of a ledger — are written as
the very same XML text openpyxl would write (``FastRows.row_xml``; ``tests/excel/test_excel_writer.py``
compares the sheet XML byte for byte), straight into the sheet's stream. Any other row (dates, booleans,
formulas…), or any other XML writer (lxml), goes through openpyxl's own ``write_row`` as before.
"""
from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

try:  # what et_xmlfile escapes text with (see FastRows.row_xml)
    from xml.etree.ElementTree import _escape_cdata
except ImportError:  # pragma: no cover - then openpyxl writes every row itself
    _escape_cdata = None

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter

from kbtui.excel.cells import (
    BORDER,
    ERROR_CODE_TEXTS,
    ILLEGAL_SEARCH,
    MAX_CELL_CHARS,
    RISKY_FIRST,
    Formula,
    clean_text,
    is_risky,
    plain_text,
    safe_cell,
    styled,
)

#: With the fast path, write plain data rows as XML text when openpyxl writes through et_xmlfile (tests
#: switch it off to compare with openpyxl's own serialisation).
USE_ROW_XML = True


def _same_values(values: Sequence[Any], _row_idx: int) -> Sequence[Any]:
    return values


def _frozen_cell_class(style_id: int) -> type[Cell]:
    """A Cell subclass whose style id is a constant (no per-cell style lookup)."""
    return type("_FixedStyleCell", (Cell,), {"__slots__": (), "style_id": style_id, "has_style": True})


class FastRows:
    """Writes the data rows of a form: as XML text (:meth:`row_xml`) when it can, else as bordered cells,
    reusing one cell per kind of value (:meth:`cells`)."""

    def __init__(self, wb: Workbook, ws, font: Font, alignment: Alignment):
        def proto(number_format=None, quote=False):
            model = styled(ws, font=font, border=BORDER, alignment=alignment,
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
        # the row's text looked at once: most rows need no cleaning, cutting or escaping in any cell
        joined = "\t".join([value for value in values if value.__class__ is str])     # a tab is legal text
        clean = ILLEGAL_SEARCH(joined) is None and len(joined) <= MAX_CELL_CHARS
        escape = "&" in joined or "<" in joined or ">" in joined
        parts = [f'<row r="{r}">']
        add = parts.append
        for letter, value in zip(letters, values):
            cls = value.__class__
            if cls is str:
                if value and not clean:
                    if ILLEGAL_SEARCH(value):
                        value = clean_text(value)
                    if len(value) > MAX_CELL_CHARS:
                        value = value[:MAX_CELL_CHARS]
                if not value:
                    add(f'<c r="{letter}{r}{plain}inlineStr" />')
                    continue
                style = quoted if (value[0] in RISKY_FIRST or value in ERROR_CODE_TEXTS) and is_risky(value) else plain
                stripped = value.strip()
                space = ' xml:space="preserve"' if stripped and stripped != value else ""
                add(f'<c r="{letter}{r}{style}inlineStr"><is><t{space}>'
                    f'{_escape_cdata(value) if escape else value}</t></is></c>')
            elif value is None:
                add(f'<c r="{letter}{r}{plain}n" />')
            elif cls is int:
                add(f'<c r="{letter}{r}{plain}n"><v>{value:.16g}</v></c>')
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
                if ILLEGAL_SEARCH(value):   # cleaned first: what is left may look like a formula
                    value = clean_text(value)
                if value and (value[0] in RISKY_FIRST or value in ERROR_CODE_TEXTS) and is_risky(value):
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
            cell.value = clean_text(plain_text(value))
        if cell.data_type in ("f", "e") and value.__class__ is str:
            cell.data_type = "s"


def slow_cells(ws, values: Sequence[Any], font: Font, alignment: Alignment) -> list[Cell]:
    """Public-API fallback: one styled WriteOnlyCell per value."""
    out = []
    for value in values:
        if value.__class__ is Formula:
            cell = styled(ws, None, font=font, border=BORDER, alignment=alignment)
            cell._value = value.text
            cell.data_type = "f"
            out.append(cell)
            continue
        if value is not None and value.__class__ is not str and not isinstance(value, (int, float, dt.date, bool)):
            value = plain_text(value)
        if isinstance(value, dt.datetime):
            fmt = "yyyy-mm-dd" if value.time() == dt.time() else "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            fmt = "yyyy-mm-dd"
        else:
            fmt = None
        out.append(safe_cell(ws, value, font=font, border=BORDER, alignment=alignment, number_format=fmt))
    return out
