"""Issue 18: the dashboard's counts kept per village file (memory and disk) equal a full recount after
every kind of change, and a kept count is never shown for a state it was not made from."""
from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import pytest

from kbtui.domain.classify import CLASSIFY_FIELDS, Classifier, classify
from kbtui.services.campaign import visits
from kbtui.services.children.counts import CACHE_DIR, count_children, counts_cache
from kbtui.services.dashboard import cached_dashboard, dashboard, dashboard_before_load
from kbtui.services.workspace import Workspace
from kbtui.store import layout
from tests.helpers.imports import OPERATOR, cid, police_rows, run, run_json, workspace, xlsx
from tests.helpers.ledgers import A, B, C, export, fill, ledger_township

TODAY = dt.date(2024, 9, 10)
D = cid("2016-01-02", 31)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return ledger_township(tmp_path)


def assert_recount(ws) -> list[str]:
    """The kept counts equal every child counted afresh; returns the village files counted again."""
    kept = cached_dashboard(ws, TODAY)
    recounted = counts_cache(ws).recounted
    assert kept == dashboard(ws, TODAY)
    assert counts_cache(ws).current().as_json() == count_children(ws.store.all(), ws.context()).as_json()
    return recounted


def test_kept_counts_equal_a_full_recount_after_each_kind_of_change(data: Path, tmp_path: Path):
    ws = workspace(data)
    assert sorted(assert_recount(ws)) == ["尖山村", "高峰村"]
    assert assert_recount(ws) == []                       # nothing changed: nothing counted

    ws.store.update(C, {"note": "父母在外务工"}, OPERATOR)           # an edit
    assert assert_recount(ws) == ["高峰村"]

    visits.record_finding(ws, B, "外地就读", school="广东某小学", date="2024-09-09", today=TODAY)   # a visit
    before = dashboard(ws, TODAY).pending
    assert assert_recount(ws) == ["尖山村"]
    assert cached_dashboard(ws, TODAY).pending == before

    run_json(data, "import", "police", str(xlsx(tmp_path / "p2.xlsx", police_rows([    # an import (its process)
        (D, "赵六", "女", "2016-01-02", "新村", "2组", "", "赵父", ""),
    ]))))
    assert assert_recount(ws) == ["新村"]
    assert cached_dashboard(ws, TODAY).children == 4

    filled = fill(export(data, tmp_path), tmp_path / "filled.xlsx",            # a ledger back-filled
                  {"张三": {"排查走访情况": "外地就读（广东东莞长安镇）", "排查人": "村干部甲"}})
    assert run_json(data, "ledger", "import", str(filled), "--yes")["applied"] == 1
    assert assert_recount(ws) == ["高峰村"]
    assert workspace(data).store.get(A)["status"] == "外地就读"

    other = workspace(data)                                                    # another operator's save
    other.store.update(D, {"village": "尖山村"}, OPERATOR)
    assert sorted(assert_recount(ws)) == ["尖山村", "新村"]
    assert cached_dashboard(ws, TODAY).by_village == {"尖山村": 2, "高峰村": 2}


def test_counts_on_disk_are_shown_at_start_only_while_every_village_file_is_unchanged(data: Path):
    first = workspace(data)
    counted = cached_dashboard(first, TODAY)
    assert list((data / CACHE_DIR).glob("counts-*.json"))

    lazy = Workspace.open(data, OPERATOR, load_children=False)
    assert dashboard_before_load(lazy, TODAY) == counted             # nothing read: the kept counts
    lazy.refresh_children()
    assert cached_dashboard(lazy, TODAY) == counted and counts_cache(lazy).recounted == []

    workspace(data).store.update(B, {"status": "外地就读"}, OPERATOR)   # another process saves a village
    stale = Workspace.open(data, OPERATOR, load_children=False)
    assert dashboard_before_load(stale, TODAY) is None                   # never shown as current
    stale.refresh_children()
    fresh = cached_dashboard(stale, TODAY)
    assert fresh == dashboard(stale, TODAY) and fresh != counted
    assert counts_cache(stale).recounted == ["尖山村"]

    # the same bytes written again (a new file: new inode and times) are counted again, not trusted
    path = layout.children_dir(data) / "尖山村.json"
    raw = path.read_bytes()
    os.replace(path, path.with_suffix(".old"))
    path.write_bytes(raw)
    os.chmod(path, 0o600)
    assert dashboard_before_load(Workspace.open(data, OPERATOR, load_children=False), TODAY) is None

    # a village file added or removed by another process
    again = workspace(data)
    cached_dashboard(again, TODAY)
    (layout.children_dir(data) / "尖山村.json").rename(layout.children_dir(data) / ".gone")
    assert dashboard_before_load(Workspace.open(data, OPERATOR, load_children=False), TODAY) is None


