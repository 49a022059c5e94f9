"""The 残疾儿童 screens at 80×24, keyboard only: the list by compliance and by placement, one child's
placement screen, and the assessment, placement and session forms."""
from __future__ import annotations

import asyncio
import datetime as dt
import functools

from kbtui.services.disability import placement_check as pc
from kbtui.services.disability import placements as pl
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from kbtui.tui.screens.placement import DisabledChildrenScreen, PlacementForm, PlacementScreen

TODAY = dt.date(2024, 12, 1)


def run_async(fn):
    """Run an async test body with asyncio (no pytest plugin needed)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))
    return wrapper


async def open_list(pilot):
    await pilot.press("f9")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DisabledChildrenScreen)
    return pilot.app.screen


@run_async
async def test_list_by_compliance_and_by_placement(demo_dir):
    workspace = Workspace.open(demo_dir, "tester")
    app = KbtuiApp(workspace, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one("#disabled")
        items = pc.disabled_children(workspace, TODAY)
        assert table.row_count == len(items)
        first_col = [table.get_row_at(n)[0] for n in range(table.row_count)]
        assert first_col[0] == "无安置" and "达标" in first_col
        assert [c.label.plain for c in table.columns.values()][0] == "达标情况"
        await pilot.press("g")
        first_col = [table.get_row_at(n)[0] for n in range(table.row_count)]
        assert first_col[0] == "随班就读" and first_col[-1] in ("免予入学", "未安置")
        assert "按安置方式" in str(screen.query_one("#disabled-summary").render())


@run_async
async def test_place_assess_and_log_a_session_from_the_keyboard(demo_copy):
    workspace = Workspace.open(demo_copy, "tester")
    unplaced = next(i for i in pc.disabled_children(workspace, TODAY) if i.compliance == pc.NO_PLACEMENT)
    kid = unplaced.record["id_number"]
    app = KbtuiApp(workspace, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one("#disabled")
        table.move_cursor(row=table.get_row_index(kid))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlacementScreen) and app.screen.id_number == kid
        assert "无安置" in str(app.screen.query_one("#placement-info").render())

        # assessment: type into the fields, Enter moves on, Enter on the last field saves
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PlacementForm)
        form.query_one("#f-members").value = "王建国、刘芳"
        form.query_one("#f-conclusion").value = "需送教上门"
        form.query_one("#f-review").value = "2025-06-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PlacementScreen)
        assert pl.latest_assessment(workspace, kid)["recommend"] == "送教上门"

        # placement refused without teachers and plan: the message stays in the form
        await pilot.press("p")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#f-option").value == "送教上门"          # the committee's recommendation
        form.query_one("#f-school").value = "双山小学"
        form.query_one("#f-date").value = "2024-09-02"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and "须填写送教教师" in str(form.query_one("#form-error").render())
        form.query_one("#f-teachers").value = "张老师"
        form.query_one("#f-plan").value = "生活适应、识字"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PlacementScreen)
        assert workspace.store.get(kid)["status"] == "送教上门"

        # a session: the teacher and the periods come prefilled from the plan and the profile's rule
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#f-teacher").value == "张老师"
        assert form.query_one("#f-periods").value == "2"                  # 双山: once a week, 2 periods
        form.query_one("#f-date").value = "2024-09-03"
        form.query_one("#f-content").value = "识字"
        for _ in range(4):
            await pilot.press("enter")                                          # through the 4 fields, then save
        await pilot.pause()
        assert isinstance(app.screen, PlacementScreen)
        sessions = app.screen.query_one("#sessions")
        assert sessions.row_count == 1 and sessions.get_row_at(0)[:3] == ["2024-09-03", "张老师", "2"]
        assert "送教落后" in str(app.screen.query_one("#placement-info").render())

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DisabledChildrenScreen)
        row = screen.query_one("#disabled").get_row(kid)
        assert "送教上门" in row and "送教落后" in row


@run_async
async def test_escape_cancels_a_form(demo_copy):
    workspace = Workspace.open(demo_copy, "tester")
    kid = next(i for i in pc.disabled_children(workspace, TODAY) if i.option == "随班就读").record["id_number"]
    app = KbtuiApp(workspace, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        app.push_screen(PlacementScreen(kid))
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        form = app.screen
        form.query_one("#f-teacher").value = "张老师"
        form.query_one("#f-periods").value = "2"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "不是送教上门" in str(form.query_one("#form-error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlacementScreen)
        assert pl.sessions_of(workspace, kid) == []


def test_dashboard_panel_text(demo_dir):
    from kbtui_plugins.disability.screens import dashboard_text

    workspace = Workspace.open(demo_dir, "tester")
    text = dashboard_text(workspace, TODAY)
    assert text.startswith("适龄残疾儿童") and "无安置" in text
