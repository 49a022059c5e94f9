"""TUI for escalation: the 劝返 screen (F8), the 校历 screen (school days month by month; palette) and a
dashboard panel of what the ladders require today.

Textual is imported inside the hooks only, so that opening a workspace without the TUI never loads it."""
from __future__ import annotations

from kbtui import hookimpl


@hookimpl
def kbtui_register_screens(registry):
    from kbtui.api import CalendarScreen, CasesScreen, NavItem

    registry.add("cases", NavItem("cases", "劝返", "f8", CasesScreen,
                                  "缺课儿童的到期处置、一生一案：记录劝返、劝返复学、动态销号"))
    registry.add("calendar", NavItem("calendar", "校历", "", CalendarScreen,
                                     "本学期逐月的上课日：国家法定节假日、调休和本县的放假安排"))


def _panel(workspace, today):
    from kbtui.api import cases_panel

    return cases_panel(workspace, today)


@hookimpl
def kbtui_register_dashboard_panels(registry):
    from kbtui.api import DashboardPanel

    registry.add("escalation", DashboardPanel("escalation", "劝返到期事项", _panel, 40))
