"""What the app can reach: core screens plus what plugins register through the TUI hooks.

- screens (``kbtui_register_screens``): ``NavItem``; bound to ``item.key`` under the binding id
  ``nav.<id>`` (remappable in ``keys.toml``) and listed in the command palette and on the help screen;
- dashboard panels (``kbtui_register_dashboard_panels``): ``DashboardPanel``;
- list columns (``kbtui_register_list_columns``): ``kbtui.services.children.child_list.ListColumn``;
- commands (``kbtui_register_commands``): ``Command``, in the palette, on the help screen and on a key.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from kbtui.registry import Registry
from kbtui.services.children.child_list import CORE_COLUMNS, ListColumn

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.services.workspace import Workspace


@dataclass(frozen=True)
class NavItem:
    id: str                          # stable id, also the binding id ("nav.<id>") for remapping
    label: str                       # Chinese label shown in the footer and the palette
    key: str                         # key that opens it, "" for palette only
    factory: Callable[[], Screen]
    description: str = ""
    short: str = ""                  # the footer's label when the whole line is too long (走访录入 → 走访)


@dataclass(frozen=True)
class DashboardPanel:
    """A panel on the 总览 dashboard.

    ``render(workspace, today)`` returns the panel's text (a ``str`` or any Rich renderable). It runs in a
    worker thread, so it may read the store at length but must not touch widgets. ``order`` sorts panels
    (core panels use 0–90); ``title`` is the panel's heading. ``shown(workspace)``, when given, decides whether
    the panel is on this workspace's dashboard at all (e.g. only a district's operators who see several towns).
    """

    id: str
    title: str
    render: Callable[[Workspace, dt.date], Any]
    order: int = 100
    shown: Callable[[Workspace], bool] | None = None

    def shown_in(self, workspace: Workspace) -> bool:
        return self.shown is None or bool(self.shown(workspace))


@dataclass(frozen=True)
class Command:
    """An action for the command palette and the help screen.

    ``run(app)`` is called on the UI thread with the running ``KbtuiApp`` (``app.workspace``, ``app.today``,
    ``app.notify``, ``app.push_screen`` …). ``key`` optionally binds it (binding id ``cmd.<id>``).
    """

    id: str
    title: str
    run: Callable[[Any], Any]
    help: str = ""
    key: str = ""


def core_items() -> list[NavItem]:
    from kbtui.tui.screens.audit import AuditScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.checking import CheckingScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.children import ChildrenScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.dashboard import DashboardScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.exporting import ExportScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.importing import ImportScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.ledger_import import LedgerImportScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.operators import OperatorsScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.people import PeopleScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.spotcheck import SpotcheckScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.tasks import TasksScreen  # heavy: imported where used (on first visit)
    from kbtui.tui.screens.visits import VisitScreen  # heavy: imported where used (on first visit)

    return [
        NavItem("dashboard", "总览", "f2", DashboardScreen, "工作进度、阶段截止日、各村进度"),
        NavItem("children", "儿童", "f3", ChildrenScreen, "全部儿童名单，可搜索、筛选、排序"),
        NavItem("visits", "走访录入", "f4", VisitScreen, "按村逐个录入入户核实结果", short="走访"),
        NavItem("import", "导入", "f5", ImportScreen, "导入户籍、学籍等名单"),
        NavItem("export", "导出", "f6", ExportScreen, "导出台账"),
        NavItem("ledger-import", "台账回填", "", LedgerImportScreen,
                "导入线下填写后的台账：逐人预览修改和问题，按 Y 保存（导入界面 Ctrl+L）"),
        NavItem("audit", "修改日志", "", AuditScreen, "谁在何时改了什么；校验日志哈希链"),
        NavItem("operators", "操作员", "", OperatorsScreen, "操作员、角色和范围（镇管理员可修改）"),
        NavItem("tasks", "任务", "", TasksScreen, "走访任务：各村进度条、每人任务、逾期"),
        NavItem("people", "人员", "", PeopleScreen, "人员名单与双线分工：登记、导入、按规则分配"),
        NavItem("checking", "核查", "", CheckingScreen, "逐级核查：村/校核查、镇核查、县复核，通过或退回"),
        NavItem("spotcheck", "督导检查", "", SpotcheckScreen, "专项督导检查：随机抽户、登记结果、列出不一致"),
    ]


def navigation(plugins) -> Registry[NavItem]:
    registry: Registry[NavItem] = Registry("界面")
    for item in core_items():
        registry.add(item.id, item)
    return plugins.collect("kbtui_register_screens", registry, kind="界面")


def dashboard_panels(plugins) -> Registry[DashboardPanel]:
    return plugins.collect("kbtui_register_dashboard_panels", Registry("总览面板"), kind="总览面板")


def list_columns(plugins) -> Registry[ListColumn]:
    registry: Registry[ListColumn] = Registry("名单列")
    for column in CORE_COLUMNS:
        registry.add(column.id, column)
    return plugins.collect("kbtui_register_list_columns", registry, kind="名单列")


def commands(plugins) -> Registry[Command]:
    return plugins.collect("kbtui_register_commands", Registry("命令"), kind="命令")
