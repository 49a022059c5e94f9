"""The campaign screens through the Pilot at 80×24: 任务, 人员, 核查, 督导检查, and the dashboard panel."""
from __future__ import annotations

from textual.widgets import DataTable, Input

from kbtui.services.campaign import checking, people, responsibility, spotcheck, tasks
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.checking import CheckingScreen
from kbtui.tui.screens.dialogs import ConfirmScreen, PickerScreen, PromptDialog
from kbtui.tui.screens.people import PeopleScreen, PersonForm
from kbtui.tui.screens.spotcheck import SpotcheckScreen
from kbtui.tui.screens.tasks import TasksScreen
from tests.helpers.tui import TODAY, make_app, run_async, screen_text, settle


def staff(data):
    ws = Workspace.open(data, "tester")
    for village in ws.profile.villages:
        people.add_person(ws, f"{village[:2]}书记", "村干部", village)
    people.add_person(ws, "甲老师", "教师", "双山小学")
    people.add_person(ws, "乙老师", "教师", "双山小学")
    return ws


@run_async
async def test_tasks_screen_bars_people_and_late(tui_data):
    ws = staff(tui_data)
    responsibility.assign_by_rule(ws)
    app = make_app(tui_data, start="tasks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, TasksScreen)
        text = screen_text(app)
        assert "当前阶段：精准排查对象" in text and "走访任务" in text
        report = tasks.task_report(ws, TODAY, overdue=True)
        gaofeng = next(v for v in report["by_village"] if v["village"] == "高峰村")
        assert f"{gaofeng['done']}/{gaofeng['assigned']}" in text  # the demo visited some already
        people_table = app.screen.query_one("#tasks-people", DataTable)
        names = {people_table.get_row_at(i)[0] for i in range(people_table.row_count)}
        assert names and names <= {p["person"] for p in report["by_person"]} | {"（未分配）"}
        late = app.screen.query_one("#tasks-late", DataTable)
        assert late.row_count == 0                              # 9/10: nothing late yet
        await pilot.press("o")                                  # all tasks
        await settle(app, pilot)
        assert late.row_count > 0


@run_async
async def test_people_screen_add_and_assign(tui_data):
    ws = Workspace.open(tui_data, "tester")      # 高峰村's children wait for a government-line person
    ws.store.apply_many([(r["id_number"], {"responsible_gov": ""}) for r in ws.store.all()
                         if r.get("village") == "高峰村"], "tester")
    app = make_app(tui_data, start="people")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, PeopleScreen)
        await pilot.press("a")
        assert isinstance(app.screen, PersonForm)
        await pilot.press(*"王明", "tab", *"支部书记", "tab", *"高峰村", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PeopleScreen)
        table = app.screen.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert any(row[0] == "王明" and row[1] == "村干部" for row in rows)
        await pilot.press("g")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert any(r.get("responsible_gov") == "王明" for r in app.workspace.store.all())
        await pilot.press("i")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("escape")


@run_async
async def test_checking_screen_pass_and_return(tui_data):
    ws = staff(tui_data)
    people.add_person(ws, "tester", "村干部", "双山镇")     # the operator's role for 村/校核查
    app = make_app(tui_data, start="checking")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, CheckingScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count > 0 and "村/校核查" in screen_text(app)
        first = app.screen.shown[0]
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.workspace.store.get(first)["check_level"] == "村/校核查"
        second = app.screen.shown[0]
        await pilot.press("x")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"缺少证明", "enter")
        await settle(app, pilot)
        assert app.workspace.store.get(second)["check_returned"]["reason"] == "缺少证明"
        await pilot.press("2")
        await settle(app, pilot)
        assert app.screen.level == "镇核查" and first in app.screen.shown
        may_town = bool({"镇领导", "教育专干"} & set(checking.operator_checker(app.workspace).roles))
        await pilot.press("enter")                 # only with a town role (the operator account's)
        await settle(app, pilot)
        assert app.workspace.store.get(first)["check_level"] == ("镇核查" if may_town else "村/校核查")
    assert checking.returned(Workspace.open(tui_data, "tester"))


@run_async
async def test_spotcheck_screen_draw_and_record(tui_data):
    app = make_app(tui_data, start="spotcheck")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, SpotcheckScreen)
        assert "尚未抽取" in screen_text(app)
        await pilot.press("d")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = "11"
        await pilot.press("enter")
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(spotcheck.drawn_ids(app.workspace)) > 0
        assert "随机种子 11" in screen_text(app)
        await pilot.press("enter")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"失学", "enter")
        await settle(app, pilot)
        assert spotcheck.results(app.workspace)[0]["status"] == "失学"
        await pilot.press("m")
        await settle(app, pilot)
        assert table.row_count <= 1


@run_async
async def test_dashboard_panel_of_overdue_tasks(tui_data):
    import datetime as dt

    from kbtui.tui.app import KbtuiApp

    ws = staff(tui_data)
    responsibility.assign_by_rule(ws)
    app = KbtuiApp(Workspace.open(tui_data, "tester"), today=dt.date(2024, 9, 22), start="dashboard")
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(app, pilot)
        assert "overdue-tasks" in app.panels
        text = screen_text(app)
        assert "走访任务与逾期" in text and "逾期" in text
