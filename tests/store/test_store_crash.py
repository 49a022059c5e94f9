"""A writer killed with SIGKILL in the middle of its writes never damages the store."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from kbtui.store import ChildStore

WRITER = r"""
import os, sys
from kbtui.store import ChildStore
root = sys.argv[1]
store = ChildStore.open(root)
target = "500224201501010011"
i = int(store.get(target)["count"])
step = 0
while True:
    step += 1
    new_id = "-"
    if step % 5 == 0:   # a bulk insert now and then
        new_id = f"6{os.getpid():08d}{step:09d}"
        store.insert_many([{"id_number": new_id, "name": "新", "village": "西村", "count": 0}], "w")
    elif step % 7 == 0:     # a village move (two shards) now and then
        i += 1
        store.update(target, {"count": i, "village": "东村" if store.get(target)["village"] == "西村" else "西村"}, "w")
    else:
        i += 1
        store.update(target, {"count": i}, "w")
    print(f"ack {i} {new_id}", flush=True)
"""


@pytest.mark.slow
def test_sigkill_mid_write(tmp_path: Path):
    root = tmp_path / "data"
    store = ChildStore.open(root)
    # shards big enough that a write takes a while, so kills land mid-write
    big = [{"id_number": f"5{n:017d}", "name": "填充" * 20, "note": "备注" * 300,
            "village": "东村" if n % 2 else "西村", "count": 0}
           for n in range(3000)]
    store.insert_many(big + [{"id_number": "500224201501010011", "name": "目标", "village": "东村", "count": 0}],
                      "setup")

    rng = random.Random(20240901)
    acked = 0
    in_flight = 0
    mid_write = 0
    inserted_acked: set[str] = set()
    for _round in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True)
        try:
            wanted = rng.randint(1, 25)
            got = 0
            while got < wanted:
                line = proc.stdout.readline()
                assert line.startswith("ack "), line
                _, count, new_id = line.split()
                acked = int(count)
                if new_id != "-":
                    inserted_acked.add(new_id)
                got += 1
            # a random delay (not a synchronisation): lands the kill anywhere in the next writes
            time.sleep(rng.uniform(0.0, 0.08))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        for line in proc.stdout:     # acks printed before the kill landed count too
            if line.startswith("ack "):
                _, count, new_id = line.split()
                acked = int(count)
                if new_id != "-":
                    inserted_acked.add(new_id)

        leftovers = [p for p in (root / "store" / "children").iterdir() if ".tmp-" in p.name]
        mid_write += bool(leftovers)              # killed between creating the temp file and replacing
        reopened = ChildStore.open(root)          # always opens
        target = reopened.get("500224201501010011")
        assert target["count"] >= acked           # every acknowledged write is there
        assert target["count"] <= acked + 1       # at most the one in flight
        in_flight += target["count"] == acked + 1
        for rid in inserted_acked:
            assert reopened.get(rid) is not None
        for shard in (root / "store" / "children").glob("*.json"):
            orjson.loads(shard.read_bytes())      # never a half-written file
        assert not [p for p in (root / "store" / "children").iterdir() if ".tmp-" in p.name]
        ok, seq, msg = reopened.journal.verify()
        assert ok, (seq, msg)

    print("kills mid-write:", mid_write, "after an unacknowledged write:", in_flight)
    final = ChildStore.open(root)
    counts = [e["changes"]["count"][1] for e in final.journal.entries(record="500224201501010011")
              if "count" in e["changes"] and e["action"] == "update"]
    assert counts and counts[-1] >= acked
    final.update("500224201501010011", {"note": "after crashes"}, "op")
    assert final.journal.verify()[0]
    assert os.listdir(root / "store" / "children")
