"""The store contract (``kbtui.store.repository``), run against both backends through ``store_backend``: the
TinyDB store in a folder and the PostgreSQL store on a real throwaway server.

Versions and stale edits, whole-or-nothing writes, scoped reads, bulk insert, the journal's chain, 8
concurrent writer processes without a lost acknowledged write, writers killed with SIGKILL leaving nothing
half-written.
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kbtui.errors import RecordNotFound, StaleEditError, StoreError
from kbtui.services.access.operators import Operator
from kbtui.services.access.scope import ScopedStore
from kbtui.store.repository import (
    ChildRepository,
    CollectionRepository,
    JournalRepository,
    StoreBackend,
    conformance_problems,
)

REPO = Path(__file__).resolve().parents[2]


def _child(id_number: str, village: str = "东村", **extra) -> dict:
    return {"id_number": id_number, "name": "测试", "village": village, "school": "", "count": 0, **extra}


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k:0{18 - len(prefix)}d}" for k in range(n)]


def _journal_size(store) -> int:
    return len(list(store.journal.entries()))


def replayed(store) -> dict[str, dict]:
    """The children as the journal says they are (every entry's changes folded in, in order)."""
    dropped = {e["detail"]["rolled_back_tx"] for e in store.journal.entries() if e.get("action") == "tx.rollback"}
    children: dict[str, dict] = {}
    for entry in store.journal.entries():
        record = entry.get("record")
        if record is None or entry.get("_tx") in dropped or (entry.get("detail") or {}).get("collection"):
            continue
        target = children.setdefault(record, {})
        for field, (_old, new) in (entry.get("changes") or {}).items():
            target[field] = new
    return {k: v for k, v in children.items() if v}


def assert_store_matches_journal(store) -> None:
    ok, seq, message = store.journal.verify()
    assert ok, (seq, message)
    journal = replayed(store)
    assert set(store.ids()) == set(journal)
    for rec in store.all():
        assert {k: v for k, v in rec.items() if not k.startswith("_")} == journal[rec["id_number"]]


# -- the protocols -------------------------------------------------------------------------------------------

def test_both_backends_satisfy_the_protocols(store_backend):
    store = store_backend.open()
    assert conformance_problems(store, StoreBackend) == []
    assert conformance_problems(store, ChildRepository) == []
    assert conformance_problems(store.collection("tasks"), CollectionRepository) == []
    assert conformance_problems(store.journal, JournalRepository) == []


# -- versions ------------------------------------------------------------------------------------------------

def test_versions_and_a_stale_edit_refused_never_written(store_backend):
    store = store_backend.open()
    a = "370406201501010011"
    store.insert_many([_child(a)], "录入员")
    assert store.get(a)["_v"] == 1
    saved = store.update(a, {"note": "一"}, "甲", expected_version=1)
    assert (saved["_v"], saved["_by"], saved["note"]) == (2, "甲", "一")
    other = store_backend.open()                 # another operator's process, which read version 2
    read = other.get(a)
    before = _journal_size(store)
    with pytest.raises(StaleEditError) as refused:
        store.update(a, {"note": "二"}, "乙", expected_version=1)
    assert "您的修改未保存" in str(refused.value) and refused.value.current["_v"] == 2
    assert refused.value.attempted == {"note": "二"}
    # nothing changes: same record, no journal entry
    assert store.update(a, {"note": "一"}, "丙")["_v"] == 2
    assert _journal_size(store) == before
    # base: another's change of another field merges; of the same field refuses
    store.update(a, {"status_reason": "甲改"}, "甲")
    merged = other.update(a, {"note": "乙改"}, "乙", base=read)
    assert (merged["status_reason"], merged["note"], merged["_v"]) == ("甲改", "乙改", 4)
    with pytest.raises(StaleEditError):
        other.update(a, {"status_reason": "乙也改"}, "乙", base=read)
    fresh = store_backend.open()
    assert fresh.get(a)["status_reason"] == "甲改" and fresh.get(a)["_v"] == 4
    with pytest.raises(RecordNotFound):
        store.update("370406201501019999", {"note": "x"}, "甲")
    assert_store_matches_journal(fresh)


def test_a_function_change_sees_the_record_as_it_is_under_the_lock(store_backend):
    store, other = store_backend.open(), store_backend.open()
    a = "370406201501010011"
    store.insert_many([_child(a, visits=[])], "录入员")
    other.update(a, lambda cur: {"visits": [*cur["visits"], "乙"]}, "乙")
    store.update(a, lambda cur: {"visits": [*cur["visits"], "甲"]}, "甲")     # store's index still had []
    assert store.get(a)["visits"] == ["乙", "甲"]


# -- whole or nothing ----------------------------------------------------------------------------------------

def test_every_write_is_whole_or_nothing(store_backend):
    store = store_backend.open()
    first = _ids("3704062015", 3)
    store.insert_many([_child(i) for i in first], "录入员")
    before = _journal_size(store)
    batch = [_child(i) for i in _ids("3704062016", 5)]
    with pytest.raises(StoreError, match=f"身份证号 {first[1]} 已存在，未保存任何记录"):
        store.insert_many(batch + [_child(first[1])], "录入员")
    with pytest.raises(StoreError, match="在本批数据中重复出现"):
        store.insert_many(batch + [batch[0]], "录入员")
    with pytest.raises(RecordNotFound, match="本批修改未保存"):
        store.apply_many([(first[0], {"note": "批"}), ("370406201701019999", {"note": "批"})], "导入")

    def refuse(current):
        raise StoreError("不行")
    with pytest.raises(StoreError, match="不行"):
        store.update(first[0], refuse, "甲")
    cases = store.collection("cases")
    cases.insert({"key": "C1", "id_number": first[0], "open": True}, "甲")

    def one_open_case(docs):
        if any(d.get("open") and d.get("id_number") == first[0] for d in docs):
            raise StoreError("该儿童已有未结案件")
    with pytest.raises(StoreError, match="未结案件"):
        cases.insert_many([{"key": "C2", "id_number": first[1]}, {"key": "C3", "id_number": first[0]}], "甲",
                          check=one_open_case)
    with pytest.raises(StoreError, match="编号 C1 已存在"):
        cases.insert_many([{"key": "C4"}, {"key": "C1"}], "甲")
    fresh = store_backend.open()
    assert sorted(fresh.ids()) == sorted(first)
    assert all(fresh.get(i).get("note") is None and fresh.get(i)["_v"] == 1 for i in first)
    assert [d["key"] for d in fresh.collection("cases").all()] == ["C1"]
    assert _journal_size(fresh) == before + 1                # only the case C1
    assert_store_matches_journal(fresh)


def test_apply_many_changes_each_child_once_in_the_order_given(store_backend):
    store = store_backend.open()
    ids = _ids("3704062015", 4)
    store.insert_many([_child(i) for i in ids], "录入员")
    changed = store.apply_many([(ids[0], {"note": "一"}), (ids[0], lambda cur: {"count": cur["count"] + 1}),
                                (ids[1], {"note": ""}), (ids[2], {"village": "西村"}),
                                (ids[3], {"count": 0})], "导入")
    assert changed == 3                                       # ids[3] unchanged
    fresh = store_backend.open()
    assert (fresh.get(ids[0])["note"], fresh.get(ids[0])["count"], fresh.get(ids[0])["_v"]) == ("一", 1, 2)
    assert fresh.get(ids[2])["village"] == "西村" and fresh.get(ids[3])["_v"] == 1
    assert_store_matches_journal(fresh)


def test_collections_versions_upsert_and_find(store_backend):
    store = store_backend.open()
    tasks = store.collection("tasks")
    doc = tasks.insert({"key": "t1", "what": "走访", "who": "甲"}, "甲")
    assert doc["_v"] == 1 and tasks.get("t1")["what"] == "走访"
    tasks.update("t1", {"what": "复访"}, "乙", expected_version=1)
    with pytest.raises(StaleEditError):
        tasks.update("t1", {"what": "三访"}, "丙", expected_version=1)
    assert tasks.upsert("t2", lambda cur: {"n": (cur or {}).get("n", 0) + 1}, "甲")["n"] == 1
    assert tasks.upsert("t2", lambda cur: {"n": (cur or {}).get("n", 0) + 1}, "乙")["n"] == 2
    assert tasks.insert_many([{"key": "t2"}, {"key": "t3", "who": "甲"}], "甲", skip_existing=True)[0]["key"] == "t3"
    assert sorted(d["key"] for d in tasks.find(who="甲")) == ["t1", "t3"]
    assert len(store_backend.open().collection("tasks")) == 3
    with pytest.raises(RecordNotFound):
        tasks.update("t9", {"what": "x"}, "甲")
    with pytest.raises(StoreError, match="集合名称"):
        store.collection("../x")


# -- scoped reads ---------------------------------------------------------------------------------------------

def test_scoped_reads_give_only_the_operators_children(store_backend):
    store = store_backend.open()
    east, west = _ids("3704062015", 3), _ids("3704062016", 2)
    store.insert_many([_child(i, "东村") for i in east] + [_child(i, "西村") for i in west], "录入员")
    cadre = Operator(login="li", name="李", role="村干部", villages=("东村",))
    scoped = ScopedStore(store_backend.open(), cadre)
    assert sorted(scoped.ids()) == east and len(scoped) == 3
    assert scoped.get(west[0]) is None and west[0] not in scoped
    assert {r["village"] for r in scoped.all()} == {"东村"}


# -- bulk insert ------------------------------------------------------------------------------------------------

def test_bulk_insert_is_one_call_read_back_one_entry_per_child(store_backend):
    store = store_backend.open()
    ids = _ids("37040620", 2500)               # more than one chunk of the database's bulk rows
    assert store.insert_many([_child(i, "东村" if k % 3 else "西村", seat=k) for k, i in enumerate(ids)],
                             "派出所名单") == 2500
    fresh = store_backend.open()
    assert len(fresh) == 2500 and fresh.get(ids[1234])["seat"] == 1234
    mine = list(fresh.journal.entries(record=ids[1234]))
    assert len(mine) == 1 and mine[0]["record"] == ids[1234]
    assert mine[0]["changes"]["seat"] == [None, 1234] and mine[0]["operator"] == "派出所名单"
    per_child = [e for e in fresh.journal.entries() if e.get("action") == "insert"]
    assert sorted(e["record"] for e in per_child) == ids
    fresh.update(ids[7], {"note": "改"}, "甲")
    assert [e["action"] for e in fresh.journal.entries(record=ids[7])] == ["insert", "update"]
    assert_store_matches_journal(fresh)


def test_position_and_entries_since(store_backend):
    store = store_backend.open()
    a, b = _ids("3704062015", 2)
    store.insert_many([_child(a), _child(b)], "录入员")
    mark = store.journal.position()
    json.dumps(mark)                                          # kept in a ledger's marker
    store.update(b, {"note": "后来"}, "甲")
    later = list(store.journal.entries(since=mark))
    assert [(e["record"], e["action"]) for e in later] == [(b, "update")]
    assert [e["operator"] for e in store.journal.entries(operator="甲")] == ["甲"]


def test_count_by(store_backend):
    store = store_backend.open()
    store.insert_many([_child(i, "东村" if k < 3 else "西村", status="在校" if k % 2 else "辍学")
                       for k, i in enumerate(_ids("3704062015", 5))], "录入员")
    assert store.count_by("village") == {("东村",): 3, ("西村",): 2}
    assert store.count_by("village", "status")[("东村", "辍学")] == 2


# -- the journal ------------------------------------------------------------------------------------------------

def test_journal_verifies_and_a_changed_line_is_found(store_backend, tmp_path):
    store = store_backend.open()
    a, b = _ids("3704062015", 2)
    store.insert_many([_child(a), _child(b)], "录入员")
    store.update(a, {"note": "一"}, "甲")
    store.update(b, {"note": "二"}, "乙")
    store.collection("visits").insert({"id_number": a, "finding": "在家"}, "甲")
    ok, seq, message = store.journal.verify()
    assert ok and message.startswith("日志校验通过")
    # someone with access to the data (file or database superuser) changes the second update's text
    if store_backend.name == "tinydb":
        path = tmp_path / "data" / "journal" / "journal.jsonl"
        path.write_bytes(path.read_bytes().replace("二".encode(), "三".encode()))
    else:
        with store_backend.superuser() as conn:
            conn.execute("UPDATE kbtui.journal SET body = replace(body, '二', '三') WHERE body LIKE '%二%'")
    ok, seq, message = store_backend.open().journal.verify()
    assert not ok and seq == 3 and "内容与校验值不符" in message


# -- concurrency and crashes ----------------------------------------------------------------------------------

WRITER = r"""
import json, sys
from tests.helpers.store_backends import open_spec
from kbtui.errors import StaleEditError
spec, me, shared, own, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
store = open_spec(spec)
print("ready", flush=True)
sys.stdin.readline()
acked, stale = [], 0
for k in range(n):
    mark = f"{me}-{k}"
    store.update(shared, lambda cur, mark=mark: {"marks": [*cur["marks"], mark]}, me)
    acked.append(mark)
    try:        # an edit decided on an earlier read: refused when another writer came first, never lost
        store.update(own, {"count": k + 1}, me, expected_version=store.get(own)["_v"])
    except StaleEditError:
        stale += 1
print(json.dumps({"acked": acked, "stale": stale}), flush=True)
"""


@pytest.mark.slow
def test_eight_writer_processes_lose_no_acknowledged_write(store_backend):
    from tests.helpers.reliability import run_together

    store = store_backend.open()
    shared = "370406201501010011"
    writers = [f"w{k}" for k in range(8)]
    own = dict(zip(writers, _ids("3704062016", 8)))
    store.insert_many([_child(shared, marks=[])] + [_child(i) for i in own.values()], "录入员")
    procs = {me: subprocess.Popen([sys.executable, "-c", WRITER, store_backend.spec, me, shared, own[me], "15"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
             for me in writers}
    results = run_together(procs, timeout=600)
    final = store_backend.open()
    marks = final.get(shared)["marks"]
    acked = [m for res in results.values() for m in res["acked"]]
    assert sorted(marks) == sorted(acked) and len(acked) == 8 * 15      # none lost, none doubled
    assert final.get(shared)["_v"] == 1 + 8 * 15
    for me in writers:
        mine = [m for m in marks if m.startswith(f"{me}-")]
        assert mine == [f"{me}-{k}" for k in range(15)]                 # each writer's in its own order
        assert final.get(own[me])["count"] == 15 - results[me]["stale"]
    assert_store_matches_journal(final)


KILLED = r"""
import sys
from tests.helpers.store_backends import open_spec
spec, seed = sys.argv[1], int(sys.argv[2])
store = open_spec(spec)
target = "370406201501010011"
print("ready", flush=True)
step = 0
while True:
    step += 1
    ids = [f"371{seed:03d}{step:06d}{k:06d}"[:18] for k in range(3)]
    store.insert_many([{"id_number": i, "name": "新", "village": ("东村", "西村")[k % 2], "count": 0,
                        "note": "填充" * 200} for k, i in enumerate(ids)], "w")
    print("ack insert " + " ".join(ids), flush=True)
    count = store.update(target, lambda cur: {"count": cur["count"] + 1}, "w")["count"]
    print(f"ack count {count}", flush=True)
    store.collection("visits").insert({"id_number": target, "finding": f"第{step}次"}, "w")
"""


@pytest.mark.slow
def test_writers_killed_at_random_moments_leave_nothing_half_written(store_backend):
    store = store_backend.open()
    target = "370406201501010011"
    store.insert_many([_child(target, "东村")] + [_child(i, "西村", note="备注" * 100)
                                                   for i in _ids("3704062016", 200)], "录入员")
    rng = random.Random(20261204)
    acked_count, acked_ids = 0, set()

    def absorb(line: str) -> None:
        nonlocal acked_count
        parts = line.split()
        if parts[:2] == ["ack", "insert"]:
            acked_ids.update(parts[2:])
        elif parts[:2] == ["ack", "count"]:
            acked_count = max(acked_count, int(parts[2]))

    for round_no in range(12):
        proc = subprocess.Popen([sys.executable, "-c", KILLED, store_backend.spec, str(round_no)],
                                stdout=subprocess.PIPE, text=True, cwd=REPO)
        try:
            assert proc.stdout.readline().strip() == "ready"
            for _ in range(rng.randint(0, 4)):
                line = proc.stdout.readline()
                assert line.startswith("ack "), line
                absorb(line)
            time.sleep(rng.uniform(0.0, 0.05))      # not a synchronisation: lands the kill anywhere in a write
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        for line in proc.stdout:                    # acknowledgements printed before the kill landed
            absorb(line)
        proc.stdout.close()
        after = store_backend.open()
        assert_store_matches_journal(after)         # every stored change journaled, every journaled one stored
        batches = _batches(after)
        assert all(len(ids) == 3 for ids in batches.values()), batches      # whole or not at all
        assert acked_ids <= set(after.ids())
        count = after.get(target)["count"]
        assert acked_count <= count <= acked_count + 1          # at most the one unacknowledged edit
        acked_count = count
        visits = after.collection("visits").all()
        assert all(v["id_number"] == target and v["finding"].startswith("第") for v in visits)
    assert acked_ids, "the writers never got a write acknowledged: the kills proved nothing"


def _batches(store) -> dict[str, list[str]]:
    """The killed writers' children grouped by batch (round and step): each must be there with all three."""
    groups: dict[str, list[str]] = {}
    for i in store.ids():
        if i.startswith("371"):
            groups.setdefault(i[:12], []).append(i)
    return groups
