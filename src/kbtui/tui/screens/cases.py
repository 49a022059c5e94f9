"""劝返 screen: the actions due or overdue today (from the ladders) and the cases (一生一案).

Keyboard only: Tab switches between the two tables; on a due action D records it done; on either
table A records a persuasion attempt, R marks the child back at school (劝返复学), C closes the case
(动态销号), Enter shows the case; N records an absence, P advances the ladders to today.
Everything goes through ``services.escalation.absences`` / ``services.escalation.cases`` /
``services.escalation.escalation``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable

from kbtui.domain.escalation import CASE_CLOSED
from kbtui.domain.normalize import parse_date
from kbtui.errors import StoreError
from kbtui.services.escalation import absences as absence_service
from kbtui.services.escalation import cases as case_service
from kbtui.services.escalation import escalation as escalation_service
from kbtui.services.lookup import EscalationError
from kbtui.tui.screens.dialogs import ConfirmScreen, DetailDialog, FormCheck, FormDialog, FormField
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import Static


class CaseDetailScreen(DetailDialog):
    """A case (一生一案) or a child's ladder, in full."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__(title, text, detail=True)
        self.text = text


def case_text(workspace: Any, case: dict, today: dt.date) -> str:
    lines = [f"案卷 {case['key']}  {case['name']}（{case['id_number']}）  {case_service.status_label(case)}",
             f"立案：{case['opened_on']}  {case.get('opened_how', '')}",
             f"原因：{case.get('reason') or '未填'}    劝返责任人：{case.get('persuader') or '未定'}",
             f"帮扶措施：{'、'.join(case.get('support_plan') or []) or '未填'}", "", "逐级处置："]
    for r in case.get("rungs") or []:
        lines.append(f"  {r['date']}  "
                     f"{escalation_service.rung_text(workspace, r['ladder'], r['rung'], r.get('label'))}")
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
    CasesScreen #cases-status { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
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
        yield AppHeader()
        yield Static(id="cases-summary")
        yield Static("到期和逾期的处置（D 完成）", classes="cases-heading")
        yield ListTable(id="due-table")
        yield Static("案卷（A 劝返  R 复学  C 销号  Enter 查看）", classes="cases-heading")
        yield ListTable(id="case-table")
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

    def _form(self, what: str, title: str, fields: list[FormField], save, checks: list[FormCheck] | None = None,
              hint: str = "") -> None:
        """Open a form whose values ``save(values)`` records through a service. A refusal (also a date typed
        wrongly) shows in the form, which stays open with what was typed; a save refreshes the tables."""

        def done(saved: bool | None) -> None:
            if saved:
                self.refresh_data()
                self.status(f"已{what}")

        self.app.push_screen(FormDialog(title, fields, checks or [], hint=hint,
                                        accept=lambda values: save(values) or True), done)

    def _date(self, text: str) -> dt.date:
        return parse_date(text) if text else self.today

    # --- actions ------------------------------------------------------------------------------------
    def action_done(self) -> None:
        action = self._selected_action()
        if action is None:
            self.status("没有选中到期事项")
            return
        self._form("记录完成", f"{action.name}：{action.rung_label} 已完成", [
            FormField("date", "完成日期", self.today.isoformat()),
            FormField("by", "完成人", action.person or self.app.workspace.operator),
            FormField("note", "处置情况")],
            lambda v: escalation_service.record_done(
                self.app.workspace, action.id_number, action.rung, ladder=action.ladder, on=self._date(v["date"]),
                by=v["by"], note=v["note"]), hint=action.action)

    def action_attempt(self) -> None:
        case = self._selected_case()
        if case is None:
            self.status("请先选中一件案卷（或有案卷儿童的到期事项）")
            return
        action = self._selected_action()
        rung = f"{action.ladder}:{action.rung}" if action is not None and action.id_number == case["id_number"] \
            and self.focused is self.query_one("#due-table") else None
        self._form("记录劝返", f"记录劝返：{case['name']}（{case['key']}）", [
            FormField("date", "劝返日期", self.today.isoformat()),
            FormField("by", "劝返人", case.get("persuader") or self.app.workspace.operator),
            FormField("how", "方式", "家访"),
            FormField("result", "劝返结果")],
            lambda v: escalation_service.add_attempt(
                self.app.workspace, case["key"], on=self._date(v["date"]), by=v["by"], how=v["how"],
                result=v["result"], refused=v["refused"], rung=rung),
            [FormCheck("refused", "监护人拒不送返（启动依法控辍）")])

    def action_returned(self) -> None:
        case = self._selected_case()
        if case is None:
            self.status("请先选中一件案卷")
            return
        record = self.app.workspace.child(case["id_number"]) or {}
        self._form("记录劝返复学", f"劝返复学：{case['name']}", [
            FormField("date", "复学日期", self.today.isoformat()),
            FormField("school", "复学学校", record.get("school") or "",
                      suggestions=tuple(self.app.workspace.profile.schools))],
            lambda v: case_service.record_return(self.app.workspace, case["key"], self._date(v["date"]),
                                                 school=v["school"]))

    def action_close_case(self) -> None:
        case = self._selected_case()
        if case is None:
            self.status("请先选中一件案卷")
            return
        fields = [FormField("date", "销号日期", self.today.isoformat())]
        if case.get("status") != "returned":
            fields.append(FormField("outcome", "其他结果"))
        hint = "已劝返复学，确认销号" if case.get("status") == "returned" else \
            "尚未记录劝返复学：请先按 R 记录复学，或写明其他结果（如：经评估免予入学、户籍迁出）"
        self._form("动态销号", f"动态销号：{case['name']}（{case['key']}）", fields,
                   lambda v: case_service.close_case(self.app.workspace, case["key"], self._date(v["date"]),
                                                     outcome=v.get("outcome", "")), hint=hint)

    def action_new_absence(self) -> None:
        action = self._selected_action()

        def save(v: dict) -> None:
            days = v["days"]
            if days and not days.isdigit():
                raise EscalationError("缺课天数应为数字")
            absence_service.add_absence(self.app.workspace, v["id_number"], self._date(v["start"]),
                                        days=int(days) if days else None, excused=v["excused"],
                                        reason=v["reason"], reported_by=v["reported_by"])

        self._form("登记缺课", "登记缺课", [
            FormField("id_number", "身份证号", action.id_number if action else "", "18位身份证号"),
            FormField("start", "开始日期", self.today.isoformat()),
            FormField("days", "缺课天数", placeholder="不填表示至今未返校"),
            FormField("reason", "原因"),
            FormField("reported_by", "报告人", self.app.workspace.operator)],
            save, [FormCheck("excused", "已请假（不计入）")])

    def action_advance(self) -> None:
        """Say what advancing will write (marks, cases opened, rungs noted) and do it only when confirmed."""
        try:
            plan = escalation_service.preview_advance(self.app.workspace, self.today)
        except (EscalationError, StoreError) as err:
            self.notify(str(err), severity="error")
            return
        if plan.empty():
            self.status(plan.summary())
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self.status("未推进：没有做任何修改")
                return
            try:
                report = escalation_service.advance(self.app.workspace, self.today)
            except (EscalationError, StoreError) as err:
                self.notify(str(err), severity="error")
                return
            self.refresh_data()
            text = report.summary()
            self.status(text)
            if cell_len(text) > 3 * max(self.size.width - 2, 20):      # more than the status line's three rows
                self.app.push_screen(DetailDialog("推进结果", advance_lines(report)))

        self.app.push_screen(ConfirmScreen(plan.question(self.today)), confirmed)

    def action_show(self) -> None:
        """Enter: the case in full, or the ladder so far for a child without one; from a due row, first the
        due step with its 处置 in full (the table cuts it)."""
        workspace = self.app.workspace
        due_focused = self.focused is self.query_one("#due-table")
        action = self._selected_action() if due_focused else None
        case = self._selected_case()
        if case is None and action is None:
            action = self._selected_action()
        head = ""
        if action is not None:
            who = action.role + (f"（{action.person}）" if action.person else "")
            head = (f"{'逾期' if action.overdue else '到期'}：{action.rung_label}　责任：{who}　"
                    f"期限：{action.due:%Y-%m-%d}\n处置：{action.action}\n\n")
        if case is None:
            if action is None:
                return
            rows = escalation_service.timeline(workspace, action.id_number, self.today)
            text = "\n".join(f"{'✓' if r['done'] else ' '} {r['reached'] or '未到'}  {r['label']}"
                             f"（{r['threshold']}，{r['role']}）" for r in rows)
            self.app.push_screen(CaseDetailScreen(f"{action.name}（尚未立案）", head + text))
            return
        case = case_service.find_case(workspace, case["key"])
        self.app.push_screen(CaseDetailScreen("案卷（一生一案）", head + case_text(workspace, case, self.today)))

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show()


def advance_lines(report) -> str:
    """What P did, one child per line (the status line cannot hold a long list)."""
    lines = []
    if report.marked:
        children = report.marked_children()
        lines.append(f"标注 {len(children)} 名儿童：")
        lines += [f"　{child}" for child in children]
    if report.opened:
        lines.append(f"新立案卷 {len(report.opened)} 件")
    if report.noted:
        lines.append(f"记入案卷的步骤 {report.noted} 个")
    return "\n".join(lines) or report.summary()


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
