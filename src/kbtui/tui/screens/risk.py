"""预警 screen: the early-warning list of the current campaign, the factors behind each score, and the work.

Keyboard only: ↑↓ move, Enter explains the child's score factor by factor; B 结对帮扶 (assign a helper),
V 安排家访 (plan a home visit), C 提前立案 (open a case early); F filters by village, school or responsible
person; K shows the school calendar; R recomputes. Everything goes through ``services.risk.risk`` (the list
kept per village file by ``services.risk.risk_kept``: only what changed is scored again); a read-only role is
told it may not change anything.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kbtui.domain.normalize import parse_date
from kbtui.domain.risk import RiskError
from kbtui.domain.sorting import value_key
from kbtui.domain.status import DROPOUT_REASONS
from kbtui.errors import StoreError
from kbtui.services.children.places import village_label
from kbtui.services.lookup import EscalationError
from kbtui.services.risk import risk as risk_service
from kbtui.services.risk import risk_kept, risk_trend, risk_work
from kbtui.tui.screens.dialogs import DetailDialog, FormDialog, FormField, PickerScreen
from kbtui.tui.screens.school_calendar import CalendarScreen
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.bars import headed_grid
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import Static
from kbtui.tui.widgets.virtual_table import VirtualTable

FILTERS = {"village": "村（社区）", "school": "学校", "person": "责任人或帮扶人"}
CLEAR = "__clear"
VISIT_DAYS = 7          # a planned visit is due a week from today unless changed


class RiskScreen(Screen):
    SUB_TITLE = "预警"
    DEFAULT_CSS = """
    RiskScreen #risk-summary { height: 1; padding: 0 1; text-style: bold; }
    RiskScreen #risk-filter { height: 1; padding: 0 1; color: $text-muted; }
    RiskScreen #risk-table { height: 1fr; }
    RiskScreen #risk-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("b", "helper", "结对帮扶", id="risk.helper"),
        Binding("v", "visit", "安排家访", id="risk.visit"),
        Binding("c", "case", "提前立案", id="risk.case"),
        Binding("f", "filter", "筛选", id="risk.filter"),
        Binding("k", "calendar", "校历", id="risk.calendar"),
        Binding("r", "reload", "刷新", id="risk.reload"),
    ]
    COLUMNS = [("等级", 4), ("评分", 4), ("姓名", 8), ("村（社区）", 10), ("学校年级", 14), ("预警因素", 22),
               ("帮扶人", 6)]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("正在计算预警名单…", id="risk-summary")
        yield Static(id="risk-filter")
        yield VirtualTable(id="risk-table")
        yield Static("Enter 查看评分说明　空格 看整行", id="risk-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.filters: dict[str, str] = {}
        self.entries: list[risk_service.RiskEntry] = []
        self._own_dialog = False
        self._shown = False
        self.set_columns()
        self.table.focus()
        self.action_reload()

    def set_columns(self) -> None:
        """The factors column takes the width the others leave (80 columns: 25 cells, two factors in full)."""
        fixed = sum(w for h, w in self.COLUMNS if h != "预警因素") + len(self.COLUMNS) + 2
        width = max(22, (self.size.width or 80) - fixed)
        self.table.set_columns([(h, width if h == "预警因素" else w) for h, w in self.COLUMNS])

    def on_resize(self) -> None:
        self.set_columns()

    def on_screen_resume(self) -> None:
        """Back from another screen: the data may have changed there. Back from a dialog of this screen: a
        saving dialog reloads by itself, the others changed nothing (no need to score every child again)."""
        if self._own_dialog:
            self._own_dialog = False
            return
        if self._shown:                  # not the resume events of the first showing
            self.action_reload()

    def push(self, screen, callback=None) -> None:
        """Open a dialog of this screen (see ``on_screen_resume``)."""
        self._own_dialog = True
        self.app.push_screen(screen, callback)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#risk-table", VirtualTable)

    @property
    def today(self) -> dt.date:
        return getattr(self.app, "today", None) or dt.date.today()

    def status(self, message: str) -> None:
        self.query_one("#risk-status", Static).update(message)

    # --- data ---------------------------------------------------------------------------------------
    def action_reload(self, keep: str | None = None) -> None:
        current = self.selected()
        self.compute(keep or (current.id_number if current else None))

    @work(thread=True, exclusive=True, group="risk")
    def compute(self, keep: str | None) -> None:
        try:
            found = risk_kept.kept_risk_list(self.app.workspace, self.today, **self.filters)
        except (RiskError, EscalationError, StoreError) as err:
            self.app.call_from_thread(self.show_error, str(err))
            return
        self.app.call_from_thread(self.show, found, keep)

    def show_error(self, message: str) -> None:
        self._shown = True
        self.entries = []
        self.table.set_rows([])
        self.query_one("#risk-summary", Static).update("预警名单无法计算")
        self.status(message)

    def show(self, found: risk_service.RiskList, keep: str | None) -> None:
        self._shown = True
        self.entries = found.entries
        self.query_one("#risk-summary", Static).update(f"{found.today}  {found.summary()}")
        shown = "，".join(f"{FILTERS[k]}：{v}" for k, v in self.filters.items()) or "全部"
        self.query_one("#risk-filter", Static).update(f"筛选：{shown}　等级：{found.levels_text()}")
        rows = list(range(len(self.entries)))
        keep_row = next((i for i, e in enumerate(self.entries) if e.id_number == keep), None)
        self.table.set_rows(rows, self.cells, keep=keep_row)
        if found.warnings:
            self.notify("\n".join(found.warnings), title="警告", severity="warning", timeout=8)
        if not self.entries:
            self.status(f"没有达到预警等级的儿童（已评 {found.scored} 人）")

    def cells(self, row: int) -> list[str]:
        entry = self.entries[row]
        r = entry.record
        district = self.app.workspace.profile.district is not None          # 城头镇新村 in a district
        return [entry.level, str(entry.result.score), r.get("name") or "", village_label(r, district),
                f"{r.get('school') or ''}{r.get('grade') or ''}", entry.factors_text("，"), entry.helper_name or "—"]

    def selected(self) -> risk_service.RiskEntry | None:
        row = self.table.current
        return self.entries[row] if row is not None and row < len(self.entries) else None

    def _selected_or_say(self) -> risk_service.RiskEntry | None:
        entry = self.selected()
        if entry is None:
            self.status("请先选中一名儿童")
        return entry

    def _form(self, what: str, title: str, fields: list[FormField], save, keep: str, hint: str = "") -> None:
        """Open a form whose values ``save(values)`` records through a service. A read-only role or data
        folder is told at once (no form to type in vain); another refusal (scope, a wrong date) shows in the
        form, which stays open with what was typed; a save reloads the list."""
        refused = risk_work.refusal(self.app.workspace, what)
        if refused:
            self.status(refused)
            self.notify(refused, severity="error")
            return

        def done(saved: bool | None) -> None:
            if saved:
                self.status(f"已{what}")
                self.action_reload(keep)

        self.push(FormDialog(title, fields, hint=hint, accept=lambda values: save(values) or True), done)

    def _date(self, text: str, default: dt.date) -> dt.date:
        return parse_date(text) if text else default

    # --- actions ------------------------------------------------------------------------------------
    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        """Enter: the score explained (the row in full is Space; the app would open it too if not stopped)."""
        event.stop()
        entry = self.selected()
        if entry is None:
            return
        lines = risk_service.explain(entry)        # one child's detail: numbers as on the child's form
        self.push(DetailDialog(f"评分说明：{entry.record.get('name', '')}", "\n".join(lines), detail=True))

    def action_helper(self) -> None:
        entry = self._selected_or_say()
        if entry is None:
            return

        def save(values: dict) -> None:
            risk_work.assign_helper(self.app.workspace, entry.id_number, values["helper"], note=values["note"],
                                    on=self.today)

        self._form("安排结对帮扶", f"结对帮扶：{entry.record.get('name', '')}", [
            FormField("helper", "帮扶人", entry.helper_name or entry.record.get("responsible_edu") or ""),
            FormField("note", "帮扶内容", (entry.helper or {}).get("note") or "")], save, entry.id_number,
            hint="帮扶人写姓名（人员名单中重名时写 姓名@单位）；清空帮扶人表示结束帮扶")

    def action_visit(self) -> None:
        entry = self._selected_or_say()
        if entry is None:
            return
        due = self.today + dt.timedelta(days=VISIT_DAYS)

        def save(values: dict) -> None:
            risk_work.plan_visit(self.app.workspace, entry.id_number, self._date(values["due"], due),
                                 visitor=values["visitor"], note=values["note"], today=self.today)

        self._form("安排家访", f"安排家访：{entry.record.get('name', '')}", [
            FormField("due", "家访期限", due.isoformat()),
            FormField("visitor", "家访人", entry.helper_name or entry.record.get("responsible_edu") or ""),
            FormField("note", "说明")], save, entry.id_number,
            hint=f"预警因素：{entry.factors_text('、')}；家访任务在“任务”界面可见，录入走访后自动完成")

    def action_case(self) -> None:
        entry = self._selected_or_say()
        if entry is None:
            return
        if entry.case:
            self.status(f"已有未销号的案卷 {entry.case['key']}：请在劝返界面（F8）处理")
            return

        def save(values: dict) -> None:
            risk_work.open_early_case(self.app.workspace, entry.id_number, today=self.today,
                                      persuader=values["persuader"], reason=values["reason"])

        self._form("提前立案", f"提前立案：{entry.record.get('name', '')}（{entry.level}，{entry.result.score}分）", [
            FormField("persuader", "劝返责任人", entry.helper_name or entry.record.get("responsible_edu") or ""),
            FormField("reason", "原因", suggestions=DROPOUT_REASONS)], save, entry.id_number,
            hint="一生一案：不必等缺课达到劝返流程的门槛；原因可不填（规定的辍学原因之一，输入时 → 补全）")

    def action_filter(self) -> None:
        options = [(key, f"{label}：{self.filters.get(key) or '（全部）'}") for key, label in FILTERS.items()]
        options.append((CLEAR, "清除全部筛选"))

        def chosen_kind(key: str | None) -> None:
            if key is None:
                return
            if key == CLEAR:
                self.filters = {}
                self.action_reload()
                return
            self.push(PickerScreen(f"按{FILTERS[key]}筛选", self._choices(key), self.filters.get(key, "")),
                      lambda value, k=key: self._set_filter(k, value))

        self.push(PickerScreen("筛选预警名单", options), chosen_kind)

    def _choices(self, key: str) -> list[tuple[str, str]]:
        """The values to filter by: the profile's villages or schools in its order, then the others on the
        list (naturally sorted); or the people responsible for or helping the children listed."""
        workspace = self.app.workspace
        known: list[str] = []
        values: set[str] = set()
        if key == "village":              # a district's with their town: 城头镇新村 (two towns have a 新村)
            district = workspace.profile.district
            known = [f"{t.name}{v}" for t in district.towns for v in t.villages] if district \
                else list(workspace.profile.villages)
            values = {village_label(e.record, district is not None) for e in self.entries}
        elif key == "school":
            known = list(workspace.profile.schools)
            values = {e.record.get(key) or "" for e in self.entries}
        else:
            for e in self.entries:
                values |= {str(e.record.get(k) or "").partition("@")[0] for k in ("responsible_gov", "responsible_edu")}
                values.add(e.helper_name)
        others = sorted((v for v in values if v and v not in known), key=value_key)
        return [("", "（全部）")] + [(v, v) for v in known + others]

    def _set_filter(self, key: str, value: str | None) -> None:
        if value is None:
            return
        if value:
            self.filters[key] = value
        else:
            self.filters.pop(key, None)
        self.action_reload()

    def action_calendar(self) -> None:
        self.push(CalendarScreen())


PANEL_VILLAGES = 6


def panel_text(workspace: Any, today: dt.date) -> str:
    """The dashboard panel: counts by level, the villages with most children listed (in aligned columns:
    a village never on one line and its count on the next), and the weekly trend as a small chart (kept
    per village file: ``services.risk.risk_kept``)."""
    try:
        found = risk_kept.kept_overview(workspace, today)
    except (RiskError, EscalationError) as err:
        return str(err)
    if not found.total:
        lines = [f"没有达到预警等级的儿童（已评 {found.scored} 人）"]
    else:
        lines = [f"预警 {found.total} 人：" + "　".join(f"{name} {n}" for name, n in found.counts.items())]
        shown = found.villages[:PANEL_VILLAGES]
        digits = max(len(str(n)) for _v, n, _h in shown)
        lines += headed_grid("按村：", [(village, f"{n:>{digits}}" + (f"（{found.highest}{high}）" if high else ""))
                                       for village, n, high in shown], align="<")
        if len(found.villages) > PANEL_VILLAGES:
            lines.append(f"      另有 {len(found.villages) - PANEL_VILLAGES} 个村")
    return "\n".join(lines + risk_trend.trend_lines(found.trend))
