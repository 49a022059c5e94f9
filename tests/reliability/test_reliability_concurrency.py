"""Four processes on one data folder at once: 250 edits of their own children and 50 of shared ones each,
all with version checks. No acknowledged edit is lost, the journal holds every change, and every stale
edit that was refused was reported to the writer that tried it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kbtui.store import ChildStore
from tests.helpers.reliability import assert_store_matches_journal, run_together

WRITERS = ["甲", "乙", "丙", "丁"]
OWN_EDITS = 250
SHARED_EDITS = 50
OWN_PER_WRITER = 5
SHARED = [f"5002242015010109{i:02d}" for i in range(3)]

WORKER = r"""
import json, random, sys
from kbtui.errors import StaleEditError
from kbtui.store import ChildStore
root, me, own_edits, shared_edits, log_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
own, shared = json.loads(sys.argv[6]), json.loads(sys.argv[7])
store = ChildStore.open(root)
rng = random.Random(me)
plan = ["own"] * own_edits + ["shared"] * shared_edits
rng.shuffle(plan)
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
acked = {}       # id -> [note of each acknowledged edit, in order]
attempts = refusals = 0
with open(log_path, "w", encoding="utf-8") as log:
    for i, kind in enumerate(plan):
        target = rng.choice(own if kind == "own" else shared)
        note = f"{me}-{i}"
        rec = store.get(target)
        while True:
            attempts += 1
            try:
                saved = store.update(target, {"count": rec["count"] + 1, "note": note}, me,
                                     expected_version=rec["_v"])
                break
            except StaleEditError as err:
                refusals += 1
                # the writer is told: who changed it, the current record and what was not saved
                assert err.current["_v"] > rec["_v"] and err.attempted["note"] == note
                log.write(json.dumps({"refused": target, "tried_v": rec["_v"], "current_v": err.current["_v"],
                                      "message": str(err)}, ensure_ascii=False) + "\n")
                rec = err.current
        assert saved["note"] == note and saved["_v"] == rec["_v"] + 1
        acked.setdefault(target, []).append([note, saved["count"], saved["_v"]])
print(json.dumps({"acked": acked, "attempts": attempts, "refusals": refusals}), flush=True)
"""


def _child(id_number: str, village: str) -> dict:
    return {"id_number": id_number, "name": "测试", "village": village, "count": 0, "note": ""}


@pytest.mark.slow
def test_four_writers_no_lost_edit(tmp_path: Path):
    root = tmp_path / "data"
    own = {me: [f"50022420150102{w}{k:03d}"[:18] for k in range(OWN_PER_WRITER)] for w, me in enumerate(WRITERS)}
    store = ChildStore.open(root)
    store.insert_many([_child(i, "共用村") for i in SHARED]
                      + [_child(i, f"{me}村") for me, ids in own.items() for i in ids], "setup")

    procs = {}
    for me in WRITERS:
        procs[me] = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), me, str(OWN_EDITS), str(SHARED_EDITS),
             str(tmp_path / f"{me}.log"), json.dumps(own[me]), json.dumps(SHARED)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results = run_together(procs, timeout=600)

    final = assert_store_matches_journal(root)
    journal = list(final.journal.entries())
    updates = [e for e in journal if e["action"] == "update"]
    total_refusals = 0
    for me, res in results.items():
        acked = res["acked"]
        # refused + saved = tried, and each refusal is in the writer's own log with a Chinese message
        saved = sum(len(v) for v in acked.values())
        assert saved == OWN_EDITS + SHARED_EDITS
        assert res["refusals"] + saved == res["attempts"]
        log = [json.loads(line) for line in (tmp_path / f"{me}.log").read_text(encoding="utf-8").splitlines()]
        assert len(log) == res["refusals"]
        assert all("您的修改未保存" in r["message"] and r["current_v"] > r["tried_v"] for r in log)
        total_refusals += res["refusals"]
        # every acknowledged edit is in the journal, by this writer, with the version it was acknowledged at
        mine = {(e["record"], e["changes"]["note"][1]) for e in updates if e["operator"] == me}
        for target, edits in acked.items():
            for note, _count, _v in edits:
                assert (target, note) in mine
        assert len([e for e in updates if e["operator"] == me]) == saved
        # own children: nobody else wrote them, the last acknowledged edit is what is stored
        for target in own[me]:
            edits = acked.get(target, [])
            rec = final.get(target)
            assert rec["count"] == len(edits) and rec["_v"] == 1 + len(edits)
            if edits:
                assert rec["note"] == edits[-1][0]
    # shared children: every acknowledged increment counted once, none lost or doubled
    shared_saved = sum(len(res["acked"].get(t, [])) for res in results.values() for t in SHARED)
    assert shared_saved == SHARED_EDITS * len(WRITERS)
    assert sum(final.get(t)["count"] for t in SHARED) == shared_saved
    for t in SHARED:
        counts = [e["changes"]["count"][1] for e in updates if e["record"] == t]
        assert counts == list(range(1, len(counts) + 1))          # journal order follows the versions
        versions = sorted(v for res in results.values() for _n, _c, v in res["acked"].get(t, []))
        assert versions == list(range(2, final.get(t)["_v"] + 1))  # each version acknowledged exactly once
    # per record and field: one journal entry per acknowledged edit
    per_field: dict[tuple[str, str], int] = {}
    for e in updates:
        for field in e["changes"]:
            per_field[(e["record"], field)] = per_field.get((e["record"], field), 0) + 1
    for t in [*SHARED, *(i for ids in own.values() for i in ids)]:
        n = final.get(t)["_v"] - 1
        assert per_field.get((t, "count"), 0) == n and per_field.get((t, "note"), 0) == n
    print("stale edits refused and reported:", total_refusals)


# -- visits through the real CLI (issue 19 point 3) --------------------------------------------------------

VISITORS = ["甲", "乙", "丙", "丁"]
VISITS_EACH = 15
VISITED = [f"50022420150101{k:02d}1{k}" for k in range(1, 3)]
FINDINGS = ["在籍在校", "外地就读", "休学"]

VISIT_WORKER = r"""
import json, subprocess, sys
root, me, kids, visits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
findings = json.loads(sys.argv[5])
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
done = []
for i in range(visits):
    kid, note, status = kids[i % len(kids)], f"{me}-{i}", findings[i % len(findings)]
    run = subprocess.run([sys.executable, "-m", "kbtui", "--data-dir", root, "--operator", me, "visit", kid,
                          "--status", status, "--note", note, "--date", "2024-09-11"], capture_output=True, text=True)
    done.append({"kid": kid, "note": note, "status": status, "rc": run.returncode, "out": run.stdout + run.stderr})
