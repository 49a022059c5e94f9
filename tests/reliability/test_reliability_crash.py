"""Writers killed with SIGKILL: at random moments (50 rounds), and at each step of a write on purpose.

After every kill the store opens, every acknowledged write is there, nothing half-written is visible, the
journal verifies, and the store and the journal agree exactly: every stored change has its journal entry
and every journaled change is stored (the write-ahead order of ``kbtui.store.txn``).
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from kbtui.store import ChildStore
from tests.helpers.reliability import assert_store_matches_journal, rolled_back_txs

TARGET = "500224201501010011"
ROUNDS = 50

# Each step is one store call; its acknowledgement is printed only after the call returned.
WRITER = r"""
import os, random, sys
from kbtui.store import ChildStore
root, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
store = ChildStore.open(root)
visits = store.collection("visits")
target = "500224201501010011"
count = int(store.get(target)["count"])
print("ready", flush=True)
step = 0
while True:
    step += 1
    kind = rng.choice(["update", "update", "update", "insert", "move", "visit", "batch"])
    if kind == "insert":      # several records, two shards, one transaction
        ids = [f"6{os.getpid():07d}{step:06d}{k:04d}" for k in range(3)]
        store.insert_many([{"id_number": i, "name": "新", "village": ("东村", "西村")[k % 2], "count": 0,
                            "note": "填充" * 200} for k, i in enumerate(ids)], "w")
        print("ack insert " + " ".join(ids), flush=True)
        continue
    if kind == "visit":
        doc = visits.insert({"child": target, "finding": f"第{step}次"}, "w")
        print(f"ack visit {doc['key']}", flush=True)
        continue
    if kind == "batch":       # an import-like batch of updates over many records
        some = rng.sample(store.ids(), 20)
        store.apply_many([(i, {"note": f"批{step}"}) for i in some if i != target], "w")
        print("ack batch", flush=True)
        continue
    count += 1
    changes = {"count": count}
    if kind == "move":
        changes["village"] = "东村" if store.get(target)["village"] == "西村" else "西村"
    store.update(target, changes, "w")
    print(f"ack count {count}", flush=True)
"""


def _seed_store(root: Path, n: int = 400) -> None:
    store = ChildStore.open(root)
    # shards of ~200 KB: a write takes long enough that kills land inside writes
    filler = [{"id_number": f"5{k:017d}", "name": "填充", "note": "备注" * 150,
               "village": "东村" if k % 2 else "西村", "count": 0} for k in range(n)]
    store.insert_many(filler + [{"id_number": TARGET, "name": "目标", "village": "东村", "count": 0}], "setup")
    store.collection("visits").insert({"child": TARGET, "finding": "初始"}, "setup")


@pytest.mark.slow
def test_sigkill_at_random_points_50_rounds(tmp_path: Path):
    root = tmp_path / "data"
    _seed_store(root)
    rng = random.Random(20241125)
    acked_count = 0
    acked_ids: set[str] = set()
    acked_visits: set[str] = set()
    outcomes = {"installed_after_kill": 0, "pending_seen": 0}

    def absorb(line: str) -> None:
        nonlocal acked_count
        parts = line.split()
        if parts[:2] == ["ack", "count"]:
            acked_count = int(parts[2])
        elif parts[:2] == ["ack", "insert"]:
            acked_ids.update(parts[2:])
        elif parts[:2] == ["ack", "visit"]:
            acked_visits.add(parts[2])

    for round_no in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(round_no)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            for _ in range(rng.randint(0, 6)):
                line = proc.stdout.readline()
                assert line.startswith("ack "), line
                absorb(line)
            # a random delay (not a synchronisation): lands the kill anywhere in the next writes
            time.sleep(rng.uniform(0.0, 0.03))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        for line in proc.stdout:        # acknowledgements printed before the kill landed count too
            absorb(line)
        proc.stdout.close()

        outcomes["pending_seen"] += any(p.name.endswith(".tmp-wal") for p in (root / "store").rglob("*"))
        for shard in (root / "store" / "children").glob("*.json"):
            orjson.loads(shard.read_bytes())            # never a half-written data file, even before recovery
        store = assert_store_matches_journal(root, collections=("visits",))
        target = store.get(TARGET)
        assert acked_count <= target["count"] <= acked_count + 1
        outcomes["installed_after_kill"] += target["count"] == acked_count + 1
        acked_count = target["count"]
        assert all(i in store for i in acked_ids)
        keys = {d["key"] for d in store.collection("visits").all()}
        assert acked_visits <= keys

    print("kills with a write-ahead file left:", outcomes["pending_seen"],
          "unacknowledged edit kept:", outcomes["installed_after_kill"])
    final = ChildStore.open(root)
    final.update(TARGET, {"note": "after crashes"}, "op")
    assert final.journal.verify()[0]


# -- each step of a write, on purpose -----------------------------------------------------------------

KILL_AT = r"""
import os, signal, sys
from kbtui.store import ChildStore, journal as journal_mod, storage as storage_mod
root, point, op = sys.argv[1], sys.argv[2], sys.argv[3]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "after_pending":           # staged file written, journal not yet
    real_pending = storage_mod.LockedJSONStorage.write_pending
    def write_pending(self, marker):
        real_pending(self, marker)
        die()
    storage_mod.LockedJSONStorage.write_pending = write_pending
