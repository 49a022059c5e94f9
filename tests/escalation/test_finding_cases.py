"""A child found 失学, 疑似辍学 or 辍学 gets a case (一生一案, issue 15 / README step 8).

The visit recorded the finding and nothing followed: ``kbtui escalation due`` and F8 stayed empty unless
absences were recorded too. The stock ladder ``finding`` (plugins/escalation/finding.py) is reached on the
day of the finding and asks for the case until one is opened (F8 P / ``kbtui escalation advance``, or
``kbtui case open``). 双城 2020 profile, see ``test_escalation_cli``.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from kbtui.services.campaign import visits
from kbtui.services.escalation import cases, escalation
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from tests.conftest import run_cli
from tests.helpers.escalation import KID, KID2, KID3

D = dt.date


def due(root, on: str) -> list[dict]:
    result = run_cli("escalation", "due", "--on", on, "--json", data_dir=root)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def to_open(root, on: str) -> dict[str, dict]:
    return {a["id_number"]: a for a in due(root, on) if a["ladder"] == "finding"}


def visit(root, kid: str, status: str, on: str, *extra: str) -> None:
    result = run_cli("visit", kid, "--status", status, "--date", on, "--visitor", "刘支书", *extra, data_dir=root)
    assert result.exit_code == 0, result.output


def test_a_visit_finding_a_dropout_asks_for_a_case_the_same_day(data):
    visit(data, KID, "疑似辍学", "2020-10-12", "--reason", "厌学")
    assert to_open(data, "2020-10-11") == {}                       # not before the visit
    item = to_open(data, "2020-10-12")[KID]
    assert (item["rung"], item["reached"], item["due"], item["overdue"]) == ("case", "2020-10-12", "2020-10-13", False)
    assert "立案" in item["action"] and item["case"] is None
    assert to_open(data, "2020-10-14")[KID]["overdue"] is True
    text = run_cli("escalation", "due", "--on", "2020-10-12", data_dir=data).output
    assert "【到期】王小明" in text and "走访发现失学辍学·立案（一生一案）" in text


@pytest.mark.parametrize("status", ["失学", "疑似辍学", "辍学"])
def test_every_problem_situation_is_a_finding(data, status):
    visit(data, KID, status, "2020-10-12", *(["--reason", "厌学"] if status != "失学" else []))
    assert set(to_open(data, "2020-10-12")) == {KID}


def test_a_situation_that_is_no_problem_asks_for_nothing(data):
    visit(data, KID2, "在籍在校", "2020-10-12", "--school", "双城区第一小学")
    visit(data, KID3, "延缓入学", "2020-10-12", "--reason", "身体原因")
    assert to_open(data, "2020-10-20") == {}


def test_suspected_then_dropout_is_one_finding_counted_from_the_first(data):
    visit(data, KID, "疑似辍学", "2020-10-12", "--reason", "厌学")
    visit(data, KID, "辍学", "2020-10-19", "--reason", "厌学")
    assert to_open(data, "2020-10-20")[KID]["reached"] == "2020-10-12"


def test_advancing_opens_the_case_and_the_item_goes(data):
    visit(data, KID, "辍学", "2020-10-12", "--reason", "外出打工/务农")
    visit(data, KID2, "在籍在校", "2020-10-12", "--school", "双城区第一小学")
    result = run_cli("escalation", "advance", "--on", "2020-10-13", data_dir=data)
    assert result.exit_code == 0 and "新立案卷 1 件" in result.output, result.output
    case = cases.open_case_of(Workspace.open(data, "tester"), KID)
    assert (case["opened_on"], case["ladder"], case["reason"]) == ("2020-10-12", "finding", "外出打工/务农")
    assert [r["rung"] for r in case["rungs"]] == ["case"]
    assert to_open(data, "2020-10-13") == {}
    again = run_cli("escalation", "advance", "--on", "2020-10-13", data_dir=data)
    assert "没有需要推进的事项" in again.output                        # idempotent


def test_a_case_opened_by_hand_also_takes_the_item_and_a_new_finding_after_closing_asks_again(data):
    visit(data, KID, "疑似辍学", "2020-10-12", "--reason", "厌学")
    assert run_cli("case", "open", KID, "--on", "2020-10-12", data_dir=data).exit_code == 0
    assert to_open(data, "2020-10-13") == {}
    ws = Workspace.open(data, "tester")
    key = cases.open_case_of(ws, KID)["key"]
    assert run_cli("case", "close", key, "--on", "2020-10-20", "--outcome", "户籍迁出", data_dir=data).exit_code == 0
    visit(data, KID, "在籍在校", "2020-11-02", "--school", "双城区第一小学")
    assert to_open(data, "2020-11-03") == {}
    visit(data, KID, "辍学", "2020-11-16", "--reason", "厌学")
    assert to_open(data, "2020-11-16")[KID]["reached"] == "2020-11-16"


def test_the_finding_also_shows_in_the_child_s_timeline(data):
    ws = Workspace.open(data, "tester")
    visits.record_finding(ws, KID, "辍学", date="2020-10-12", reason="厌学", today=D(2020, 10, 12))
    rows = {(r["ladder"], r["rung"]): r for r in escalation.timeline(ws, KID, D(2020, 10, 13))}
    assert rows[("finding", "case")]["reached"] == "2020-10-12"


def test_f8_shows_the_child_found_on_a_visit_and_p_opens_the_case(data):
    ws = Workspace.open(data, "tester")
    visits.record_finding(ws, KID2, "疑似辍学", date="2020-10-12", reason="厌学", today=D(2020, 10, 12))

    async def scenario():
        app = KbtuiApp(Workspace.open(data, "tester"), today=D(2020, 10, 13), start="cases")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            table = screen.query_one("#due-table")
            assert table.row_count == 1
            row = " ".join(str(cell) for cell in table.get_row_at(0))
            assert "李小红" in row and "立案" in row, row
            await pilot.press("p")
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmScreen" and "新立案卷 1 件" in app.screen.question
            await pilot.press("y")
            await pilot.pause()
            assert screen.query_one("#case-table").row_count == 1
            assert screen.query_one("#due-table").row_count == 0

    asyncio.run(scenario())
    assert cases.open_case_of(Workspace.open(data, "tester"), KID2)["ladder"] == "finding"