print(json.dumps(done), flush=True)
"""


@pytest.mark.slow
def test_concurrent_cli_visits_keep_every_acknowledged_visit(tmp_path: Path):
    from kbtui.domain import roles as R
    from kbtui.services.access import operator_admin
    from kbtui.services.workspace import Workspace
    from tests.conftest import run_cli

    root = tmp_path / "data"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=root).exit_code == 0
    ws = Workspace.open(root, "tester")
    for me in VISITORS:
        operator_admin.add_operator(ws, me, f"村干部{me}", R.VILLAGE_CADRE, ["高峰村"])
    ws.store.insert_many([{"id_number": kid, "name": f"儿童{n}", "village": "高峰村", "birth_date": "2015-01-01"}
                          for n, kid in enumerate(VISITED)], "tester")

    procs = {me: subprocess.Popen([sys.executable, "-c", VISIT_WORKER, str(root), me, json.dumps(VISITED),
                                   str(VISITS_EACH), json.dumps(FINDINGS)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for me in VISITORS}
    results = run_together(procs, timeout=600)

    final = assert_store_matches_journal(root, ("tasks",))
    visits = [v | {"by": me} for me, done in results.items() for v in done]
    refused = [v for v in visits if v["rc"] != 0]
    assert not refused, refused                  # a visit is an append: it simply succeeds
    for kid in VISITED:
        acked = sorted((v["by"], v["note"], v["status"]) for v in visits if v["kid"] == kid)
        stored = sorted((h["by"], h["note"], h["status"]) for h in final.get(kid)["status_history"])
        assert stored == acked, f"{kid}: {len(acked) - len(set(acked) & set(stored))} acknowledged visits lost"
        journaled = sorted((e["operator"], e["changes"]["status_history"][1][-1]["note"],
                            e["changes"]["status"][1] if "status" in e["changes"] else None)
                           for e in final.journal.entries(record=kid) if e["action"] == "visit")
        assert [(by, note) for by, note, _s in journaled] == [(by, note) for by, note, _s in acked]
        # the record's situation is the last visit's, in journal order
        last = [e for e in final.journal.entries(record=kid) if e["action"] == "visit"][-1]
        assert final.get(kid)["status"] == last["changes"]["status_history"][1][-1]["status"]
        [task] = [t for t in final.collection("tasks").all() if t["id_number"] == kid]
        assert task["state"] == "done"
