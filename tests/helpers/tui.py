"""Helpers of the TUI tests: the app on a data folder, its screen as text, waiting for workers.

Their fixtures (``small_demo``, ``tui_data``) are in tests/conftest.py, ``plugin_dir`` in tests/tui/conftest.py."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

OCTOBER = dt.date(2024, 10, 15)      # the demo's absences have reached the ladders' first steps
TODAY = dt.date(2024, 9, 10)       # during 精准排查对象 of the 双山 2024 campaign
SMALL = 300
SEED = 7
PLUGIN = '''
from textual.screen import Screen
from textual.widgets import Footer, Static

import kbtui
from kbtui.services.children.child_list import ListColumn
from kbtui.tui.navigation import Command, DashboardPanel, NavItem


class CountyScreen(Screen):
    SUB_TITLE = "县里的界面"

    def compose(self):
        yield Static("县教育局的自定义界面", id="county")
        yield Footer()


@kbtui.hookimpl
def kbtui_register_screens(registry):
    registry.add("county", NavItem("county", "县里的界面", "f12", CountyScreen, "测试插件的界面"))


@kbtui.hookimpl
def kbtui_register_dashboard_panels(registry):
    registry.add("county-panel", DashboardPanel("county-panel", "今日逾期事项",
                                                lambda ws, today: f"截至 {today} 逾期 3 件"))


@kbtui.hookimpl
def kbtui_register_list_columns(registry):
    registry.add("county-col", ListColumn("county-col", "县码", lambda r, ctx: r["id_number"][:6], 6, 1))


@kbtui.hookimpl
def kbtui_register_commands(registry):
    registry.add("county-hello", Command("county-hello", "县里的命令", lambda app: app.notify("你好，县里"),
                                         "测试插件的命令"))
'''


def make_app(data: Path, plugin_dirs: list[Path] | None = None, start: str = "dashboard", operator: str = "tester",
             plugin_ui: bool = True):
    from kbtui.services.workspace import Workspace
    from kbtui.tui.app import KbtuiApp

    workspace = Workspace.open(data, operator, plugin_dirs)
    return KbtuiApp(workspace, today=TODAY, start=start, plugin_ui=plugin_ui)


def screen_text(app) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def settle(app, pilot) -> None:
    """Let workers finish and the screen repaint."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def run_async(test):
    """Run an ``async def`` test without an async pytest plugin (pytest sees the same fixtures)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


async def confirm_school(app, pilot, school: str = "双山小学") -> None:
    """走访录入 asks for the school of a studying situation before saving: confirm the one prefilled (from
    the lists), or type ``school`` where none is known."""
    from kbtui.tui.screens.dialogs import FormDialog

    if isinstance(app.screen, FormDialog) and app.screen.query("#f-school"):
        if not app.screen.query_one("#f-school").value:
            await pilot.press(*school)
        await pilot.press("enter")


async def start_village(app, pilot, village: str) -> None:
    """On 走访录入: choose ``village`` in the village list and wait for its first child."""
    await settle(app, pilot)
    from textual.widgets import OptionList

    from kbtui.tui.screens.visits import VisitScreen

    assert isinstance(app.screen, VisitScreen)
    option_list = app.screen.query_one("#village-list", OptionList)
    index = next(i for i in range(option_list.option_count) if option_list.get_option_at_index(i).id == village)
    option_list.highlighted = index
    await pilot.press("enter")
    await settle(app, pilot)
