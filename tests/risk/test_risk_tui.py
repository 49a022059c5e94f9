"""The 预警 screen, the 校历 screen and the dashboard panel, driven with the keyboard at 80×24."""
import datetime as dt
import re

import pytest

from kbtui.services.campaign import tasks
from kbtui.services.escalation import cases
from kbtui.services.risk import risk, risk_trend, risk_work
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from kbtui.tui.widgets.bars import headed_grid
from tests.helpers.risk import RAN, ZHANG, cli_ok, id_of
from tests.helpers.tui import run_async, screen_text, settle

TODAY = dt.date(2025, 10, 17)


@pytest.fixture
def data(sheets_data):
    return sheets_data


def app_for(data, operator="tester", start="risk"):
    return KbtuiApp(Workspace.open(data, operator), today=TODAY, start=start)


@run_async
async def test_the_list_explains_and_turns_into_work(data):
    app = app_for(data)
    ws = Workspace.open(data, "tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        expected = risk.risk_list(ws, TODAY)
        assert len(screen.entries) == len(expected.entries) >= 2
        text = screen_text(app)
        assert f"2025-10-17  {expected.summary()}" in text
        assert "高   " in text and RAN in text and "连续缺课" in text
        assert "b结对帮扶" in text and "v安排家访" in text and "c提前立案" in text      # the compact footer
        # Enter: the score factor by factor
        await pilot.press("enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert f"{RAN}（周家村，鹿角中心校 五年级）  预警等级：高" in text
        assert "连续缺课：连续无故缺课10个上课日（自9月22日起，10月11日返校）" in text and "出勤率：" in text
        await pilot.press("escape")
        await settle(app, pilot)
        # down to 张伟, B: a helper (the form offers the teacher; type another)
        names = [e.record["name"] for e in screen.entries]
        for _ in range(names.index(ZHANG)):
            await pilot.press("down")
        await pilot.press("b")
        await settle(app, pilot)
        assert "结对帮扶：张伟" in screen_text(app)
        await pilot.press("ctrl+a", "ctrl+k", *"刘老师", "enter", *"每周两次谈心", "ctrl+s")
        await settle(app, pilot)
        assert risk_work.helper_of(ws, id_of(ZHANG))["helper"] == "刘老师"
        assert screen.selected().record["name"] == ZHANG and "刘老师" in screen_text(app)
        # V: a home visit a week from today, visitor the helper
        await pilot.press("v")
        await settle(app, pilot)
        assert "安排家访：张伟" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        planned = tasks.planned_visits(ws)[id_of(ZHANG)]
        assert planned["due"].startswith("2025-10-24") and planned["visitor"] == "刘老师"
        # C: the case opened early, the helper its persuader
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        case = cases.open_case_of(ws, id_of(ZHANG))
        assert case["persuader"] == "刘老师" and case["opened_how"].startswith("预警提前立案（中")
        assert "已提前立案" in screen_text(app)
        await pilot.press("c")
        await settle(app, pilot)
        assert f"已有未销号的案卷 {case['key']}" in screen_text(app)


@run_async
async def test_filters_and_the_calendar(data):
    app = app_for(data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        everyone = len(screen.entries)
        await pilot.press("f")                     # 村（社区） is the first filter
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press(*"王家", "enter")
        await settle(app, pilot)
        assert {e.record["village"] for e in screen.entries} == {"王家村"} and len(screen.entries) < everyone
        assert "筛选：村（社区）：王家村" in screen_text(app)
        await pilot.press("f")
        await settle(app, pilot)
        await pilot.press("down", "down", "down", "enter")          # 清除全部筛选
        await settle(app, pilot)
        assert len(screen.entries) == everyone
        # K: the school calendar of the term, month by month
        await pilot.press("k")
        await settle(app, pilot)
        text = screen_text(app)
        assert "鹿角镇校历　第1学期" in text and "2025年9月　上课23天" in text and "2025年10月　上课18天" in text
        assert " (6) (7) (8)  9  10  11*" in text
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen


def supervisor_app(data):
    cli_ok(data, "operators", "add", "duban", "--role", "督导")
    return app_for(data, "duban")


@run_async
async def test_a_supervisor_reads_but_cannot_assign(data):
    app = supervisor_app(data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.screen.entries
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"刘老师", "ctrl+s")
        await settle(app, pilot)
        notices = [n.message for n in app._notifications]
        assert any("您的角色（督导）不能安排结对帮扶" in m for m in notices), notices
    ws = Workspace.open(data, "tester")
    assert risk_work.helper_of(ws, id_of(RAN)) is None


@run_async
async def test_space_shows_the_row_in_full_and_a_supervisor_reads_masked_numbers(data):
    from kbtui.tui.screens.dialogs import DetailDialog

    app = supervisor_app(data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        entry = app.screen.entries[0]
        await pilot.press("space")                          # the row with every column in full
        await settle(app, pilot)
        assert isinstance(app.screen, DetailDialog)
        assert ("预警因素", entry.factors_text("，")) in app.screen.content
        assert entry.factors_text("，") in "".join(screen_text(app).split())
        await pilot.press("escape", "enter")                # the explanation: the numbers masked
        await settle(app, pilot)
        text = screen_text(app)
        id_number = entry.record["id_number"]
        assert f"身份证号：{id_number[:6]}********{id_number[-4:]}" in text and id_number not in text
        assert "电话：138****0000" in text


@run_async
async def test_the_dashboard_panel_counts_and_trend(data):
    app = app_for(data, start="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        panel = app.screen.query_one("#panel-risk")
        text = str(panel.render())
    ws = Workspace.open(data, "tester")
    found = risk.risk_list(ws, TODAY)
    assert "辍学风险预警" in text and f"预警 {len(found.entries)} 人：" in text
    assert "按村：周家村" in text and "近8周预警人数" in text and any(c in text for c in risk_trend.SPARK)


@run_async
async def test_the_dashboard_panels_keep_each_village_with_its_count(tui_data):
    """At 80 columns a panel line that wrapped left 尖山村 at the end of one line and its 21 on the next."""
    october = dt.date(2024, 10, 15)                  # the demo's visit tasks are late by then
    app = KbtuiApp(Workspace.open(tui_data, "tester"), today=october)
    shown = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for panel in ("risk", "overdue-tasks"):
            app.screen.query_one(f"#panel-{panel}").scroll_visible(animate=False, top=True)
            await settle(app, pilot)
            shown[panel] = screen_text(app).splitlines()
    ws = Workspace.open(tui_data, "tester")
    villages = risk_trend.overview(ws, october).villages
    assert len(villages) > 4
    for village, n, _high in villages[:6]:
        assert any(re.search(rf"{village} +{n}\b", line) for line in shown["risk"]), (village, shown["risk"])
    late = [v for v in tasks.task_report(ws, october)["by_village"] if v["late"]]
    assert len(late) > 4
    for v in late:
        assert any(re.search(rf"{v['village']} +{v['late']}\b", line) for line in shown["overdue-tasks"]), v


def test_a_headed_grid_aligns_counts_with_notes():
    lines = headed_grid("按村：", [("长堰村", "28（高4）"), ("双山社区", " 9"), ("光华村", "23（高3）")], 50, align="<")
    assert lines == ["按村：长堰村   28（高4）   双山社区  9", "      光华村   23（高3）"]


@run_async
async def test_the_calendar_from_the_palette_without_a_term(tmp_path):
    from tests.helpers.risk import profile_2025

    data = tmp_path / "data"
    cli_ok(data, "init", "--profile", str(profile_2025(tmp_path, '[calendar]\nterm = ["2026-09-01", "2027-01-15"]\n')))
    app = app_for(data, start="calendar")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "2027年的放假和调休安排不在内置的国家节假日数据中" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.SUB_TITLE == "总览"


async def _settle_first(pilot):
    await settle(pilot.app, pilot)


@pytest.mark.parametrize("start", ["risk", "calendar"])
def test_snapshot(snap_compare, data, start):
    assert snap_compare(app_for(data, start=start), terminal_size=(80, 24), run_before=_settle_first)
