"""Two operators recording a disabled child's records at once (鹿角 2024 profile, see ``test_placement_cli``),
interleaved so that the second one's service has read before the first one's edit lands
(``another_edit_first``): home-delivery sessions, placements, assessments and the disability never lose the
other's, and the child's summary fields end up matching the stored documents (issue 19 point 3)."""
from __future__ import annotations

import datetime as dt

import pytest

from kbtui.domain import roles as R
from kbtui.services.campaign import visits
from kbtui.services.disability import placements as pl
from kbtui.services.workspace import Workspace
from kbtui.store import shard_name
from tests.helpers.disability import KID, KID2, home_delivery
from tests.helpers.reliability import another_edit_first, assert_store_matches_journal, two_operators

OPERATOR = "tester"
OFFICER = "zhou"
TODAY = dt.date(2024, 9, 20)


@pytest.fixture
def two(data):  # noqa: F811 - the fixture imported above
    return two_operators(data, OFFICER, "周专干", R.EDU_OFFICER)


def child(ws: Workspace, id_number: str = KID) -> dict:
    return Workspace.open(ws.root, OPERATOR).store.get(id_number)


def test_two_sessions_logged_at_once_both_count(two):
    town, officer = two
    home_delivery(town.root)
    officer.store.refresh()
    with another_edit_first(officer, lambda: pl.log_session(town, KID, date="2024-09-03", teacher="张老师",
                                                            periods=3, today=TODAY)):
        pl.log_session(officer, KID, date="2024-09-05", teacher="李老师", periods=2, today=TODAY)
    assert child(town)["home_delivery"] == {"sessions": 2, "periods": 5, "last": "2024-09-05"}
    assert_store_matches_journal(town.root, (pl.SESSIONS,))


def test_the_same_session_logged_twice_at_once_lands_once(two):
    """Two operators entering the same teacher's session of the same day at once (the same form filled in
    on two terminals): the check for an earlier session ran before the insert, so both landed."""
    town, officer = two
    home_delivery(town.root)
    officer.store.refresh()
    same = dict(date="2024-09-05", teacher="李老师", today=TODAY)
    with another_edit_first(officer, lambda: pl.log_session(town, KID, periods=2, **same), file=pl.SESSIONS):
        with pytest.raises(pl.PlacementError, match="李老师 在 2024-09-05 已有一条送教记录"):
            pl.log_session(officer, KID, periods=2, **same)
    fresh = Workspace.open(town.root, OPERATOR)
    assert [(s["date"], s["teacher"]) for s in pl.sessions_of(fresh, KID)] == [("2024-09-05", "李老师")]
    assert child(town)["home_delivery"] == {"sessions": 1, "periods": 2, "last": "2024-09-05"}
    assert_store_matches_journal(town.root, (pl.SESSIONS,))


def test_a_placement_and_a_visit_at_once_both_stay_in_the_history(two):
    town, officer = two
    home_visit = lambda: visits.record_finding(town, KID2, "在籍在校", date="2024-09-10", today=TODAY)  # noqa: E731
    with another_edit_first(officer, home_visit):
        pl.place(officer, KID2, "随班就读", school="鹿角中心校")
    record = child(town, KID2)
    assert [(h["by"], h["status"]) for h in record["status_history"]] == [(OPERATOR, "在籍在校"), (OFFICER, "随班就读")]
    assert record["status"] == "随班就读" and record["placement"]["option"] == "随班就读"


def test_two_placements_at_once_leave_one_current_placement_on_the_record(two):
    town, officer = two
    with another_edit_first(officer, lambda: pl.place(town, KID2, "随班就读", school="鹿角中心校",
                                                      date="2024-09-02")):
        pl.place(officer, KID2, "随班就读", school="鹿角小学", date="2024-09-09")
    record = child(town, KID2)
    [current] = [p for p in pl.placement_history(Workspace.open(town.root, OPERATOR), KID2) if p["active"]]
    assert current["school"] == "鹿角小学"                   # the later decision is the current one
    assert record["placement"]["key"] == current["key"] and record["school"] == "鹿角小学"
    assert [h["by"] for h in record["status_history"]] == [OPERATOR, OFFICER]


def test_two_assessments_at_once_leave_the_later_one_on_the_record(two):
    town, officer = two
    assess = dict(members="王建国、刘芳", conclusion="能在普通学校学习")
    later = lambda: pl.assess(town, KID2, date="2024-06-20", **assess)  # noqa: E731
    # lands after the officer's assessment is stored and before the child's summary is written
    with another_edit_first(officer, later, file=shard_name(child(town, KID2)["village"])):
        pl.assess(officer, KID2, date="2024-06-12", **assess)
    assert child(town, KID2)["assessment"]["date"] == "2024-06-20"


def test_two_disability_corrections_at_once_both_stay(two):
    town, officer = two
    with another_edit_first(officer, lambda: pl.set_disability(town, KID2, grade="二级")):
        pl.set_disability(officer, KID2, certificate="5002431201203021241")
    record = child(town, KID2)
    assert (record["disability_grade"], record["disability_certificate"]) == ("二级", "5002431201203021241")
    assert record["key_groups"] == ["残疾"]
