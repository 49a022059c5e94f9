"""Visit tasks: made for children needing a visit, assigned to both lines, done by a visit, late after
the visit phase's deadline (双山 上门入户排查 9/20)."""
import datetime as dt

import pytest

from kbtui.services.campaign import people, responsibility, tasks, visits
from tests.conftest import run_cli
from tests.helpers.campaign import make_workspace, pending_ids


@pytest.fixture
def ws(tmp_path):
    ws = make_workspace(tmp_path, "shuangshan-2024", 300)
    for village in ws.profile.villages:
        people.add_person(ws, f"{village}书记", "村支部书记", village)
    for name in ("甲老师", "乙老师", "丙老师"):
        people.add_person(ws, name, "教师", "双山小学")
    return ws


def test_tasks_follow_the_records(ws):
    need = pending_ids(ws)
    assert need
    result = responsibility.assign_by_rule(ws)
    assert result["unassigned_gov"] == result["unassigned_edu"] == 0
    report = tasks.task_report(ws, dt.date(2024, 9, 15))
    assert report["totals"] == {"assigned": len(need), "done": 0, "open": len(need), "late": 0, "unassigned": 0}
    assert report["deadline"] == "2024-09-20T23:59"
    assert sum(v["assigned"] for v in report["by_village"]) == len(need)
    gov = [p for p in report["by_person"] if p["line"] == "gov"]
    edu = [p for p in report["by_person"] if p["line"] == "edu"]
    assert sum(p["assigned"] for p in gov) == sum(p["assigned"] for p in edu) == len(need)
    assert {p["person"] for p in edu} == {"甲老师", "乙老师", "丙老师"}

    # a visit closes the task; the rest are late after 9/20
    first = need[0]
    visits.record_finding(ws, first, "在籍在校", school="双山小学", date="2024-09-12", today=dt.date(2024, 9, 12))
    late = tasks.task_report(ws, dt.date(2024, 9, 21))
    assert late["totals"]["done"] == 1 and late["totals"]["late"] == len(need) - 1
    done = next(t for t in late["tasks"] if t["id_number"] == first)
    assert done["state"] == "done" and done["done_by"] == "tester"
    assert tasks.task_report(ws, dt.date(2024, 9, 21), overdue=True)["tasks"][0]["late"]

    # per person filter
    teacher = ws.store.get(need[1])["responsible_edu"]
    mine = tasks.task_report(ws, dt.date(2024, 9, 15), person=teacher)
    assert mine["tasks"] and all(teacher in (t["gov"], t["edu"]) for t in mine["tasks"])
    assert [p["person"] for p in mine["by_person"]] == [teacher]


def test_task_due_date_and_sync(ws):
    need = pending_ids(ws)
    counts = tasks.sync_tasks(ws)
    assert counts["created"] == len(need)
    assert tasks.sync_tasks(ws) == {"created": 0, "updated": 0, "closed": 0, "reopened": 0}
    tasks.set_due(ws, [need[0]], dt.date(2024, 9, 10))
    report = tasks.task_report(ws, dt.date(2024, 9, 11))
    assert report["totals"]["late"] == 1
    # a finding entered some other way (an import, an edit) also closes the task
    ws.store.update(need[1], {"status": "外地就读"}, "tester")
    assert tasks.sync_tasks(ws)["closed"] == 1
    assert tasks.task_report(ws, dt.date(2024, 9, 11))["totals"]["done"] == 1
    # assignment by hand for one group updates the open tasks' people
    record = ws.store.get(need[2])
    responsibility.assign_by_hand(ws, responsibility.select(ws, village=record["village"], group=record["group"]),
                                  edu="丙老师")
    task = ws.store.collection("tasks").get(tasks.task_key("2024-autumn", need[2]))
    assert task["edu"] == "丙老师"


def test_tasks_cli(ws):
    responsibility.assign_by_rule(ws)
    out = run_cli("tasks", "--today", "2024-09-21", data_dir=ws.root)
    assert out.exit_code == 0, out.output
    assert "逾期" in out.output and "按村" in out.output and "甲老师（教育线）" in out.output
    import json

    data = json.loads(run_cli("tasks", "--json", "--overdue", "--today", "2024-09-21", data_dir=ws.root).stdout)
    assert data["totals"]["late"] == len(data["tasks"]) > 0
    data = json.loads(run_cli("tasks", "--json", "--today", "2024-09-14", data_dir=ws.root).stdout)
    assert data["totals"]["late"] == 0