def test_a_damaged_or_foreign_cache_file_is_ignored(data: Path):
    ws = workspace(data)
    expected = cached_dashboard(ws, TODAY)
    for content in (b"", b"{not json", b'{"key": "other", "files": {}}', b'{"key": 1}', b"[1, 2]"):
        for path in (data / CACHE_DIR).glob("counts-*.json"):
            path.write_bytes(content if content != b'{"key": 1}' else path.read_bytes()[:40])
        lazy = Workspace.open(data, OPERATOR, load_children=False)
        assert dashboard_before_load(lazy, TODAY) is None
        lazy.refresh_children()
        assert cached_dashboard(lazy, TODAY) == expected


def test_a_village_cadre_gets_counts_of_their_villages_only(data: Path):
    run(data, "operators", "add", "cadre", "--role", "村干部", "--village", "高峰村", "--name", "村干部甲")
    cadre = Workspace.open(data, "cadre")
    mine = cached_dashboard(cadre, TODAY)
    assert mine == dashboard(cadre, TODAY) and mine.children == 2 and set(mine.by_village) == {"高峰村"}
    admin = workspace(data)
    assert cached_dashboard(admin, TODAY).children == 3          # another scope, another key
    assert counts_cache(admin).context_key() != counts_cache(cadre).context_key()
    lazy = Workspace.open(data, "cadre", load_children=False)
    assert dashboard_before_load(lazy, TODAY) == mine


def test_the_campaign_year_is_part_of_the_key(data: Path):
    ws = workspace(data)
    cached_dashboard(ws, TODAY)
    key = counts_cache(ws).context_key()
    run(data, "campaign", "new", "2025-spring", "--year", "2025", "--title", "双山镇2025年春期大排查")
    ws2 = workspace(data)
    assert counts_cache(ws2).context_key() != key
    assert cached_dashboard(ws2, TODAY) == dashboard(ws2, TODAY)


class _Reading(dict):
    """A record that notes which fields are read."""

    def __init__(self, *args, seen: set[str]) -> None:
        super().__init__(*args)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)


def test_classify_reads_only_the_fields_the_classifier_remembers_it_by(demo_dir: Path):
    ws = Workspace.open(demo_dir, "tester")
    profile = ws.campaign_profile
    seen: set[str] = set()
    for record in ws.store.all():
        classify(_Reading(record, seen=seen), profile)
    assert seen <= set(CLASSIFY_FIELDS)


def test_the_classifier_gives_what_classify_gives(demo_dir: Path):
    ws = Workspace.open(demo_dir, "tester")
    profile = ws.campaign_profile
    rng = random.Random(18)
    records = list(ws.store.all())
    odd = [{"birth_date": "2015-02-30"}, {"birth_date": 20150101}, {"sources": "police"}, {"sources": ("school",)},
           {"sources": ["school"], "school": "双山小学", "enrollment_status": " 休学 "}, {"status": "外地就读"},
           {"sources": [["police"]], "birth_date": "2015-01-01"}, {}]
    classifier = Classifier(profile)
    for record in rng.sample(records, 500) + odd + rng.sample(records, 500):
        assert classifier(record) == classify(record, profile), record
