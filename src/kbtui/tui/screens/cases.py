"""劝返 screen: the actions due or overdue today (from the ladders) and the cases (一生一案).

Keyboard only: Tab switches between the two tables; on a due action D records it done; on either
table A records a persuasion attempt, R marks the child back at school (劝返复学), C closes the case
(动态销号), Enter shows the case; N records an absence, P advances the ladders to today.
Everything goes through ``services.absences`` / ``services.cases`` / ``services.escalation``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Checkbox, DataTable, Header, Input, Label, Static

from kbtui.domain.escalation import CASE_CLOSED
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.services import absences as absence_service
from kbtui.services import cases as case_service
from kbtui.services import escalation as escalation_service
from kbtui.services.absences import EscalationError
from kbtui.store import StoreError
from kbtui.tui.widgets.keybar import KeyBar


class FormScreen(ModalScreen[dict | None]):
    """A small form: text fields (and optional check boxes). Enter on the last field or Ctrl+S saves,
    Esc cancels. Returns the values by key, or None."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen .dialog { width: 76; max-width: 100%; height: auto; border: round $accent; padding: 0 1;
                         background: $surface; }
    FormScreen .form-label { width: 14; padding: 0 1; }
    FormScreen .form-row { height: auto; }
    FormScreen Input { height: 1; border: none; padding: 0 1; width: 1fr; }
    FormScreen Input:focus { border: none; background: $accent 30%; }
    FormScreen Checkbox { height: 1; border: none; padding: 0 1; }
    FormScreen #form-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "取消", id="caseform.cancel"),
        Binding("ctrl+s", "submit", "保存", id="caseform.save"),
    ]

    def __init__(self, title: str, fields: list[tuple[str, str, str]],
                 checks: list[tuple[str, str, bool]] | None = None, hint: str = "") -> None:
        """``fields``: (key, label, default); ``checks``: (key, label, default)."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.checks = checks or []
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            if self.hint:
                yield Static(self.hint, classes="dialog-hint")
            for key, label, default in self.fields:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(default, id=f"f-{key}")
            for key, label, default in self.checks:
                yield Checkbox(label, default, id=f"c-{key}")
            yield Static("", id="form-error")
            yield Static("Enter 下一项/保存  Ctrl+S 保存  Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#f-{self.fields[0][0]}", Input).focus()

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {k: self.query_one(f"#f-{k}", Input).value.strip() for k, _l, _d in self.fields}
        result.update({k: self.query_one(f"#c-{k}", Checkbox).value for k, _l, _d in self.checks})
        return result

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        keys = [k for k, _l, _d in self.fields]
        current = event.input.id[2:] if event.input.id else ""
        index = keys.index(current) if current in keys else len(keys) - 1
        if index + 1 < len(keys):
            self.query_one(f"#f-{keys[index + 1]}", Input).focus()
        elif self.checks:
            checkbox = self.query_one(f"#c-{self.checks[0][0]}", Checkbox)
            if not checkbox.has_focus:
                checkbox.focus()
                return
            self.action_submit()
        else:
            self.action_submit()

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(message)

    def action_submit(self) -> None:
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)


class CaseDetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    CaseDetailScreen { align: center middle; }
    CaseDetailScreen #case-detail { width: 78; max-width: 100%; height: 90%; border: round $accent;
                                    background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,enter,q", "close", "关闭", id="casedetail.close")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="case-detail"):
            yield Static(self.text)
        yield KeyBar()

    def action_close(self) -> None:
        self.dismiss(None)


def case_text(workspace: Any, case: dict, today: dt.date) -> str:
    lines = [f"案卷 {case['key']}  {case['name']}（{case['id_number']}）  {case_service.status_label(case)}",
             f"立案：{case['opened_on']}  {case.get('opened_how', '')}",
             f"原因：{case.get('reason') or '未填'}    劝返责任人：{case.get('persuader') or '未定'}",
             f"帮扶措施：{'、'.join(case.get('support_plan') or []) or '未填'}", "", "逐级处置："]
    for r in case.get("rungs") or []:
        lines.append(f"  {r['date']}  {r['ladder']}·{r.get('label', r['rung'])}")
    lines.append("劝返记录：")
    for a in case.get("attempts") or []:
        lines.append(f"  {a['date']}  {a['by']}  {a['how']}：{a['result']}{'（拒绝送返）' if a.get('refused') else ''}")
    if not case.get("attempts"):
        lines.append("  （尚无）")
    for d in case.get("documents") or []:
        lines.append(f"文书：{d['date']}  {d['title']}")
    if case.get("returned_on"):
        lines.append(f"劝返复学：{case['returned_on']}  {case.get('return_school', '')}")
    if case.get("closed_on"):
        lines.append(f"动态销号：{case['closed_on']}  {case.get('outcome', '')}")
    return "\n".join(lines)


class CasesScreen(Screen):
    SUB_TITLE = "劝返"
    DEFAULT_CSS = """
    CasesScreen #cases-summary { height: 1; padding: 0 1; text-style: bold; }
    CasesScreen .cases-heading { height: 1; padding: 0 1; color: $text-muted; }
    CasesScreen #due-table { height: 1fr; }
    CasesScreen #case-table { height: 1fr; }
    CasesScreen #cases-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("d", "done", "完成", id="cases.done"),
        Binding("a", "attempt", "劝返", id="cases.attempt"),
        Binding("r", "returned", "复学", id="cases.return"),
        Binding("c", "close_case", "销号", id="cases.close"),
        Binding("n", "new_absence", "登记缺课", id="cases.absence"),
        Binding("p", "advance", "推进", id="cases.advance"),
        Binding("enter", "show", "查看", show=False, id="cases.show"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="cases-summary")
        yield Static("到期和逾期的处置（D 完成）", classes="cases-heading")
        yield DataTable(id="due-table", cursor_type="row", zebra_stripes=True)
        yield Static("案卷（A 劝返  R 复学  C 销号  Enter 查看）", classes="cases-heading")
        yield DataTable(id="case-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="cases-status")
        yield KeyBar()

    def on_mount(self) -> None:
        due = self.query_one("#due-table", DataTable)
        for label in ("", "姓名", "步骤", "责任", "期限", "处置"):
            due.add_column(label)
        cases = self.query_one("#case-table", DataTable)
        for label in ("案卷", "姓名", "状态", "劝返", "责任人", "立案"):
            cases.add_column(label)
        self.due: dict[str, Any] = {}
        self.cases: dict[str, dict] = {}
        self.refresh_data()
        due.focus()

    @property
    def today(self) -> dt.date:
        return getattr(self.app, "today", None) or dt.date.today()

    def status(self, message: str) -> None:
        self.query_one("#cases-status", Static).update(message)

    # --- data ---------------------------------------------------------------------------------------
    def refresh_data(self) -> None:
        workspace = self.app.workspace
        try:
            actions = escalation_service.due_actions(workspace, self.today)
        except EscalationError as err:
            actions = []
            self.status(str(err))
        due = self.query_one("#due-table", DataTable)
        due.clear()
        self.due = {}
        for n, action in enumerate(actions):
            key = f"{n}"
            self.due[key] = action
            who = action.role + (f"（{action.person}）" if action.person else "")
            due.add_row("逾期" if action.overdue else "到期", action.name, action.rung_label, who,
                        action.due.strftime("%m-%d"), action.action, key=key)
        table = self.query_one("#case-table", DataTable)
        table.clear()
        self.cases = {}
        for case in case_service.all_cases(workspace):
            if case.get("status") == CASE_CLOSED:
                continue
            self.cases[case["key"]] = case
            table.add_row(case["key"], case["name"], case_service.status_label(case),
                          f"{len(case.get('attempts') or [])}次", case.get("persuader") or "未定",
                          case["opened_on"], key=case["key"])
        overdue = sum(1 for a in actions if a.overdue)
        self.query_one("#cases-summary", Static).update(
            f"{self.today}  到期 {len(actions)} 项（逾期 {overdue} 项）  未销号案卷 {len(self.cases)} 件")

    def _selected_action(self):
        table = self.query_one("#due-table", DataTable)
        if not self.due or table.cursor_row is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.due.get(key)

    def _selected_case(self) -> dict | None:
        """The case under the cursor of the focused table (a due row leads to its child's case)."""
        workspace = self.app.workspace
        cases = self.query_one("#case-table", DataTable)
        if self.focused is cases and cases.row_count:
            key = cases.coordinate_to_cell_key((cases.cursor_row, 0)).row_key.value
            return self.cases.get(key)
        action = self._selected_action()
        if action is not None:
            return case_service.open_case_of(workspace, action.id_number)
        if cases.row_count:
            key = cases.coordinate_to_cell_key((cases.cursor_row, 0)).row_key.value
            return self.cases.get(key)
        return None

    def _run(self, what: str, thunk) -> bool:
        """Run a service call; its errors (also a date typed wrongly) become a message, not a crash."""
        try:
            thunk()
        except (EscalationError, StoreError, NormalizeError, KeyError) as err:
            message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
            self.notify(str(message), title=f"{what}未保存", severity="error", timeout=8)
            return False
        self.refresh_data()
        self.status(f"已{what}")
        return True

    def _date(self, text: str) -> dt.date:
        return parse_date(text) if text else self.today

    # --- actions ------------------------------------------------------------------------------------
    def action_done(self) -> None:
        action = self._selected_action()
        if action is None:
            self.status("没有选中到期事项")
            return

        def save(values: dict | None) -> None:
            if values is not None:
                self._run("记录完成", lambda: escalation_service.record_done(self.app.workspace, action.id_number,
                          action.rung, ladder=action.ladder, on=self._date(values["date"]),
                          by=values["by"], note=values["note"]))

        self.app.push_screen(FormScreen(
            f"{action.name}：{action.rung_label} 已完成", [
                ("date", "完成日期", self.today.isoformat()),
                ("by", "完成人", action.person or self.app.workspace.operator),
                ("note", "处置情况", "")], hint=action.action), save)

    def action_attempt(self) -> None:
        case = self._selected_case()
        if case is None:
            self.status("请先选中一件案卷（或有案卷儿童的到期事项）")
            return
        action = self._selected_action()
        rung = f"{action.ladder}:{action.rung}" if action is not None and action.id_number == case["id_number"] \
            and self.focused is self.query_one("#due-table") else None

        def save(values: dict | None) -> None:
            if values is not None:
                self._run("记录劝返", lambda: case_service.add_attempt(self.app.workspace, case["key"],
                          on=self._date(values["date"]), by=values["by"], how=values["how"],
                          result=values["result"], refused=values["refused"], rung=rung))

        self.app.push_screen(FormScreen(
            f"记录劝返：{case['name']}（{case['key']}）", [
                ("date", "劝返日期", self.today.isoformat()),
                ("by", "劝返人", case.get("persuader") or self.app.workspace.operator),
                ("how", "方式", "家访"),
                ("result", "劝返结果", "")],
            [("refused", "监护人拒不送返（启动依法控辍）", False)]), save)

    def action_returned(self) -> None:
        case = self._selected_case()
        if case is None:
            self.status("请先选中一件案卷")
            return
        record = self.app.workspace.store.get(case["id_number"]) or {}

        def save(values: dict | None) -> None:
            if values is not None:
                self._run("记录劝返复学", lambda: case_service.record_return(self.app.workspace, case["key"],
                          self._date(values["date"]), school=values["school"]))

        self.app.push_screen(FormScreen(
            f"劝返复学：{case['name']}", [
                ("date", "复学日期", self.today.isoformat()),
                ("school", "复学学校", record.get("school") or "")]), save)

    def action_close_case(self) -> None:
        case = self._selected_case()
        if case is None:
            self.status("请先选中一件案卷")
            return
        fields = [("date", "销号日期", self.today.isoformat())]
        if case.get("status") != "returned":
            fields.append(("outcome", "其他结果", ""))

        def save(values: dict | None) -> None:
            if values is not None:
                self._run("动态销号", lambda: case_service.close_case(self.app.workspace, case["key"],
                          self._date(values["date"]), outcome=values.get("outcome", "")))

        hint = "已劝返复学，确认销号" if case.get("status") == "returned" else \
            "尚未记录劝返复学：请先按 R 记录复学，或写明其他结果（如：经评估免予入学、户籍迁出）"
        self.app.push_screen(FormScreen(f"动态销号：{case['name']}（{case['key']}）", fields, hint=hint), save)

    def action_new_absence(self) -> None:
        action = self._selected_action()

        def save(values: dict | None) -> None:
            if values is None:
                return
            days = values["days"]
            if days and not days.isdigit():
                self.notify("缺课天数应为数字", severity="error")
                return
            self._run("登记缺课", lambda: absence_service.add_absence(self.app.workspace, values["id_number"],
                      self._date(values["start"]), days=int(days) if days else None,
                      excused=values["excused"], reason=values["reason"], reported_by=values["reported_by"]))

        self.app.push_screen(FormScreen("登记缺课", [
            ("id_number", "身份证号", action.id_number if action else ""),
            ("start", "开始日期", self.today.isoformat()),
            ("days", "缺课天数", ""),
            ("reason", "原因", ""),
            ("reported_by", "报告人", self.app.workspace.operator)],
            [("excused", "已请假（不计入）", False)], hint="缺课天数不填表示至今未返校"), save)

    def action_advance(self) -> None:
        try:
            report = escalation_service.advance(self.app.workspace, self.today)
        except (EscalationError, StoreError) as err:
            self.notify(str(err), severity="error")
            return
        self.refresh_data()
        self.status(report.summary())

    def action_show(self) -> None:
        case = self._selected_case()
        if case is None:
            action = self._selected_action()
            if action is None:
                return
            rows = escalation_service.timeline(self.app.workspace, action.id_number, self.today)
            text = "\n".join(f"{'✓' if r['done'] else ' '} {r['reached'] or '未到'}  {r['label']}"
                             f"（{r['threshold']}，{r['role']}）" for r in rows)
            self.app.push_screen(CaseDetailScreen(f"{action.name}（尚未立案）\n\n{text}"))
            return
        case = case_service.find_case(self.app.workspace, case["key"])
        self.app.push_screen(CaseDetailScreen(case_text(self.app.workspace, case, self.today)))

    @on(DataTable.RowSelected)
    def row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_show()


def dashboard_text(workspace: Any, today: dt.date) -> str:
    """The dashboard panel: what the ladders require today."""
    try:
        actions = escalation_service.due_actions(workspace, today)
    except EscalationError as err:
        return str(err)
    open_cases = [c for c in case_service.all_cases(workspace) if c.get("status") != CASE_CLOSED]
    if not actions and not open_cases:
        return "今天没有到期的劝返处置"
    overdue = [a for a in actions if a.overdue]
    lines = [f"到期 {len(actions)} 项，其中逾期 {len(overdue)} 项；未销号案卷 {len(open_cases)} 件"]
    for action in (overdue + [a for a in actions if not a.overdue])[:4]:
        lines.append(f"{'逾期' if action.overdue else '到期'} {action.name} {action.rung_label}"
                     f"（{action.role}，{action.due:%m-%d}）")
    if len(actions) > 4:
        lines.append(f"……另有 {len(actions) - 4} 项（F8 查看）")
    return "\n".join(lines)
