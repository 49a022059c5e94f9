"""TUI for disabled children: the 残疾儿童 screen (F9) and a dashboard panel of what needs doing.

Imports of Textual stay inside the hooks, so that opening a workspace without the TUI never loads it."""
from __future__ import annotations

from kbtui import hookimpl


@hookimpl
def kbtui_register_screens(registry):
    from kbtui.api import DisabledChildrenScreen, NavItem

    registry.add("disabled", NavItem("disabled", "残疾儿童", "f9", DisabledChildrenScreen,
                                     "适龄残疾儿童：评估、安置、送教上门，按安置方式或达标情况分组", short="残疾"))


def dashboard_text(workspace, today) -> str:
    """The dashboard panel: disabled children by compliance and the home deliveries behind the rule."""
    from kbtui.api import COMPLIANCE_ORDER, disabled_children

    items = disabled_children(workspace, today)
    if not items:
        return "没有适龄残疾儿童"
    counts: dict[str, int] = {}
    for item in items:
        counts[item.compliance] = counts.get(item.compliance, 0) + 1
    lines = [f"适龄残疾儿童 {len(items)} 人：" + "，".join(f"{k} {counts[k]}" for k in COMPLIANCE_ORDER
                                                      if k in counts)]
    behind = [i for i in items if i.delivery is not None and i.delivery.behind]
    for item in behind[:5]:
        current = item.delivery.current
        lines.append(f"送教落后：{item.record.get('name')}（{item.record.get('village') or ''}）"
                     f"少{current.missing_sessions}次{current.missing_periods}课时")
    if len(behind) > 5:
        lines.append(f"……另有 {len(behind) - 5} 人送教落后（F9 查看）")
    return "\n".join(lines)


@hookimpl
def kbtui_register_dashboard_panels(registry):
    from kbtui.api import DashboardPanel

    registry.add("placements", DashboardPanel("placements", "残疾儿童安置与送教", dashboard_text, 60))
