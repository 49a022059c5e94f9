"""台账回填 screen: a ledger exported by kbtui, filled in offline, read back in.

Path (with completion) → Enter reads it in a worker (``services.reporting.ledger_import.plan_ledger_import``, writes
nothing) → a table of the changes child by child (项目：原值 → 新值), of the rows not imported (unknown
or edited-away ID numbers, fields changed in the system since the export) and of the notes → Y applies
it (``apply_ledger_import``: one journaled update per child) → the result. Esc starts again.
"""
from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, Label

from kbtui.services.reporting.ledger_import import apply_ledger_import, plan_ledger_import
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.path_input import PathSuggester
from kbtui.tui.widgets.shown import Static
from kbtui.tui.widgets.text_input import TextInput
from kbtui.tui.widgets.virtual_table import VirtualTable

LEDGER_FILES = (".xlsx", ".xlsm")
HEADERS = [("行", 4), ("姓名", 8), ("项目", 12), ("原值 → 新值 / 说明", 49)]
HINT = "输入已填写的台账文件路径（→ 补全），Enter 读取并预览；确认无误后按 Y 导入。"


class PlanTable(VirtualTable):
    """The preview table; Enter shows the row in full (the shared row detail; the line under the table
    shows the cursor's row in full too)."""

    BINDINGS = [Binding("enter", "select", "查看全文", show=False, id="ledger_import.show")]


def plan_rows(plan, name_of=lambda id_number: "") -> list[tuple[str, str, str, str, str]]:
    """One row per changed field, then per problem, then per note, by row: (行, 姓名, 项目, 内容, full text).
    ``name_of(id_number)`` names the children of problem rows (unknown numbers show their last digits)."""
    rows = []
    for update in plan.updates:
        for change in update.fields:
            old = "（空）" if change.old in (None, "") else str(change.old)
            new = "（空）" if change.new in (None, "") else str(change.new)
            rows.append((str(update.row), update.name, change.label, f"{old} → {new}",
                         f"第{update.row}行 {update.name}（{update.id_number}）{change.label}：{old} → {new}"))
    names = {u.id_number: u.name for u in plan.updates}
    for kind, items in (("未导入", plan.problems), ("提示", plan.notes)):
        for problem in sorted(items, key=lambda p: p.row):
            row = str(problem.row) if problem.row else ""
            number = problem.id_number
            name = names.get(number) or (name_of(number) if number else "") or (f"…{number[-6:]}" if number else "")
            rows.append((row, name, kind, problem.message,
                         f"{kind}：{problem.text() if problem.row else problem.message}"))
    return rows


def plan_summary(plan) -> Text:
    text = Text()
    if plan.done:
        text.append(f"已导入《{plan.title}》：{plan.applied} 人的修改已保存并记入修改日志", style="bold")
        if plan.refused:
            text.append(f"，{plan.refused} 人未导入（见下表“未导入”）", style="bold")
        text.append("。Esc 导入另一份。")
        return text
    text.append(f"预览（尚未保存）《{plan.title}》{Path(plan.file).name}", style="bold")
    text.append(f"\n共 {plan.rows} 行：将修改 {len(plan.updates)} 人，无变化 {plan.unchanged} 人，"
                f"未导入 {len(plan.problems)} 处，提示 {len(plan.notes)} 条。")
    if plan.updates:
        text.append(f"按 Y 导入以上 {len(plan.updates)} 人的修改，Esc 取消。", style="bold")
    else:
        text.append("没有需要导入的修改。", style="bold")
    return text


