"""The 报表 screen (palette), keyboard only at 80×24: preview with totals and notes, one village, export."""
import asyncio
import datetime as dt

from textual.widgets import DataTable, Input, Select, Static

from kbtui.services.reporting import reports as rs
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp


def test_reports_screen_previews_and_exports(demo_copy, tmp_path):
    ws = Workspace.open(demo_copy, "tester")
    today = dt.date(2024, 9, 20)
    expected = rs.build_report(ws, "statistics", today=today)
    out = tmp_path / "统计表.xlsx"

    async def scenario():
        app = KbtuiApp(Workspace.open(demo_copy, "tester"), today=today, start="reports")
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert type(screen).__name__ == "ReportsScreen"
            table = screen.query_one(DataTable)
            assert table.row_count == len(expected.rows)
            last = table.get_row_at(table.row_count - 1)
            assert last[1] == "合计" and last[2] == str(expected.total().values["cohort"])
            assert "巩固率" in str(screen.query_one("#report-notes", Static).render())
            # one village only
            screen.query_one("#report-village", Select).value = "高峰村"
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert [table.get_row_at(i)[1] for i in range(table.row_count)] == ["高峰村", "合计"]
            # export: type the path, Enter
            screen.query_one("#report-path", Input).focus()
            await pilot.press(*str(out), "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "已导出" in str(screen.query_one("#report-status", Static).render())

    asyncio.run(scenario())
    assert out.exists()
    import openpyxl

    sheet = openpyxl.load_workbook(out).active
    assert sheet["A2"].value.startswith("填报单位：双山镇高峰村")


def test_reports_screen_is_in_the_palette(demo_dir):
    from kbtui.tui.navigation import navigation

    ws = Workspace.open(demo_dir, "tester")
    item = navigation(ws.plugins)["reports"]
    assert item.label == "报表" and item.key == ""
