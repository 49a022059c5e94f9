"""Dashboard panel of a district: each town's verification progress and the district's total, shown to the
operators who see several towns (the 区县教育局); a town's own admin sees their villages as before.

Textual is imported inside the hook only, so that opening a workspace without the TUI never loads it."""
from __future__ import annotations

from kbtui import hookimpl


def _panel(workspace, today):
    from kbtui.api import towns_panel

    return towns_panel(workspace, today)


def _shown(workspace) -> bool:
    from kbtui.api import sees_several_towns

    return sees_several_towns(workspace)


@hookimpl
def kbtui_register_dashboard_panels(registry):
    from kbtui.api import DashboardPanel

    registry.add("district-towns", DashboardPanel("district-towns", "各乡镇（街道）核实进度（已核实 / 排查范围内）",
                                                  _panel, 10, _shown))