elif point == "mid_journal":           # half of the journal batch on disk
    real_write = os.write
    def torn(fd, data):
        if b'"_tx"' in bytes(data[:20]):
            real_write(fd, bytes(data[: len(data) // 2]))
            die()
        return real_write(fd, data)
    journal_mod.os.write = torn
elif point == "after_journal":          # committed, data files not yet replaced
    real_append = journal_mod.Journal.append
    def append(self, entries):
        entries = list(entries)
        stored = real_append(self, entries)
        if any("_tx" in e for e in entries):
            die()
        return stored
    journal_mod.Journal.append = append
elif point == "between_installs":      # one of two shards replaced
    real_install = storage_mod.LockedJSONStorage.install_pending
    def install_pending(self):
        real_install(self)
        die()
    storage_mod.LockedJSONStorage.install_pending = install_pending

store = ChildStore.open(root)
if op == "update":
    store.update("500224201501010011", {"count": 1}, "w")
elif op == "move":
    store.update("500224201501010011", {"count": 1, "village": "西村"}, "w")
elif op == "batch":
    store.insert_many([{"id_number": f"6{k:017d}", "name": "新", "village": ("东村", "西村")[k % 2]}
                       for k in range(40)], "w")
elif op == "updates":
    store.apply_many([(f"5{k:017d}", {"count": 1}) for k in range(20)], "w")
elif op == "visit":
    store.collection("visits").insert({"key": "v1", "child": "500224201501010011"}, "w")
print("returned", flush=True)
"""


def _kill_at(root: Path, point: str, op: str) -> None:
    proc = subprocess.run([sys.executable, "-c", KILL_AT, str(root), point, op], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    assert "returned" not in proc.stdout


# (point, op) -> is the change there after recovery?
CASES = [
    ("after_pending", "update", False), ("after_pending", "move", False), ("after_pending", "batch", False),
    ("after_pending", "visit", False),
    ("mid_journal", "batch", False), ("mid_journal", "updates", False),
    ("after_journal", "update", True), ("after_journal", "move", True), ("after_journal", "batch", True),
    ("after_journal", "visit", True),
    ("between_installs", "move", True), ("between_installs", "batch", True),
]


@pytest.mark.parametrize("point, op, kept", CASES, ids=[f"{p}-{o}" for p, o, _ in CASES])
def test_sigkill_at_each_step_of_a_write(tmp_path: Path, point: str, op: str, kept: bool):
    root = tmp_path / "data"
    _seed_store(root, n=20)
    before = ChildStore.open(root)
    seq_before = before.journal.last_seq()

    _kill_at(root, point, op)
    assert list((root / "store").rglob("*.tmp-wal"))       # the killed writer left its write-ahead file

    store = assert_store_matches_journal(root, collections=("visits",))
    target = store.get(TARGET)
    if op in ("update", "move"):
        assert (target["count"] == 1) is kept
        assert (target["village"] == "西村") is (kept and op == "move")
        assert len(store.shard_names()) == 2 and sum(1 for _ in store.all()) == len(store)
    elif op == "batch":
        added = [i for i in store.ids() if i.startswith("6")]
        assert len(added) == (40 if kept else 0)
    elif op == "updates":
        assert sum(store.get(f"5{k:017d}")["count"] for k in range(20)) == (20 if kept else 0)
    else:
        assert (store.collection("visits").get("v1") is not None) is kept

    new_entries = [e for e in store.journal.entries() if e["seq"] > seq_before]
    if point == "mid_journal" and op == "updates":
        # some of the batch's entries (one line per child) reached the journal: they are declared void,
        # and the data never changed
        assert rolled_back_txs(store)
        assert new_entries[-1]["action"] == "tx.rollback"
        assert 0 < new_entries[-1]["detail"]["entries"] < 20
    elif point == "mid_journal":
        # a bulk insert is one journal line: torn, it is cut off whole and nothing was committed
        assert new_entries == [] and not rolled_back_txs(store)
    elif kept:
        assert len(new_entries) == {"batch": 40}.get(op, 1)
    else:
        assert new_entries == []
    # and the store keeps working
    store.update(TARGET, {"note": "之后"}, "op")
    assert_store_matches_journal(root, collections=("visits",))


def test_pending_file_settled_by_a_running_writer(tmp_path: Path):
    """A process that was already running when another one died after committing sees the committed
    change before it writes the same village again (the lock holder settles the write-ahead file)."""
    root = tmp_path / "data"
    _seed_store(root, n=20)
    running = ChildStore.open(root)
    _kill_at(root, "after_journal", "update")
    assert list((root / "store" / "children").glob(".*.tmp-wal"))
    rec = running.update(TARGET, {"note": "正在运行的进程"}, "op")
    assert rec["count"] == 1 and rec["_v"] == 3
    assert_store_matches_journal(root, collections=("visits",))
    json.dumps(rec, ensure_ascii=False)
