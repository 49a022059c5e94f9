"""Two operators on one data folder (two ``Workspace.open``), interleaved so that the second one's service has
read the record before the first one's edit lands (``another_edit_first``): visits, evidence, checking steps,
settled conflicts, imports, the campaign switch and visit tasks never lose the other operator's edit; an edit
of the same value that conflicts is refused with the stale-edit message (issue 19 point 3)."""
from __future__ import annotations

import datetime as dt

import pytest

from kbtui.domain import roles as R
from kbtui.domain.checking import Checker
from kbtui.errors import StaleEditError
from kbtui.services.campaign import campaigns, checking, evidence, people, responsibility, spotcheck, tasks, visits
from kbtui.services.intake import merge
from kbtui.services.intake.importer import import_list
from kbtui.services.workspace import Workspace
from kbtui.store import shard_name
from tests.helpers.campaign import OPERATOR, make_workspace, pending_ids
from tests.helpers.imports import SCHOOL_HEADER, xlsx
from tests.helpers.reliability import another_edit_first, assert_store_matches_journal, two_operators

TODAY = dt.date(2024, 9, 12)
CADRE = "cadre"


@pytest.fixture
def two(tmp_path):
    """(town, cadre, child): the township's workspace, a village cadre's on the same folder, a child to visit
    in the cadre's village."""
    made = make_workspace(tmp_path, "shuangshan-2024", 200)
    child = pending_ids(made)[0]
    tasks.sync_tasks(made)
    town, cadre = two_operators(made.root, CADRE, "村支书", R.VILLAGE_CADRE, [made.store.get(child)["village"]])
    return town, cadre, child


def history(ws: Workspace, child: str) -> list[tuple[str, str]]:
    fresh = Workspace.open(ws.root, OPERATOR)
    return [(h["by"], h["status"]) for h in fresh.store.get(child)["status_history"]]


def visit(ws: Workspace, child: str, status: str, **kwargs):
    return lambda: visits.record_finding(ws, child, status, date="2024-09-11", today=TODAY, **kwargs)


def test_two_visits_of_one_child_both_land(two):
    town, cadre, child = two
    with another_edit_first(cadre, visit(town, child, "外地就读", note="镇里电话核实")):
        saved = visit(cadre, child, "在籍在校", note="入户看到在校")()
    assert history(town, child)[-2:] == [(OPERATOR, "外地就读"), (CADRE, "在籍在校")]
    assert saved["status"] == "在籍在校" and saved["note"] == "入户看到在校"
    visits_journaled = [(e["operator"], e["changes"]["status"][1]) for e in town.store.journal.entries(record=child)
                        if e["action"] == "visit"]
    assert visits_journaled == [(OPERATOR, "外地就读"), (CADRE, "在籍在校")]
    assert_store_matches_journal(town.root, ("tasks",))


def test_evidence_and_a_visit_at_once_both_land(two):
    town, cadre, child = two
    with another_edit_first(cadre, visit(town, child, "外地就读", evidence=["就读证明（纸质）"])):
        evidence.add_evidence(cadre, child, ["学籍卡复印件（纸质）"])
    fresh = Workspace.open(town.root, OPERATOR).store.get(child)
    assert [(e["description"], e["by"]) for e in fresh["evidence"]] == [
        ("就读证明（纸质）", OPERATOR), ("学籍卡复印件（纸质）", CADRE)]
    assert all(e["status"] == "外地就读" for e in fresh["evidence"])   # the cadre's goes with the new finding
    assert history(town, child)[-1] == (OPERATOR, "外地就读")


def test_a_visit_closes_the_task_once_when_two_land_at_once(two):
    town, cadre, child = two
    in_school = next(r["id_number"] for r in town.store.all() if r["id_number"] != child
                     and town.context().classify(r).situation == "在籍在校" and r["village"] == cadre.store.get(
                         child)["village"])
    assert not town.store.collection("tasks").find(id_number=in_school)
    for kid in (child, in_school):            # a task to close, and none yet (made closed by the first visit)
        with another_edit_first(cadre, visit(town, kid, "外地就读"), file="tasks"):
            visit(cadre, kid, "在籍在校")()
        [task] = Workspace.open(town.root, OPERATOR).store.collection("tasks").find(id_number=kid)
        assert task["state"] == tasks.DONE and task["done_by"] == OPERATOR      # the first one closed it
    assert_store_matches_journal(town.root, ("tasks",))


def test_a_sync_after_a_visit_does_not_reopen_the_task(two):
    town, cadre, child = two
    visit(town, child, "外地就读")()            # the cadre's workspace still holds the child as 待核实
    assert cadre.store.get(child).get("status") is None
    counts = tasks.sync_tasks(cadre)
    assert counts["reopened"] == 0
    [task] = Workspace.open(town.root, OPERATOR).store.collection("tasks").find(id_number=child)
    assert task["state"] == tasks.DONE and task["done_by"] == OPERATOR


