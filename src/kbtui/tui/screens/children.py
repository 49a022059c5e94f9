"""儿童 list: every child, searchable by name, pinyin or ID number."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from kbtui.domain.child import display
from kbtui.services.search import SearchIndex

WINDOW = 200
COLUMNS = (("姓名", "name"), ("性别", "sex"), ("出生日期", "birth_date"), ("村（社区）", "village"),
           ("就读学校", "school"), ("情况", None))


class ChildrenScreen(Screen):
    BINDINGS = [
        Binding("slash", "focus_search", "搜索", id="children.search"),
        Binding("escape", "clear_search", "清空", id="children.clear"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="搜索：姓名、拼音（zs / zhangsan）、身份证号或后几位", id="search")
        yield DataTable(id="children", cursor_type="row", zebra_stripes=True)
        yield Static(id="count")
        yield Footer()

    def on_mount(self) -> None:
        workspace = self.app.workspace
        self.ctx = workspace.context()
        self.records = {r["id_number"]: r for r in workspace.store.all()}
        self.index = SearchIndex(self.records.values())
        table = self.query_one(DataTable)
        for label, _key in COLUMNS:
            table.add_column(label)
        self.show(self.index.search(""))
        self.query_one(Input).focus()

    def show(self, ids: list[str]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for id_number in ids[:WINDOW]:
            record = self.records[id_number]
            cells = [display(record, key) if key else self.ctx.classify(record).situation
                     for _label, key in COLUMNS]
            table.add_row(*cells, key=id_number)
        shown = min(len(ids), WINDOW)
        self.query_one("#count", Static).update(f"共 {len(ids)} 人" + (f"，显示前 {shown} 人" if len(ids) > shown else ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show(self.index.search(event.value))

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_clear_search(self) -> None:
        self.query_one(Input).value = ""
