"""Two operators on one data folder working one child's case (一生一案) at once, interleaved so that the
second one's service has read the case or the child before the first one's edit lands
(``another_edit_first``): persuasion attempts, rungs, documents, situation changes and visits never lose the
other's; a closing or a return saved meanwhile is seen; an edit of the same value that conflicts is refused
with the stale-edit message (issue 19 point 3). 双城 2020 profile, see ``test_escalation_cli``."""
from __future__ import annotations

import datetime as dt

import pytest

from kbtui.domain import roles as R
from kbtui.domain.escalation import DROPOUT, SUSPECTED
from kbtui.errors import StaleEditError
from kbtui.services.campaign import visits
from kbtui.services.escalation import absences, cases
from kbtui.services.lookup import EscalationError
from kbtui.services.workspace import Workspace
from tests.helpers.escalation import KID
from tests.helpers.reliability import another_edit_first, assert_store_matches_journal, two_operators

OPERATOR = "tester"
TEACHER = "li"
TODAY = dt.date(2020, 10, 20)


@pytest.fixture
def two(data):  # noqa: F811 - the fixture imported above
    """(town, teacher, case): two workspaces on the folder and the child's open case."""
    town, teacher = two_operators(data, TEACHER, "李老师", R.EDU_OFFICER, towns=["双城镇"])   # 双城 is a district
    absences.add_absence(town, KID, "2020-09-14")
    case = cases.open_case(town, KID, on="2020-09-20", persuader="刘校长")
    teacher.store.refresh()
    return town, teacher, case


def fresh(ws: Workspace) -> Workspace:
    return Workspace.open(ws.root, OPERATOR)


def case_now(ws: Workspace, key: str) -> dict:
    return fresh(ws).store.collection(cases.COLLECTION).get(key)


def situations(ws: Workspace) -> list[tuple[str, str, str]]:
    return [(h["by"], h["how"], h["status"]) for h in fresh(ws).store.get(KID).get("status_history") or []]


def attempt(ws: Workspace, key: str, by: str, result: str, **kwargs):
    return lambda: cases.add_attempt(ws, key, on="2020-10-12", by=by, how="家访", result=result, **kwargs)


def test_two_openings_of_one_child_s_case_at_once_leave_one_open_case(data):  # noqa: F811
    """一生一案: the township and a teacher open the child's case at the same moment. Each checked that the
    child had no open case before inserting its own, so both landed (two open cases for one child)."""
    town, teacher = two_operators(data, TEACHER, "李老师", R.EDU_OFFICER, towns=["双城镇"])   # 双城 is a district
    absences.add_absence(town, KID, "2020-09-14")
    teacher.store.refresh()
    with another_edit_first(teacher, lambda: cases.open_case(town, KID, on="2020-09-20", persuader="刘校长"),
                            file=cases.COLLECTION) as ran:
        with pytest.raises(EscalationError, match="已有未销号的案卷"):
            cases.open_case(teacher, KID, on="2020-09-21", persuader="李老师")
    opened = [c for c in cases.cases_of(fresh(town), KID) if c["status"] != "closed"]
    assert [c["key"] for c in opened] == [ran[0]["key"]] and opened[0]["persuader"] == "刘校长"
    assert_store_matches_journal(town.root, (cases.COLLECTION,))


def test_two_persuasion_attempts_at_once_both_land(two):
    town, teacher, case = two
    with another_edit_first(teacher, attempt(town, case["key"], "刘校长", "监护人答应考虑", refused=True)):
        attempt(teacher, case["key"], "李老师", "监护人拒绝送返", refused=True)()
    saved = case_now(town, case["key"])
    assert [(a["by"], a["result"]) for a in saved["attempts"]] == [("刘校长", "监护人答应考虑"),
                                                                   ("李老师", "监护人拒绝送返")]
    assert saved["legal_start"] == "2020-10-12"
    # the child's ledger field counts both, whichever process wrote it last
    assert fresh(town).store.get(KID)["persuasion"].endswith("（共2次）")
    assert_store_matches_journal(town.root, (cases.COLLECTION,))


def test_an_attempt_on_a_case_closed_meanwhile_is_refused(two):
    town, teacher, case = two
    with another_edit_first(teacher, lambda: cases.close_case(town, case["key"], "2020-10-12", outcome="户籍迁出")):
        with pytest.raises(EscalationError, match="已销号"):
            attempt(teacher, case["key"], "李老师", "监护人拒绝送返")()
    saved = case_now(town, case["key"])
    assert saved["status"] == "closed" and saved["attempts"] == []


