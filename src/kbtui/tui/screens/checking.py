"""核查 screen: the findings waiting for one checking level; pass one (Enter) or all shown (A), or send one
back with a reason (X). 1/2/3 choose the level: 村/校核查, 镇核查, 县复核."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable

from kbtui.domain import checking as chk
from kbtui.errors import StoreError
from kbtui.services.campaign import checking
from kbtui.tui.screens.dialogs import ConfirmScreen, PromptDialog
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.bars import inline_pairs
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import Static


class CheckingScreen(Screen):
    SUB_TITLE = "逐级核查"
    DEFAULT_CSS = """
    #check-head { height: auto; padding: 0 1; }
    #check-table { height: 1fr; }
    #check-status { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("1", "level(1)", "村/校核查", id="checking.level1"),
        Binding("2", "level(2)", "镇核查", id="checking.level2"),
        Binding("3", "level(3)", "县复核", id="checking.level3"),
        Binding("enter", "pass_one", "通过", id="checking.pass"),
        Binding("a", "pass_all", "全部通过", id="checking.pass_all"),
        Binding("x", "reject", "退回", id="checking.reject"),
        Binding("r", "reload", "刷新", id="checking.reload"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(id="check-head")
        yield ListTable(id="check-table")
        yield Static(id="check-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.level = chk.LOCAL_CHECK
        self.chosen = False             # 1/2/3 pressed: keep the level; else start at the operator's own
        self.refused: str | None = None  # why this operator may not take the level shown
        self.shown: list[str] = []
        table = self.query_one(DataTable)
        for label in ("姓名", "村（社区）", "组", "核实情况", "学校", "走访人", "当前级别"):
            table.add_column(label)
        table.focus()
        self.action_reload()

    def action_level(self, n: int) -> None:
        self.level = chk.LEVELS[n]
        self.chosen = True
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="checking")
    def load(self) -> None:
        workspace = self.app.workspace
        checker = checking.operator_checker(workspace)
        if not self.chosen:             # the first level this operator may take (县复核 for the county)
            self.level = next((level for level in chk.LEVELS[1:]
                               if checking.level_problem(workspace, level, checker) is None), self.level)
        waiting = checking.awaiting(workspace, self.level)
        summary = checking.level_summary(workspace)
        refused = checking.level_problem(workspace, self.level, checker)
        ctx = workspace.context()
        rows = []
        for r in waiting:
            history = r.get("status_history") or [{}]
            visitors = history[-1].get("visitors") or [history[-1].get("by") or ""]
            rows.append((r["id_number"], r.get("name") or "", r.get("village") or "", r.get("group") or "",
                         ctx.classify(r).situation, r.get("school") or "", "、".join(v for v in visitors if v),
                         chk.current_level(r) or chk.ENTERED))
        self.app.call_from_thread(self.show, rows, len(waiting), summary, checker, refused)

    def show(self, rows: list[tuple], total: int, summary: dict, checker: chk.Checker,
             refused: str | None = None) -> None:
        allowed = "、".join(chk.roles_for(self.level, checking.role_overrides(self.app.workspace)))
        if self.level in chk.TOWNSHIP_LEVELS:
            allowed += "；镇管理员、教育专干可做全镇"
        roles = "、".join(checker.roles) or "未在人员名单中登记职务"
        head = Text.assemble((self.level, "bold"),
                             f"（{allowed}）　待核查 {total} 条　操作员：{checker.name}（{roles}）\n",
                             inline_pairs(summary.items()))
        if refused:
            head.append("\n" + refused, style="bold red")
        self.refused = refused
        self.query_one("#check-head", Static).update(head)
        table = self.query_one(ListTable)
        table.show_rows([(id_number, cells) for id_number, *cells in rows])
        self.shown = [id_number for id_number, *_cells in rows]
        self.query_one("#check-status", Static).update(
            f"1/2/3 换级别　Enter 通过　A 全部通过　X 退回（写明原因）　空格 看整行{table.window_note()}")

    def _current(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.shown or table.cursor_row is None or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_pass_one()

    def _may_act(self) -> bool:
        if self.refused:
            self.notify(self.refused, severity="error", timeout=10)
            return False
        return True

    def action_pass_one(self) -> None:
        id_number = self._current()
        if id_number is None or not self._may_act():
            return
        try:
            record = checking.review(self.app.workspace, id_number, self.level)
        except StoreError as err:
            self.notify(str(err), severity="error", timeout=8)
            return
        self.notify(f"{record.get('name')}：{self.level}通过")
        self.action_reload()

    def action_pass_all(self) -> None:
        if not self.shown or not self._may_act():
            return
        ids = list(self.shown)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_pass_all(ids)

        self.app.push_screen(ConfirmScreen(f"将显示的 {len(ids)} 条记录全部标为“{self.level}”通过？"), confirmed)

    @work(thread=True, group="checking-all")
    def run_pass_all(self, ids: list[str]) -> None:
        try:
            result = checking.review_many(self.app.workspace, ids, self.level)
        except StoreError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error", timeout=10)
            return
        message = f"通过 {result['passed']} 条"
        if result["skipped"]:
            message += f"，未通过 {len(result['skipped'])} 条：{result['skipped'][0]['reason']}"
        self.app.call_from_thread(self.notify, message, timeout=10)
        self.app.call_from_thread(self.action_reload)

    def action_reject(self) -> None:
        id_number = self._current()
        if id_number is None or not self._may_act():
            return

        def reason_given(reason: str | None) -> None:
            if not reason:
                return
            try:
                record = checking.review(self.app.workspace, id_number, self.level, reject=reason)
            except StoreError as err:
                self.notify(str(err), severity="error", timeout=8)
                return
            self.notify(f"已退回：{record.get('name')}（{reason}）")
            self.action_reload()

        self.app.push_screen(PromptDialog(f"退回原因（{self.level}）：", "如 缺少就读证明"), reason_given)
