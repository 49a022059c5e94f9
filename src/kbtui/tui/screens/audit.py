"""修改日志 screen: who changed what (newest first), filtered by child or operator; V verifies the chain.

The journal is read in a worker thread and only the newest ``WINDOW`` matching entries are shown.
Operators whose role may not read the whole journal see entries about children in their scope only
(``services.access.audit.log``).
"""
from __future__ import annotations

import re

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from kbtui.errors import StoreError
from kbtui.services.access import audit
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import DataTable, Static
from kbtui.tui.widgets.text_input import TextInput

WINDOW = 300
_ID = re.compile(r"^\d{17}[\dXx]$")


class AuditScreen(Screen):
    SUB_TITLE = "修改日志"
    DEFAULT_CSS = """
    #audit-detail { height: auto; max-height: 3; padding: 0 1; }
    #audit-status { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("slash", "focus_filter", "筛选", key_display="/", id="audit.filter"),
        Binding("ctrl+v", "verify", "校验日志", id="audit.verify"),
        Binding("ctrl+r", "reload", "刷新", id="audit.reload"),
        Binding("escape", "clear_filter", "清空筛选", show=False, id="audit.clear"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield TextInput(placeholder="筛选：身份证号（18位）或操作员系统用户名，回车确定", id="audit-filter")
        yield ListTable(id="audit-table")
        yield Static("", id="audit-detail")
        yield Static("", id="audit-status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("序号", 6), ("时间", 16), ("操作员", 10), ("操作", 10), ("对象", 24), ("内容", 40)):
            table.add_column(label, width=width)
        self.entries: list[dict] = []
        self.names: list[str] = []
        self.load("")
        table.focus()

    # --- loading --------------------------------------------------------------------------------
    def load(self, text: str) -> None:
        self.query_one("#audit-status", Static).update("正在读取日志……")
        self.read_entries(text.strip())

    @work(thread=True, exclusive=True, group="audit-read")
    def read_entries(self, text: str) -> None:
        child = text if _ID.match(text) else None
        operator = text if text and not child else None
        try:
            entries = audit.log(self.app.workspace, child=child.upper() if child else None, operator=operator,
                                limit=WINDOW, newest_first=True)
        except StoreError as err:
            self.app.call_from_thread(self.show_error, str(err))
            return
        record_name = audit.RecordNames(self.app.workspace)
        names = [record_name(e) for e in entries]
        self.app.call_from_thread(self.show, entries, names, text)

    def show_error(self, message: str) -> None:
        self.query_one(DataTable).clear()
        self.entries = []
        self.query_one("#audit-status", Static).update(message)
        self.notify(message, severity="error")

    def show(self, entries: list[dict], names: list[str], text: str) -> None:
        self.entries, self.names = entries, names
        table = self.query_one(DataTable)
        table.clear()
        for n, (e, name) in enumerate(zip(entries, names)):
            table.add_row(str(e.get("seq", "")), str(e.get("ts", "")).replace("T", " ")[:16],
                          str(e.get("operator", "")), audit.action_label(e.get("action")),
                          name, audit.describe_changes(e), key=str(n))
        what = f"（筛选：{text}）" if text else ""
        more = f"，显示最新 {WINDOW} 条" if len(entries) >= WINDOW else ""
        self.query_one("#audit-status", Static).update(f"共 {len(entries)} 条{what}{more}。Ctrl+V 校验哈希链")
        self.show_detail()

    def show_detail(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        detail = self.query_one("#audit-detail", Static)
        if not self.entries or row is None or row >= len(self.entries):
            detail.update("")
            return
        entry = self.entries[row]
        head = f"{audit.action_label(entry.get('action'))}　{self.names[row]}".strip()
        detail.update(Text(f"{head}：{audit.describe_changes(entry, 300)}"))

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    # --- actions --------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.load(event.value)
        self.query_one(DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one(Input).focus()

    def action_clear_filter(self) -> None:
        field = self.query_one(Input)
        if field.value:
            field.value = ""
            self.load("")

    def action_reload(self) -> None:
        self.load(self.query_one(Input).value)

    def action_verify(self) -> None:
        self.query_one("#audit-status", Static).update("正在校验日志哈希链……")
        self.run_verify()

    @work(thread=True, exclusive=True, group="audit-verify")
    def run_verify(self) -> None:
        report = audit.verify(self.app.workspace)
        self.app.call_from_thread(self.verified, report)

    def verified(self, report: audit.VerifyReport) -> None:
        self.last_report = report
        self.query_one("#audit-status", Static).update(report.text())
        self.notify(report.text(), severity="information" if report.ok else "error", timeout=10)
