"""Dashboard panel: visit tasks past the deadline of the visit phase, by village and by person.

Textual is imported inside the hook only, so that opening a workspace without the TUI never loads it."""
from __future__ import annotations

from kbtui import hookimpl


def _panel(workspace, today):
    from kbtui.api import overdue_tasks_panel

    return overdue_tasks_panel(workspace, today)


@hookimpl
def kbtui_register_dashboard_panels(registry):
    from kbtui.api import DashboardPanel

    registry.add("overdue-tasks", DashboardPanel("overdue-tasks", "走访任务与逾期", _panel, 30))
