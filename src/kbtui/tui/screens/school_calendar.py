"""校历 screen: a term's school days month by month (national holidays, 调休 and the county's days), the
same as ``kbtui calendar show``, for checking against the county's notice. P / N: the previous / next term;
Esc goes back (to the screen it was opened from, e.g. 预警 with K)."""
from __future__ import annotations

import datetime as dt

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen

from kbtui.services import school_calendar as sc
from kbtui.services.escalation import absences as absence_service
from kbtui.services.lookup import EscalationError
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import Static

MONTH_WIDTH = 30         # 28 cells of a month and a gap


def months_side_by_side(months: list[sc.Month], width: int) -> list[str]:
    """The months' lines, as many months to a row as the width allows."""
    per_row = max(1, min(3, width // MONTH_WIDTH))
    lines: list[str] = []
    for start in range(0, len(months), per_row):
        blocks = [sc.month_lines(m) for m in months[start:start + per_row]]
        height = max(len(b) for b in blocks)
        for i in range(height):
            parts = [set_cell_size(b[i] if i < len(b) else "", MONTH_WIDTH) for b in blocks]
            lines.append("".join(parts).rstrip())
        lines.append("")
    return lines


class CalendarScreen(Screen):
    SUB_TITLE = "校历"
    DEFAULT_CSS = """
    CalendarScreen #cal-title { height: auto; padding: 0 1; }
    CalendarScreen #cal-scroll { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("p", "term(-1)", "上一学期", id="calendar.previous"),
        Binding("n", "term(1)", "下一学期", id="calendar.next"),
        Binding("escape", "back", "返回", id="calendar.back"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(id="cal-title")
        with VerticalScroll(id="cal-scroll", can_focus=True):
            yield Static(id="cal-months")
        yield KeyBar()

    def on_mount(self) -> None:
        self.index: int | None = None
        self.query_one("#cal-scroll").focus()
        self.show()

    def on_resize(self) -> None:
        if getattr(self, "index", None) is not None:
            self.show()

    @property
    def today(self) -> dt.date:
        return getattr(self.app, "today", None) or dt.date.today()

    def show(self) -> None:
        title = self.query_one("#cal-title", Static)
        body = self.query_one("#cal-months", Static)
        try:
            calendar = absence_service.calendar_of(self.app.workspace)
            if self.index is None:
                start, _end = sc.term_of(calendar, self.today)
                self.index = next(i for i, t in enumerate(calendar.terms, 1) if t[0] == start)
            start, end = sc.term_of(calendar, index=self.index)
        except (EscalationError, ValueError) as err:
            title.update(Text(str(err)))
            body.update("")
            return
        months = sc.term_months(calendar, (start, end))
        total = sum(m.school_days for m in months)
        heading = Text()
        heading.append(f"{self.app.workspace.profile.township}校历　第{self.index}学期（共{len(calendar.terms)}个）"
                       f"　{start} 至 {end}　上课 {total} 天", style="bold")
        today = f"今天 {self.today}" + ("（上课日）" if calendar.is_school_day(self.today) else "")
        source = sc.describe(calendar)        # on the same line when both fit (a name never cut from its version)
        together = cell_len(f"{today}　{source}") <= (self.size.width or 80) - 2
        heading.append(f"\n{today}" + ("　" if together else "\n") + source)
        title.update(heading)
        lines = months_side_by_side(months, max(self.size.width - 4, MONTH_WIDTH))
        lines.append(sc.LEGEND)
        changes = sc.changes_of(months)
        if changes:
            lines += ["", "放假和调休："] + [f"  {line}" for line in changes]
        body.update(Text("\n".join(lines)))

    def action_term(self, step: int) -> None:
        try:
            count = len(absence_service.calendar_of(self.app.workspace).terms)
        except EscalationError:
            return
        if self.index is None:
            return
        wanted = self.index + step
        if 1 <= wanted <= count:
            self.index = wanted
            self.show()
        else:
            self.notify("没有" + ("更早" if step < 0 else "更晚") + "的学期")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.action_open_screen("dashboard")
