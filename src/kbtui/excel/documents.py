"""Free-layout printable documents: a legal letter (责令限期改正通知书 …), a case's 劝返情况记录.

A ledger is a table (``excel.writer``); a document places its cells by row and column (labels and values side
by side, merged spans, a few framed tables). Both go through the same guard (``excel.cells.safe_cell``: text
Excel accepts, a formula-like string kept as text), the same A4 print setup (``writer.fit_a4``), properties,
atomic save and clean-up of a failed write (``excel.saving``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from kbtui.excel.cells import BORDER, safe_cell
from kbtui.excel.saving import atomic_save, check_output, discard_all, set_properties, write_error
from kbtui.excel.writer import FONT_NAME, fit_a4


@dataclass(frozen=True)
class _Placed:
    value: Any
    size: float
    bold: bool
    span: int
    framed: bool
    alignment: Alignment


class Document:
    """One sheet of cells placed with :meth:`put`, written in row order by :meth:`save` (write-only mode)."""

    def __init__(self, sheet_title: str, widths: Sequence[float], orientation: str = "portrait",
                 font_size: float = 11):
        self.sheet_title = sheet_title
        self.widths = tuple(widths)
        self.orientation = orientation
        self.font_size = font_size
        self.cells: dict[tuple[int, int], _Placed] = {}
        self.heights: dict[int, float] = {}

    def put(self, row: int, col: int, value: Any, *, bold: bool = False, size: float | None = None,
            span: int = 1, framed: bool = False, horizontal: str | None = None, vertical: str = "center",
            wrap: bool = True) -> None:
        """``value`` at (row, col), merged over ``span`` columns; ``framed`` draws thin borders round it."""
        alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap)
        self.cells[(row, col)] = _Placed(None if value in ("", None) else value, size or self.font_size, bold,
                                         span, framed, alignment)

    def height(self, row: int, points: float) -> None:
        self.heights[row] = points

    def save(self, path: str | Path, title: str, properties: dict[str, str] | None = None) -> Path:
        """Write the document to ``path`` (whole or not at all); ExcelWriteError saying why when it cannot."""
        target = check_output(path)
        wb = Workbook(write_only=True)
        set_properties(wb, title, properties)
        try:
            self._sheet(wb)
            atomic_save(wb, path)
        except OSError as err:
            discard_all(wb)
            raise write_error(target, err) from None
        except BaseException:
            discard_all(wb)
            raise
        return target

    def _sheet(self, wb: Workbook) -> None:
        ws = wb.create_sheet(title=self.sheet_title)
        for i, width in enumerate(self.widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        fit_a4(ws, self.orientation)
        last_row = max((r for r, _c in self.cells), default=1)
        last_col = max([len(self.widths)] + [c + p.span - 1 for (_r, c), p in self.cells.items()])
        for row in range(1, last_row + 1):
            if row in self.heights:
                ws.row_dimensions[row].height = self.heights[row]
            values: list[Any] = [None] * last_col
            for col in range(1, last_col + 1):
                placed = self.cells.get((row, col))
                if placed is None:
                    continue
                font = Font(name=FONT_NAME, size=placed.size, bold=placed.bold)
                border = BORDER if placed.framed else None
                values[col - 1] = safe_cell(ws, placed.value, font=font, alignment=placed.alignment, border=border)
                for k in range(col + 1, col + placed.span):
                    values[k - 1] = safe_cell(ws, None, border=border) if placed.framed else None
                if placed.span > 1:
                    last = get_column_letter(col + placed.span - 1)
                    ws.merged_cells.add(f"{get_column_letter(col)}{row}:{last}{row}")
            while values and values[-1] is None:
                values.pop()
            ws.append(values)
        ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"


def write_letter(path: str | Path, title: str, body: Sequence[str], properties: dict[str, str] | None = None) -> Path:
    """A one-column letter on A4 portrait: the title, a blank line, then one paragraph per line of ``body``
    (a short line ending in （盖章） or a date is set to the right, as signatures are)."""
    doc = Document("文书", (90,), font_size=12)
    doc.put(1, 1, title, size=18, bold=True, horizontal="center", wrap=False)
    doc.height(1, 36)
    for row, text in enumerate(body, 3):
        right = text.endswith(("（盖章）", "日")) and len(text) < 30
        doc.put(row, 1, text, horizontal="right" if right else "left", vertical="top")
        doc.height(row, max(20, 18 * (len(text) // 42 + 1)))
    return doc.save(path, title, properties)