def test_a_task_closed_while_a_sync_updates_it_stays_closed(two):
    town, cadre, child = two
    town.store.update(child, {"responsible_gov": "新的村干部"}, OPERATOR)
    cadre.store.refresh()
    with another_edit_first(cadre, visit(town, child, "外地就读"), file="tasks"):
        tasks.sync_tasks(cadre)              # wants to give the open task its new assignee
    [task] = Workspace.open(town.root, OPERATOR).store.collection("tasks").find(id_number=child)
    assert task["state"] == tasks.DONE and task["done_by"] == OPERATOR


def test_a_checking_step_on_a_finding_changed_meanwhile_is_refused(two):
    town, cadre, child = two
    visit(town, child, "外地就读")()
    checker = Checker("村支书", ("村干部",), town.store.get(child)["village"])
    cadre.store.refresh()
    with another_edit_first(cadre, visit(town, child, "休学", reason="因病")):
        # the cadre looked at 外地就读; a new finding came in before the step was saved
        with pytest.raises(StaleEditError, match="您的修改未保存"):
            checking.review(cadre, child, "村/校核查", checker=checker)
    record = Workspace.open(town.root, OPERATOR).store.get(child)
    assert record["status"] == "休学" and record["check_level"] == "录入" and not record.get("check_history")
    assert history(town, child)[-2:] == [(OPERATOR, "外地就读"), (OPERATOR, "休学")]
    # seen again, the new finding takes the step
    again = Workspace.open(town.root, CADRE)
    assert checking.review(again, child, "村/校核查", checker=checker)["check_level"] == "村/校核查"


def test_the_same_checking_step_twice_at_once_is_taken_once(two):
    town, cadre, child = two
    visit(town, child, "外地就读")()
    checker = Checker("村支书", ("村干部",), town.store.get(child)["village"])
    cadre.store.refresh()
    with another_edit_first(cadre, lambda: checking.review(town, child, "村/校核查", checker=checker)):
        with pytest.raises(checking.ReviewError, match="村/校核查"):
            checking.review(cadre, child, "村/校核查", checker=checker)
    record = Workspace.open(town.root, OPERATOR).store.get(child)
    assert [h["level"] for h in record["check_history"]] == ["村/校核查"]


def test_two_conflicts_settled_at_once_both_stay_settled(two):
    town, cadre, child = two
    town.store.update(child, {merge.CONFLICTS: {
        "guardian": [{"source": "school", "value": "王大", "file": "学籍.xlsx", "row": 3}],
        "guardian_phone": [{"source": "school", "value": "13900000000", "file": "学籍.xlsx", "row": 3}]}},
        OPERATOR)
    cadre.store.refresh()
    with another_edit_first(cadre, lambda: merge.resolve_conflict(town, child, "guardian", "王大")):
        merge.resolve_conflict(cadre, child, "guardian_phone", "13900000000")
    record = Workspace.open(town.root, OPERATOR).store.get(child)
    assert record[merge.CONFLICTS] == {}          # the first one's settled conflict does not come back
    assert record["guardian"] == "王大" and record["guardian_phone"] == "13900000000"


def test_a_campaign_switch_keeps_a_visit_saved_meanwhile(two):
    town, cadre, child = two
    campaigns.new_campaign(town, "2025-spring", "2025年春季学期排查", 2025, switch=False)
    with another_edit_first(town, visit(cadre, child, "外地就读")):
        campaigns.switch_campaign(town, "2025-spring")
    record = Workspace.open(town.root, OPERATOR).store.get(child)
    old = record["findings"]["2024-autumn-shuangshan"] if "2024-autumn-shuangshan" in record["findings"] else \
        next(iter(record["findings"].values()))
    assert old["status"] == "外地就读" and old["status_history"][-1]["by"] == CADRE
    assert record.get("status") is None and record["finding_campaign"] == "2025-spring"


def test_an_import_keeps_what_a_visit_saved_meanwhile(two, tmp_path):
    town, cadre, child = two
    record = town.store.get(child)
    assert not record.get("grade") and not record.get("school")
    school_list = xlsx(tmp_path / "学籍.xlsx", [["双山小学学生名单"], SCHOOL_HEADER, [
        "双山小学", record["name"], child, record.get("sex") or "", record.get("birth_date") or "", "4", "2班",
        "G" + child, "在读", "", ""]])
    importing = Workspace.open(town.root, OPERATOR)
    with another_edit_first(importing, visit(cadre, child, "在籍在校", grade="三年级"),
                            file=shard_name(record["village"])):
        result = import_list(importing, "school", school_list)
    assert result.updated == 1
    after = Workspace.open(town.root, OPERATOR).store.get(child)
    # the list fills what nobody had set and keeps the visit's grade; its own grade waits as a conflict
    assert (after["school"], after["class_name"], after["grade"]) == ("双山小学", "2班", "三年级")
    assert [c["value"] for c in after[merge.CONFLICTS]["grade"]] == ["四年级"]
    assert history(town, child)[-1] == (CADRE, "在籍在校") and "school" in after["sources"]


