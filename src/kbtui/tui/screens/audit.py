"""修改日志 screen: who changed what (newest first), filtered by child or operator; V verifies the chain.

The journal is read in a worker thread and only the newest ``WINDOW`` matching entries are shown.
Operators whose role may not read the whole journal see entries about children in their scope only
(``services.audit.log``).
"""
from __future__ import annotations

import re

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input

from kbtui.services import audit
from kbtui.store import StoreError
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import DataTable, Static

WINDOW = 300
_ID = re.compile(r"^\d{17}[\dXx]$")


class AuditScreen(Screen):
    BINDINGS = [
        Binding("slash", "focus_filter", "筛选", key_display="/", id="audit.filter"),
        Binding("ctrl+v", "verify", "校验日志", id="audit.verify"),
        Binding("ctrl+r", "reload", "刷新", id="audit.reload"),
        Binding("escape", "clear_filter", "清空筛选", show=False, id="audit.clear"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="筛选：身份证号（18位）或操作员系统用户名，回车确定", id="audit-filter")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-detail")
        yield Static("", id="audit-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.app.sub_title = "修改日志"
        table = self.query_one(DataTable)
        for label, width in (("序号", 6), ("时间", 16), ("操作员", 10), ("操作", 8), ("儿童", 18), ("内容", 40)):
            table.add_column(label, width=width)
        self.entries: list[dict] = []
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
        self.app.call_from_thread(self.show, entries, text)

    def show_error(self, message: str) -> None:
        self.query_one(DataTable).clear()
        self.entries = []
        self.query_one("#audit-status", Static).update(message)
        self.notify(message, severity="error")

    def show(self, entries: list[dict], text: str) -> None:
        self.entries = entries
        table = self.query_one(DataTable)
        table.clear()
        for n, e in enumerate(entries):
            table.add_row(str(e.get("seq", "")), str(e.get("ts", "")).replace("T", " ")[:16],
                          str(e.get("operator", "")), audit.action_label(e.get("action")),
                          str(e.get("record") or ""), audit.describe_changes(e, 60), key=str(n))
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
        detail.update(audit.describe_changes(self.entries[row], 300))

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
