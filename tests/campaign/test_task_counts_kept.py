"""The visit tasks' counts kept per village file (services.campaign.tasks_kept) equal task_report's full count
after each kind of change: an edit, a visit, a planned visit, a due date, an import, another operator's save,
a new day, the next start (from the disk copy), a damaged disk copy, a village cadre's scope."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kbtui.services.campaign import tasks, visits
from kbtui.services.campaign.tasks_kept import kept_task_summary, task_counts_cache
from kbtui.services.children.counts import CACHE_DIR
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.tasks import overdue_panel
from tests.helpers.imports import OPERATOR, cid, police_rows, run, run_json, workspace, xlsx
from tests.helpers.ledgers import B, C, ledger_township

TODAY = dt.date(2024, 9, 10)
D = cid("2016-01-02", 31)
E = cid("2015-06-07", 41)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = ledger_township(tmp_path)
    run_json(d, "import", "police", str(xlsx(tmp_path / "p1.xlsx", police_rows([      # two to visit in 新村
        (D, "赵六", "女", "2016-01-02", "新村", "2组", "", "赵父", ""),
        (E, "钱七", "男", "2015-06-07", "新村", "3组", "", "钱母", ""),
    ]))))
    return d


def assert_same(ws: Workspace, today: dt.date | dt.datetime = TODAY) -> list[str]:
    """The kept counts equal a full count; returns the village files counted again."""
    kept = kept_task_summary(ws, today)
    full = tasks.task_report(ws, today)
    assert kept == {k: full[k] for k in ("by_person", "by_village", "totals")}
    return task_counts_cache(ws).recounted


def test_kept_task_counts_equal_a_full_count_after_each_kind_of_change(data: Path, tmp_path: Path):
    ws = workspace(data)
    tasks.sync_tasks(ws)
    assert sorted(assert_same(ws)) == ["尖山村", "新村", "高峰村"]
    assert kept_task_summary(ws, TODAY)["totals"]["assigned"] >= 2
    assert assert_same(ws) == []                                            # nothing changed: nothing counted

    ws.store.update(D, {"responsible_gov": "村干部甲", "responsible_edu": "教师乙"}, OPERATOR)   # an edit
    assert assert_same(ws) == ["新村"]
    people = {p["person"] for p in kept_task_summary(ws, TODAY)["by_person"]}
    assert {"村干部甲", "教师乙"} <= people

    late = dt.datetime(2024, 9, 1, 23, 59)
    assert tasks.set_due(ws, [E], late) == 1                                # a due date (tasks only)
    assert assert_same(ws) == ["新村"]
    assert kept_task_summary(ws, TODAY)["totals"]["late"] == 1

    tasks.plan_visit(ws, C, dt.date(2024, 9, 5), visitor="村干部甲", reason="缺课")   # a planned visit
    assert assert_same(ws) == ["高峰村"]

    visits.record_finding(ws, E, "外地就读", school="广东某小学", date="2024-09-09", today=TODAY)   # a visit
    assert assert_same(ws) == ["新村"]
    assert kept_task_summary(ws, TODAY)["totals"]["late"] == 1              # the planned visit is late now

    run_json(data, "import", "police", str(xlsx(tmp_path / "p2.xlsx", police_rows([    # an import (its process)
        (cid("2014-02-03", 51), "孙八", "男", "2014-02-03", "尖山村", "1组", "", "孙父", ""),
    ]))))
    tasks.sync_tasks(ws)
    assert assert_same(ws) == ["尖山村"]

    other = workspace(data)                                                 # another operator's save
    other.store.update(B, {"village": "新村"}, OPERATOR)
    assert sorted(assert_same(ws)) == ["尖山村", "新村"]

    assert sorted(assert_same(ws, TODAY + dt.timedelta(days=30))) == ["尖山村", "新村", "高峰村"]   # a new day


def test_the_next_start_counts_nothing_and_a_changed_village_again(data: Path):
    ws = workspace(data)
    tasks.sync_tasks(ws)
    counted = kept_task_summary(ws, TODAY)
    assert list((data / CACHE_DIR).glob("tasks-*.json"))

    again = workspace(data)
    assert assert_same(again) == [] and kept_task_summary(again, TODAY) == counted

    workspace(data).store.update(D, {"status": "外地就读"}, OPERATOR)      # another process saves a village
    later = workspace(data)
    assert assert_same(later) == ["新村"] and kept_task_summary(later, TODAY) != counted


def test_a_damaged_or_foreign_cache_file_is_ignored(data: Path):
    ws = workspace(data)
    tasks.sync_tasks(ws)
    expected = kept_task_summary(ws, TODAY)
    for content in (b"", b"{not json", b'{"key": "other", "files": {}}', b"[1, 2]",
                    b'{"key": "%s", "files": {"x": 1}}'):
        for path in (data / CACHE_DIR).glob("tasks-*.json"):
            path.write_bytes(content.replace(b"%s", path.stem.removeprefix("tasks-").encode()))
        fresh = workspace(data)
        assert kept_task_summary(fresh, TODAY) == expected
        assert assert_same(fresh) == []


def test_a_village_cadre_gets_the_tasks_of_their_village_only(data: Path):
    tasks.sync_tasks(workspace(data))
    run(data, "operators", "add", "cadre", "--role", "村干部", "--village", "新村", "--name", "村干部甲")
    cadre = Workspace.open(data, "cadre")
    assert sorted(assert_same(cadre)) == ["尖山村", "新村", "高峰村"]   # the others hold none of theirs
    assert {v["village"] for v in kept_task_summary(cadre, TODAY)["by_village"]} == {"新村"}
    admin = workspace(data)
    assert_same(admin)
    assert task_counts_cache(admin).context_key("c", None) != task_counts_cache(cadre).context_key("c", None)


def test_the_dashboard_panel_shows_the_kept_counts(data: Path):
    ws = workspace(data)
    tasks.sync_tasks(ws)
    tasks.set_due(ws, [E], dt.datetime(2024, 9, 1, 23, 59))
    text = overdue_panel(ws, TODAY)
    assert "逾期 1" in text and "新村" in text