class LedgerImportScreen(Screen):
    SUB_TITLE = "台账回填"
    BINDINGS = [
        Binding("y", "apply", "确认导入", key_display="Y", id="ledger_import.apply"),
        Binding("ctrl+r", "preview", "预览", id="ledger_import.preview"),
        Binding("escape", "reset", "重新选择", id="ledger_import.reset"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(classes="form-row"):
            yield Label("台账文件", classes="form-label")
            yield TextInput(placeholder="已填写的台账 .xlsx，按 → 补全，Enter 预览", id="ledger-path",
                            classes="form-input", suggester=PathSuggester(LEDGER_FILES))
        yield Static(HINT, id="ledger-summary")
        yield PlanTable(id="ledger-table")
        yield Static("", id="ledger-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.plan = None
        self.busy = False
        self.rows: list[tuple[str, str, str, str, str]] = []
        table = self.query_one(VirtualTable)
        table.set_columns(HEADERS)
        exports = self.app.workspace.root / "exports"
        if exports.is_dir():
            self.query_one("#ledger-path", Input).value = f"{exports}/"
        self.prefill(getattr(self, "_pending_path", ""))

    def prefill(self, path: str) -> None:
        """Called by the 导入 screen (Ctrl+L, or its list type set to a filled-in ledger) with its path;
        before this screen is mounted the path waits for ``on_mount``."""
        try:
            field = self.query_one("#ledger-path", Input)
        except NoMatches:
            self._pending_path = path
            return
        if path:
            field.value = path
        field.focus()

    # --- reading ------------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_preview()

    def action_preview(self) -> None:
        value = self.query_one("#ledger-path", Input).value.strip()
        path = Path(value).expanduser() if value else None
        if path is None or not path.is_file():
            self.notify("请输入已填写的台账文件路径（按 → 补全）" if path is None or path.is_dir()
                        else f"找不到文件：{value}", severity="warning")
            self.query_one("#ledger-path").focus()
            return
        self.plan = None
        self.busy = True
        self._show([])
        self.query_one("#ledger-summary", Static).update(f"正在读取 {path.name} …")
        self.refresh_bindings()
        self._read(path)

    @work(thread=True, exclusive=True, group="ledger-import")
    def _read(self, path: Path) -> None:
        try:
            plan = plan_ledger_import(self.app.workspace, path, today=self.app.today)
        except Exception as err:  # noqa: BLE001 - LedgerError and the reader's errors carry Chinese messages
            self.app.call_from_thread(self._failed, f"无法读取台账：{err}")
            return
        self.app.call_from_thread(self._planned, plan, plan_rows(plan, self._name_of))

    def _name_of(self, id_number: str) -> str:
        record = self.app.workspace.child(id_number)
        return (record or {}).get("name") or ""

    def _planned(self, plan, rows) -> None:
        self.busy = False
        self.plan = plan
        self.query_one("#ledger-summary", Static).update(plan_summary(plan))
        self._show(rows)
        self.query_one(VirtualTable).focus()
        self.refresh_bindings()

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one("#ledger-summary", Static).update(Text(message, style="bold"))
        self.notify(message, severity="error", timeout=8)
        self.refresh_bindings()

    def _show(self, rows: list[tuple[str, str, str, str, str]]) -> None:
        self.rows = rows
        self.query_one(VirtualTable).set_rows(list(range(len(rows))), lambda n: self.rows[n][:4])
        self.query_one("#ledger-detail", Static).update(rows[0][4] if rows else "")

    def on_virtual_table_moved(self, event: VirtualTable.Moved) -> None:
        current = event.table.current
        if current is not None and current < len(self.rows):
            self.query_one("#ledger-detail", Static).update(self.rows[current][4])

    # --- applying -----------------------------------------------------------------------------------
    def action_apply(self) -> None:
        plan = self.plan
        if plan is None or plan.done or not plan.updates or self.busy:
            return
        self.busy = True
        self.refresh_bindings()
        self.query_one("#ledger-summary", Static).update(f"正在导入 {len(plan.updates)} 人的修改…")
        self._apply(plan)

    @work(thread=True, exclusive=True, group="ledger-import")
    def _apply(self, plan) -> None:
        try:
            apply_ledger_import(self.app.workspace, plan)
        except Exception as err:  # noqa: BLE001
            self.app.call_from_thread(self._failed, f"导入失败：{err}")
            return
        self.app.call_from_thread(self._applied, plan, plan_rows(plan, self._name_of))

    def _applied(self, plan, rows) -> None:
        self.busy = False
        self.app.data_version = getattr(self.app, "data_version", 0) + 1
        self.query_one("#ledger-summary", Static).update(plan_summary(plan))
        self._show(rows)
        self.refresh_bindings()
        refused = f"，{plan.refused} 人未导入" if plan.refused else ""
        self.notify(f"台账回填：已导入 {plan.applied} 人的修改{refused}")

    def action_reset(self) -> None:
        if self.busy:
            return
        self.plan = None
        self._show([])
        self.query_one("#ledger-summary", Static).update(HINT)
        self.query_one("#ledger-path").focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "apply":
            plan = self.plan
            return plan is not None and not plan.done and bool(plan.updates) and not self.busy
        return True
