"""TUI for early warning: the 预警 screen (F7) and a dashboard panel (counts by level and village, the
weekly trend as a small chart).

Textual is imported inside the hooks only, so that opening a workspace without the TUI never loads it."""
from __future__ import annotations

from kbtui import hookimpl


@hookimpl
def kbtui_register_screens(registry):
    from kbtui.api import NavItem, RiskScreen

    registry.add("risk", NavItem("risk", "预警", "f7", RiskScreen,
                                 "辍学风险预警名单：逐项评分说明，结对帮扶、安排家访、提前立案"))


def _panel(workspace, today):
    from kbtui.api import risk_panel

    return risk_panel(workspace, today)


@hookimpl
def kbtui_register_dashboard_panels(registry):
    from kbtui.api import DashboardPanel

    registry.add("risk", DashboardPanel("risk", "辍学风险预警", _panel, 35))