def test_a_due_date_set_twice_at_once_refuses_the_second(two):
    town, cadre, child = two
    with another_edit_first(cadre, lambda: tasks.set_due(town, [child], dt.date(2024, 9, 20)), file="tasks"):
        with pytest.raises(StaleEditError, match="您的修改未保存"):
            tasks.set_due(cadre, [child], dt.date(2024, 9, 25))
    [task] = Workspace.open(town.root, OPERATOR).store.collection("tasks").find(id_number=child)
    assert task["due"] == "2024-09-20T23:59"


def test_two_spotcheck_results_for_one_child_refuse_the_second(two):
    town, cadre, child = two
    with another_edit_first(cadre, lambda: spotcheck.record_result(town, child, "外地就读", by="督查甲")):
        with pytest.raises(StaleEditError, match="您的修改未保存"):
            spotcheck.record_result(cadre, child, "在籍在校", by="督查乙")
    [result] = Workspace.open(town.root, OPERATOR).store.collection(spotcheck.RESULTS).find(id_number=child)
    assert (result["status"], result["by"]) == ("外地就读", "督查甲")
    # the same result recorded again is no conflict
    cadre_again = Workspace.open(town.root, CADRE)
    assert spotcheck.record_result(cadre_again, child, "外地就读", by="督查甲")["status"] == "外地就读"


def test_a_person_edited_twice_at_once_merges_fields_and_refuses_a_conflict(two):
    town, _cadre, _child = two
    key = people.add_person(town, "王老师", "教师", "双山小学", "13800000001")["key"]
    other = Workspace.open(town.root, OPERATOR)
    other.store.collection(people.PEOPLE).get(key)
    with another_edit_first(other, lambda: people.update_person(town, key, {"phone": "13800000002"})):
        people.update_person(other, key, {"covers": "高峰村"})           # another field: both stay
    person = Workspace.open(town.root, OPERATOR).store.collection(people.PEOPLE).get(key)
    assert person["phone"] == "13800000002" and person["covers"] == ["高峰村"]
    with another_edit_first(other, lambda: people.update_person(town, key, {"phone": "13800000003"})):
        with pytest.raises(StaleEditError, match="您的修改未保存"):
            people.update_person(other, key, {"phone": "13800000004"})
    assert Workspace.open(town.root, OPERATOR).store.collection(people.PEOPLE).get(key)["phone"] == "13800000003"


def test_a_line_given_by_hand_meanwhile_is_not_overwritten_by_the_rule(two):
    town, _cadre, child = two
    village = town.store.get(child)["village"]
    people.add_person(town, "村支书甲", "村干部", village)
    people.add_person(town, "王老师", "教师", "双山小学")
    people.add_person(town, "李镇干部", "镇干部", "双山镇")
    by_rule = Workspace.open(town.root, OPERATOR)
    by_hand = lambda: responsibility.assign_by_hand(town, [town.store.get(child)], gov="李镇干部")  # noqa: E731
    with another_edit_first(by_rule, by_hand):
        result = responsibility.assign_by_rule(by_rule)        # fills the lines that have nobody
    assert result["changed"] > 1
    after = Workspace.open(town.root, OPERATOR).store
    assert after.get(child)["responsible_gov"] == "李镇干部"
    others = [r for r in after.all()
              if r["village"] == village and r["id_number"] != child and r.get("responsible_gov")]
    assert others and all(r["responsible_gov"] == "村支书甲" for r in others)


def test_a_register_import_does_not_overwrite_a_phone_changed_meanwhile(two):
    town, _cadre, _child = two
    key = people.add_person(town, "王老师", "教师", "双山小学", "13800000001")["key"]
    importing = Workspace.open(town.root, OPERATOR)
    rows = [(2, {"name": "王老师", "role": "教师", "unit": "双山小学", "phone": "13800000009"}),
            (3, {"name": "李老师", "role": "教师", "unit": "双山小学", "phone": "13800000005"})]
    with another_edit_first(importing, lambda: people.update_person(town, key, {"phone": "13800000002"})):
        result = people.import_rows(importing, rows)
    assert (result.added, result.updated) == (1, 0)
    assert result.rejected == [(2, "王老师（双山小学）刚被其他操作员修改，本行未导入，请核对后重新导入")]
    assert Workspace.open(town.root, OPERATOR).store.collection(people.PEOPLE).get(key)["phone"] == "13800000002"


def test_two_spotcheck_draws_at_once_keep_the_first(tmp_path):
    town = make_workspace(tmp_path, "shuangshan-2024", 600)
    other = Workspace.open(town.root, OPERATOR)
    first = []
    with another_edit_first(other, lambda: first.append(spotcheck.draw(town, seed=42))):
        with pytest.raises(spotcheck.SpotcheckError, match="已经抽取过"):
            spotcheck.draw(other, seed=43)
    assert spotcheck.current_draw(Workspace.open(town.root, OPERATOR))["seed"] == 42
