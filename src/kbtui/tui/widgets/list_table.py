"""ListTable: the table of every list screen (whole-row cursor, zebra stripes), with what any list needs.

- **A row in full.** A column too narrow for its text cuts it; Space opens the row with every column in
  full (``DetailDialog``), and so does Enter on a screen that gives Enter no meaning of its own: a screen
  that does (opens a richer detail, records something) handles ``DataTable.RowSelected`` and stops it;
  a RowSelected nobody stopped reaches the app, which opens the row (``KbtuiApp.on_data_table_row_selected``).
  ``VirtualTable`` does the same for its rows.
- **Long lists in windows.** ``show_rows(rows)`` adds the first ``window`` rows and the next ones whenever
  the cursor reaches the last row shown, so a list of 20,000 tasks opens at once and still reaches its end.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget

from kbtui.tui.screens.dialogs import DetailDialog
from kbtui.tui.widgets.shown import DataTable

WINDOW = 200
Row = tuple[str, Sequence[Any]]         # (row key, cells)


def cell_text(value: Any) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def open_row(table: Widget, pairs: list[tuple[str, str]], index: int, total: int) -> None:
    """Show a list row in full: every (column, text) pair, titled by the screen and the row's place."""
    if pairs:
        title = table.screen.sub_title or table.app.sub_title or ""
        table.app.push_screen(DetailDialog(f"{title}：第 {index + 1} 行（共 {total} 行）", pairs))


class ListTable(DataTable):
    # the rest of the screen (status lines under the list) keeps its rows; a screen may set another height
    DEFAULT_CSS = "ListTable { height: 1fr; }"
    BINDINGS = [
        Binding("enter", "select_cursor", "打开", show=False, id="list.open"),
        Binding("space", "detail", "详情", show=False, id="list.detail"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None, window: int = WINDOW) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.window = window
        self._pending: list[Row] = []
        self._adding = False
        self.total = 0

    # --- rows in windows ----------------------------------------------------------------------------
    def show_rows(self, rows: Sequence[Row]) -> None:
        """Replace the rows (keeping the columns); only the first window is added now."""
        self.clear()
        self.total = len(rows)
        self._pending = list(rows)
        self._add_window()

    def _add_window(self) -> None:
        batch, self._pending = self._pending[:self.window], self._pending[self.window:]
        for key, cells in batch:
            self.add_row(*cells, key=key)

    @property
    def more(self) -> int:
        """Rows not added yet (they come as the cursor reaches the end)."""
        return len(self._pending)

    def watch_cursor_coordinate(self, old, new) -> None:
        super().watch_cursor_coordinate(old, new)
        if self._pending and self.row_count and new.row >= self.row_count - 1 and not self._adding:
            self._adding = True
            self.call_later(self._add_next)

    def _add_next(self) -> None:
        self._adding = False
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self._add_window()

    def window_note(self) -> str:
        """What to say of a list longer than its first window (empty otherwise)."""
        return f"（先显示 {self.window} 项，翻到最后一项时接着显示）" if self.total > self.window else ""

    # --- a row in full --------------------------------------------------------------------------------
    def row_detail(self, row: int | None = None) -> list[tuple[str, str]]:
        """(column, full text) of the row at ``row`` (default: the cursor's)."""
        row = self.cursor_row if row is None else row
        if not self.row_count or row is None or not 0 <= row < self.row_count:
            return []
        cells = self.get_row_at(row)
        return [(cell_text(column.label) or "　", cell_text(value))
                for column, value in zip(self.ordered_columns, cells)]

    def action_detail(self) -> None:
        open_row(self, self.row_detail(), self.cursor_row, self.total or self.row_count)
