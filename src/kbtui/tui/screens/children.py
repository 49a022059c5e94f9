"""儿童 list: every child, search as you type (name, pinyin, ID digits), filters, sort by any column.

The rows live in ``services.children.child_list.ChildList``; the table draws only the visible rows, so the list
opens and refreshes in milliseconds at 100,000 children. Work that classifies every child (a filter on
the situation, age or ledger; sorting by such a column) runs in a worker with a progress note.
"""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from kbtui.services.access.access import can_see_full
from kbtui.services.children.child_list import ChildList, Filters, ListColumn, fit_columns, shown_columns
from kbtui.services.children.places import sees_several_towns
from kbtui.tui.screens.child_form import ChildFormScreen
from kbtui.tui.screens.dialogs import PickerScreen
from kbtui.tui.screens.filters import FilterScreen
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import Static
from kbtui.tui.widgets.text_input import TextInput
from kbtui.tui.widgets.virtual_table import VirtualTable


class ChildrenScreen(Screen):
    SUB_TITLE = "儿童名单"
    BINDINGS = [
        Binding("slash", "focus_search", "搜索", key_display="/", id="children.search"),
        Binding("escape", "clear_search", "清空搜索", show=False, id="children.clear"),
        Binding("ctrl+f", "filters", "筛选", id="children.filter"),
        Binding("ctrl+o", "sort", "排序", id="children.sort"),
        Binding("ctrl+r", "reverse", "倒序", show=False, id="children.reverse"),
        Binding("ctrl+n", "new_child", "新增", id="children.new"),
        Binding("down", "to_table", "到名单", show=False, id="children.to_table"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield TextInput(placeholder="搜索：姓名、拼音（zs 或 zhangsan）、身份证号或后几位", id="search")
        yield VirtualTable(id="children")
        yield Static(id="list-status")
        yield KeyBar()

    # --- loading ------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.busy = ""
        self.columns: list[ListColumn] = []
        self.load()
        self.query_one(Input).focus()

    def load(self) -> None:
        app = self.app
        workspace = app.workspace
        self.model = ChildList(workspace.children(), workspace.context(app.today), workspace.ledgers,
                               masked=not can_see_full(workspace))
        self.data_version = getattr(app, "data_version", 0)
        self.fit_columns()
        self.refresh_rows()
        self.call_after_refresh(self.prepare)     # index the names once the list is on the screen

    @work(thread=True, exclusive=True, group="prepare-search")
    def prepare(self) -> None:
        self.model.prepare_search()

    def on_screen_resume(self) -> None:
        self.reload_if_changed(self.app.workspace.refresh_children())

    def others_saved(self) -> None:
        """Another operator saved (the app refreshed the store): the list shows it, the cursor stays."""
        self.reload_if_changed(True)

    def reload_if_changed(self, changed: bool) -> None:
        if changed or getattr(self.app, "data_version", 0) != self.data_version:
            current = self.table.current
            old = self.model
            filters, column, reverse = self.model.filters, self.model.sort_column, self.model.sort_reverse
            workspace = self.app.workspace
            self.model = ChildList(workspace.children(), workspace.context(self.app.today),
                                   workspace.ledgers, masked=not can_see_full(workspace))
            self.data_version = getattr(self.app, "data_version", 0)
            keep = self.model.row_of(old.id_of(current)) if current is not None else None
            self.apply(filters, column, reverse, keep=keep)

    @property
    def table(self) -> VirtualTable:
        return self.query_one(VirtualTable)

    def offered_columns(self) -> list[ListColumn]:
        """The app's columns for this operator (乡镇 for a district's operators who see several towns)."""
        return shown_columns(self.app.columns.values(), sees_several_towns(self.app.workspace))

    def fit_columns(self) -> None:
        width = max(self.size.width or self.app.size.width, 40) - 2
        self.columns = fit_columns(self.offered_columns(), width)
        self.table.set_columns([(c.header, c.width) for c in self.columns])

    def on_resize(self) -> None:
        if hasattr(self, "model"):
            self.fit_columns()

    # --- rows ---------------------------------------------------------------------------------------
    def refresh_rows(self, keep: int | None = None) -> None:
        rows = self.model.query(self.query_one(Input).value)
        columns = self.columns
        model = self.model
        self.table.set_rows(rows, lambda row: model.cells(row, columns), keep=keep)
        self.update_status()

    def update_status(self) -> None:
        table = self.table
        parts = [f"共 {len(table.rows)} 人"]
        if table.rows:
            parts.append(f"第 {table.cursor + 1} 行")
        described = self.model.filters.describe()
        if described:
            parts.append(f"筛选：{described}")
        if self.model.sort_column is not None:
            parts.append(f"排序：{self.model.sort_column.header}{'↓' if self.model.sort_reverse else '↑'}")
        if self.busy:
            parts.append(self.busy)
        self.query_one("#list-status", Static).update("　".join(parts))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box opens the first (or the only) match; with nothing typed it goes to the list."""
        if event.input.id != "search":
            return
        current = self.table.current
        if not event.value.strip() or current is None:
            self.table.focus()
            if event.value.strip():
                self.notify("没有找到匹配的儿童", severity="warning", timeout=3)
            return
        self.open_child(self.model.id_of(current))

    def on_virtual_table_moved(self, event: VirtualTable.Moved) -> None:
        self.update_status()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.open_child(self.model.id_of(event.row))

    # --- actions ------------------------------------------------------------------------------------
    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    def action_clear_search(self) -> None:
        search = self.query_one(Input)
        if search.value:
            search.value = ""
        search.focus()

    def open_child(self, id_number: str | None) -> None:
        def done(saved) -> None:
            if not saved:
                return
            self.app.data_version = getattr(self.app, "data_version", 0) + 1
            self.data_version = self.app.data_version
            if id_number is None:
                self.on_screen_resume_force(saved.get("id_number"))
                return
            self.model.replace(saved)
            self.table.invalidate()

        self.app.push_screen(ChildFormScreen(id_number), done)

    def on_screen_resume_force(self, keep_id: str | None) -> None:
        self.data_version = -1
        self.on_screen_resume()
        row = self.model.row_of(keep_id) if keep_id else None
        if row is not None:
            self.query_one(TextInput).value = ""
            self.refresh_rows(keep=row)

    def action_new_child(self) -> None:
        self.open_child(None)

    def action_sort(self) -> None:
        current = self.model.sort_column.id if self.model.sort_column else None
        offered = {c.id: c for c in self.offered_columns()}
        options = [("", "（原始顺序）")] + [(c.id, c.header) for c in offered.values()]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            column = offered.get(value) if value else None
            reverse = bool(column and self.model.sort_column is column and not self.model.sort_reverse)
            self.apply(self.model.filters, column, reverse)

        self.app.push_screen(PickerScreen("按哪一列排序（再选一次同一列则倒序）", options, current), chosen)

    def action_reverse(self) -> None:
        self.apply(self.model.filters, self.model.sort_column, not self.model.sort_reverse)

    def action_filters(self) -> None:
        def chosen(filters: Filters | None) -> None:
            if filters is not None:
                self.apply(filters, self.model.sort_column, self.model.sort_reverse)

        self.app.push_screen(FilterScreen(self.model, self.model.filters), chosen)

    def apply(self, filters: Filters, column: ListColumn | None, reverse: bool, keep: int | None = None) -> None:
        """Set filters and sort; in a worker when every child must be classified."""
        heavy = filters.needs_classification() or (column is not None and column.needs_classification)
        if not heavy:
            self.model.set_filters(filters)
            self.model.set_sort(column, reverse)
            self.refresh_rows(keep)
            return
        self.busy = "正在计算，请稍候…"
        self.table.loading = True
        self.update_status()
        self._apply_worker(filters, column, reverse, keep)

    @work(thread=True, exclusive=True, group="list-apply")
    def _apply_worker(self, filters: Filters, column: ListColumn | None, reverse: bool, keep: int | None) -> None:
        self.model.set_filters(filters)
        self.model.set_sort(column, reverse)
        self.app.call_from_thread(self._applied, keep)

    def _applied(self, keep: int | None) -> None:
        self.busy = ""
        self.table.loading = False
        self.refresh_rows(keep)
