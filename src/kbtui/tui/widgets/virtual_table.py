"""A virtual table: only the visible rows are rendered, whatever the number of rows.

Textual's ``DataTable`` measures every cell on the first paint (3.3 s for 10,000 rows); this widget draws
lines on demand (the line API), asks for the cells of a row only when it comes into view, and pads CJK
text by terminal cells (``rich.cells``), so columns align whatever mix of Chinese and digits they hold.
A cell cut to its column (…) is read in full with Space, or with Enter where the screen does not take it
(``Selected`` unhandled reaches the app: see widgets/list_table.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from kbtui.tui.widgets.list_table import open_row
from kbtui.tui.widgets.shown import fit, shown_str

CellsFn = Callable[[int], Sequence[str]]


class VirtualTable(Widget, can_focus=True):
    # styles live in app.tcss (parsed once at start-up, not again when the first list is shown)
    COMPONENT_CLASSES = {"vtable--header", "vtable--cursor", "vtable--odd"}
    BINDINGS = [
        Binding("up", "move(-1)", "上", show=False),
        Binding("down", "move(1)", "下", show=False),
        Binding("pageup", "page(-1)", "上页", show=False),
        Binding("pagedown", "page(1)", "下页", show=False),
        Binding("home", "jump(0)", "首行", show=False),
        Binding("end", "jump(-1)", "末行", show=False),
        Binding("enter", "select", "打开", id="table.open"),
        Binding("space", "detail", "详情", show=False, id="table.detail"),
    ]

    cursor: reactive[int] = reactive(0)

    class Selected(Message):
        """Enter (or a click) on a row; ``row`` is the caller's row key."""

        def __init__(self, table: VirtualTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

    class Moved(Message):
        """The cursor moved."""

        def __init__(self, table: VirtualTable) -> None:
            super().__init__()
            self.table = table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.headers: list[tuple[str, int]] = []     # (header, width in cells)
        self.rows: list[int] = []                    # caller's row keys, in display order
        self.top = 0
        self._cells: CellsFn = lambda row: ()
        self._cache: dict[int, Sequence[str]] = {}

    # --- data ---------------------------------------------------------------------------------------
    def set_columns(self, headers: list[tuple[str, int]]) -> None:
        self.headers = headers
        self._cache.clear()
        self.refresh()

    def set_rows(self, rows: list[int], cells: CellsFn | None = None, keep: int | None = None) -> None:
        """Show ``rows``; the cursor goes to the row ``keep`` if it is among them, else to the top."""
        self.rows = rows
        if cells is not None:
            self._cells = cells
            self._cache.clear()
        position = 0
        if keep is not None:
            try:
                position = rows.index(keep)
            except ValueError:
                position = 0
        self.top = 0
        self.cursor = position
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Moved(self))

    def invalidate(self, row: int | None = None) -> None:
        """Forget cached cells (of one row or of all) so they are asked for again."""
        if row is None:
            self._cache.clear()
        else:
            self._cache.pop(row, None)
        self.refresh()

    @property
    def current(self) -> int | None:
        """The row key under the cursor."""
        return self.rows[self.cursor] if self.rows and 0 <= self.cursor < len(self.rows) else None

    # --- geometry -----------------------------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(self.size.height - 1, 1)

    def _scroll_to_cursor(self) -> None:
        height = self.body_height
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + height:
            self.top = self.cursor - height + 1
        self.top = max(0, min(self.top, max(len(self.rows) - height, 0)))

    def watch_cursor(self) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Moved(self))

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    # --- actions ------------------------------------------------------------------------------------
    def _clamp(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def action_move(self, delta: int) -> None:
        self.cursor = self._clamp(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.cursor = self._clamp(self.cursor + direction * self.body_height)

    def action_jump(self, where: int) -> None:
        self.cursor = self._clamp(len(self.rows) - 1 if where < 0 else where)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def row_detail(self, row: int | None = None) -> list[tuple[str, str]]:
        """(header, full text) of a row (by the caller's row key; default: the cursor's)."""
        row = self.current if row is None else row
        if row is None:
            return []
        return [(header or "　", str(text)) for (header, _w), text in zip(self.headers, self._cells(row))]

    def action_detail(self) -> None:
        """The row with every column in full (widgets/list_table.py: the same for every list)."""
        open_row(self, self.row_detail(), self.cursor, len(self.rows))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.action_move(3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.action_move(-3)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            target = self.top + event.y - 1
            if target < len(self.rows):
                if target == self.cursor and event.chain >= 2:
                    self.action_select()
                self.cursor = target

    # --- drawing ------------------------------------------------------------------------------------
    def _row_cells(self, row: int) -> Sequence[str]:
        found = self._cache.get(row)
        if found is None:
            if len(self._cache) > 2000:
                self._cache.clear()
            # data: masked for the operator, control characters visible (``widgets.shown``)
            found = self._cache[row] = [shown_str(self.app, cell, cell=True) for cell in self._cells(row)]
        return found

    def _line(self, texts: Sequence[str], style: Style, marker: str) -> Strip:
        parts = [marker]
        for (_header, width), text in zip(self.headers, texts):
            parts.append(fit(str(text), width))
        text = " ".join(parts)
        width = self.size.width
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("vtable--header")
            return self._line([h for h, _w in self.headers], style, " ")
        index = self.top + y - 1
        if index >= len(self.rows):
            return Strip([Segment(" " * self.size.width, base)])
        row = self.rows[index]
        if index == self.cursor:
            style = base + self.get_component_rich_style("vtable--cursor")
            marker = ">"
        else:
            style = base + self.get_component_rich_style("vtable--odd") if index % 2 else base
            marker = " "
        return self._line(self._row_cells(row), style, marker)
