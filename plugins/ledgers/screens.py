"""TUI for reports: the 报表 screen (preview with totals and notes, export), from the command palette.

Textual is imported inside the hook only, so that opening a workspace without the TUI never loads it."""
from __future__ import annotations

from kbtui import hookimpl


@hookimpl
def kbtui_register_screens(registry):
    from kbtui.api import NavItem, ReportsScreen

    registry.add("reports", NavItem("reports", "报表", "", ReportsScreen,
                                    "统计表、附件3、辍学情况报告、比对核查报告等：按村预览合计和说明，导出 Excel"))
