"""The app as a whole: dashboard, navigation keys, help, command palette, plugins, keymap, NO_COLOR."""
from __future__ import annotations

import dataclasses

from kbtui.tui.screens.children import ChildrenScreen
from kbtui.tui.screens.dashboard import DashboardScreen
from kbtui.tui.screens.help import HelpScreen
from kbtui.tui.screens.visits import VisitScreen
from tests.helpers.tui import make_app, run_async, screen_text, settle


@run_async
async def test_dashboard_shows_phases_counts_and_bars(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, DashboardScreen)
        text = screen_text(app)
        assert "当前阶段：精准排查对象" in text
        assert "全面动员部署" in text and "已过 4 天" in text
        assert "截止 9月13日（剩 3 天）" in text
        assert "待核实" in text and "按核实情况" in text
        app.screen.query_one("#dash").scroll_end(animate=False)
        await pilot.pause()
        assert "█" in screen_text(app) and "各村核实进度" in screen_text(app)


@run_async
async def test_dashboard_counts_once_at_start_and_once_per_return(tui_data, monkeypatch):
    """Each computation classifies every child (one worker per panel): the mount and the two resume events
    Textual sends a newly shown screen must not start it three times. Coming back with nothing changed
    renders no panel again (issue 18: their bodies are kept with the data version); r renders them all."""
    import kbtui.tui.screens.dashboard as dashboard_screen

    calls: list[str] = []
    compute = dashboard_screen.cached_dashboard
    monkeypatch.setattr(dashboard_screen, "cached_dashboard", lambda *a: calls.append("counts") or compute(*a))
    app = make_app(tui_data)
    panels = sum(1 for p in app.panels.values() if p.shown_in(app.workspace))   # a district's panel: not here
    renders: list[str] = []
    for name, panel in list(app.panels.items()):
        app.panels.replace(name, dataclasses.replace(
            panel, render=lambda *a, render=panel.render: renders.append("panel") or render(*a)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "待核实" in screen_text(app)
        assert len(calls) == 1 and len(renders) == panels
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert len(calls) == 2 and len(renders) == panels
        await pilot.press("r")
        await settle(app, pilot)
        assert len(calls) == 3 and len(renders) == 2 * panels


@run_async
async def test_function_keys_switch_screens_and_keep_their_state(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        await pilot.press(*"zh")
        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, VisitScreen)
        await pilot.press("f3")
        await settle(app, pilot)
        assert app.screen.query_one("#search").value == "zh"
        await pilot.press("f2")
        assert isinstance(app.screen, DashboardScreen)


@run_async
async def test_help_lists_every_key_from_the_bindings(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(120, 200)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for label in ("儿童", "走访录入", "筛选", "排序", "保存", "保存并下一个", "用我的覆盖", "nav.children",
                      "form.save", "visits.next", "children.filter", "app.help"):
            assert label in text, label
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@run_async
async def test_command_palette_reaches_a_screen(tui_data):
    from textual.command import CommandPalette

    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        app.screen.query_one("CommandInput").value = "走访"
        await pilot.pause(0.5)
        assert "打开：走访录入" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, VisitScreen)


@run_async
async def test_plugin_screen_panel_column_and_command(tui_data, plugin_dir):
    app = make_app(tui_data, plugin_dirs=[plugin_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert not app.workspace.warnings, app.workspace.warnings
        panel = app.screen.query_one("#panel-county-panel")
        assert "今日逾期事项" in str(panel.render()) and "截至 2024-09-10 逾期 3 件" in str(panel.render())
        assert "county" in app.nav and any(b.id == "nav.county" for _k, b in app._bindings)
        await pilot.press("f12")
        await settle(app, pilot)
        assert "县教育局的自定义界面" in screen_text(app)
        await pilot.press("f3")
        await settle(app, pilot)
        header = next(line for line in screen_text(app).splitlines() if "姓名" in line and "性别" in line)
        assert "县码" in header
        assert "500224" in screen_text(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        app.screen.query_one("CommandInput").value = "县里"
        await pilot.pause(0.5)
        text = screen_text(app)
        assert "县里的命令" in text and "打开：县里的界面" in text
        app.screen.query_one("CommandInput").value = "县里的命令"
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert any("你好，县里" in str(n.message) for n in app._notifications)
        await pilot.press("f1")
        await pilot.pause()
        assert "nav.county" in screen_text(app) or "县里的界面" in screen_text(app)


@run_async
async def test_keys_remapped_from_the_data_folder(tui_data):
    (tui_data / "keys.toml").write_text('"nav.children" = "f7"\n"nav.nothing" = "f8"\n', encoding="utf-8")
    app = make_app(tui_data)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        assert any("nav.nothing" in w for w in app.keymap.warnings)
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("f7")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        await pilot.press("f1")
        await pilot.pause()
        line = next(line for line in screen_text(app).splitlines() if "nav.children" in line)
        assert "F7" in line


@run_async
async def test_works_with_no_color_and_without_mouse(tui_data, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "screen")
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.no_color
        text = screen_text(app)
        assert "> " in text                     # the cursor row is marked without colour
        await pilot.press(*"zh", "enter", "down", "enter")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "ChildFormScreen"