def test_two_rungs_and_two_documents_noted_at_once_all_stay(two):
    town, teacher, case = two
    rung = {"ladder": "shuangcheng", "episode": "2020-09-14", "date": "2020-09-16"}
    with another_edit_first(teacher, lambda: cases.note_rung(town, case, {**rung, "rung": "teacher-3",
                                                                          "label": "班主任家访"})):
        cases.note_rung(teacher, case, {**rung, "rung": "teacher-7", "label": "班主任再次家访", "date": "2020-09-22"})
    assert [r["rung"] for r in case_now(town, case["key"])["rungs"]] == ["teacher-3", "teacher-7"]
    doc = {"date": "2020-10-17", "file": ""}
    with another_edit_first(teacher, lambda: cases.note_document(town, case, {**doc, "step": "order",
                                                                              "title": "责令限期改正通知书"})):
        cases.note_document(teacher, case, {**doc, "step": "supervision", "title": "督促监护令"})
    assert [d["step"] for d in case_now(town, case["key"])["documents"]] == ["order", "supervision"]


def test_two_edits_of_a_case_merge_and_a_clash_is_refused(two):
    town, teacher, case = two
    with another_edit_first(teacher, lambda: cases.update_case(town, case["key"], persuader="王书记")):
        cases.update_case(teacher, case["key"], reason="学习困难/厌学")
    saved = case_now(town, case["key"])
    assert (saved["persuader"], saved["reason"]) == ("王书记", "学习困难/厌学")
    with another_edit_first(teacher, lambda: cases.update_case(town, case["key"], persuader="张主任")):
        with pytest.raises(StaleEditError, match="您的修改未保存"):
            cases.update_case(teacher, case["key"], persuader="赵村长")
    assert case_now(town, case["key"])["persuader"] == "张主任"
    assert fresh(town).store.get(KID)["persuader"] == "张主任"


def test_a_weaker_mark_does_not_undo_a_stronger_one_saved_meanwhile(two):
    town, teacher, _case = two
    with another_edit_first(teacher, lambda: cases.mark(town, KID, DROPOUT, dt.date(2020, 10, 14), "流程推进")):
        assert cases.mark(teacher, KID, SUSPECTED, dt.date(2020, 10, 14), "流程推进") is False
    assert fresh(town).store.get(KID)["status"] == DROPOUT
    assert situations(town)[-1] == (OPERATOR, "流程推进", DROPOUT)


def test_a_return_and_a_visit_at_once_both_stay_in_the_history(two):
    town, teacher, case = two
    home_visit = lambda: visits.record_finding(town, KID, "外地就读", date="2020-10-15", today=TODAY,  # noqa: E731
                                               school="成都市第一小学")
    with another_edit_first(teacher, home_visit):
        cases.record_return(teacher, case["key"], "2020-10-16", school="双城区第二小学")
    assert situations(town)[-2:] == [(OPERATOR, "入户", "外地就读"), (TEACHER, "劝返复学", "劝返复学")]
    # the school the visit found stays: the return fills the school only when there is none
    assert fresh(town).store.get(KID)["school"] == "成都市第一小学"


def test_closing_keeps_the_situation_a_visit_saved_meanwhile(two):
    town, teacher, case = two
    cases.record_return(town, case["key"], "2020-10-16")
    home_visit = lambda: visits.record_finding(town, KID, "在籍在校", date="2020-10-19", today=TODAY)  # noqa: E731
    with another_edit_first(teacher, home_visit):
        cases.close_case(teacher, case["key"], "2020-10-20")
    record = fresh(town).store.get(KID)
    assert record["status"] == "在籍在校"
    assert situations(town)[-2:] == [(OPERATOR, "入户", "在籍在校"), (TEACHER, "动态销号", "在籍在校")]


def test_a_return_date_recorded_twice_at_once_refuses_the_other_date(two):
    town, teacher, case = two
    with another_edit_first(teacher, lambda: cases.record_absence_return(town, KID, "2020-10-16")):
        with pytest.raises(StaleEditError, match="您的修改未保存"):
            cases.record_absence_return(teacher, KID, "2020-10-19")
    [doc] = fresh(town).store.collection(absences.COLLECTION).find(id_number=KID)
    assert doc["returned_on"] == "2020-10-16" and case_now(town, case["key"])["returned_on"] == "2020-10-16"
