"""Store benchmark (not a test): open, find and single-edit cost at county scale.

    python benchmarks/store.py [--children 100000]

Prints one JSON object. Baseline: the same edit through a plain single-file TinyDB (JSONStorage).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tinydb import Query, TinyDB  # noqa: E402

from kbtui.domain.idcard import make_id  # noqa: E402
from kbtui.store import ChildStore  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵欣怡梓轩浩宇雨萱一诺思远佳怡俊杰诗琪明轩语桐皓然"


def synthetic(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    villages = [f"第{i:03d}村" for i in range(max(1, n // 600))]
    records = []
    start = dt.date(2008, 9, 1)
    for i in range(n):
        born = start + dt.timedelta(days=rng.randrange(3650))
        village = villages[i % len(villages)]
        records.append({
            "id_number": make_id(f"5002{(i // 1000) % 100:02d}", born, i % 1000),
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "sex": "男" if i % 2 else "女",
            "birth_date": born.isoformat(),
            "ethnicity": "汉族",
            "village": village,
            "group": f"{rng.randint(1, 9)}组",
            "household_address": f"重庆市铜梁区双山镇{village}{rng.randint(1, 200)}号",
            "current_address": f"重庆市铜梁区双山镇{village}{rng.randint(1, 200)}号",
            "guardian": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "guardian_phone": f"13{rng.randrange(10**9):09d}",
            "family_type": rng.choice(["一般农户", "脱贫户", "监测户"]),
            "key_groups": rng.choice([[], ["留守儿童"], ["残疾"], ["随迁子女", "困境儿童"]]),
            "disability_category": "",
            "disability_grade": "",
            "disability_certificate": "",
            "school": f"双山镇第{rng.randint(1, 9)}小学",
            "grade": f"{rng.randint(1, 9)}年级",
            "class_name": f"{rng.randint(1, 6)}班",
            "student_no": "",
            "enrollment_status": "在读",
            "status": "在籍在校",
            "status_reason": "",
            "note": "",
            "responsible_gov": rng.choice(SURNAMES) + "干部",
            "responsible_edu": rng.choice(SURNAMES) + "老师",
        })
        records[-1]["student_no"] = "G" + records[-1]["id_number"]
    return records


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.children, args.edits), ensure_ascii=False))


VERIFY = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from kbtui.store import ChildStore
from kbtui.store.consistency import check_store
store = ChildStore.open(sys.argv[1])
t = time.perf_counter()
chain, stored = check_store(store)
took = time.perf_counter() - t
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"verify_s": round(took, 2), "verify_rss_mb": round(hwm / 1024, 1),
                  "verify_ok": chain.ok and stored is not None and stored.ok}))
"""


def verify_in_child(root: Path) -> dict:
    """``audit verify``'s work (journal, signatures, anchor, every file against the journal) in a fresh
    process: its time and the process's peak memory (the store loaded as the CLI loads it, then the check)."""
    import subprocess

    src = str(Path(__file__).resolve().parents[1] / "src")
    done = subprocess.run([sys.executable, "-c", VERIFY, str(root), src], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(children: int = 100_000, edits: int = 200) -> dict:
    """The whole benchmark; returns the figures (``benchmarks/run_all.py`` merges them)."""
    n = children
    records = synthetic(n)
    ids = [r["id_number"] for r in records]
    rng = random.Random(7)
    out: dict[str, object] = {"children": n, "villages": len({r["village"] for r in records})}

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        store = ChildStore.open(root)
        t = time.perf_counter()
        store.insert_many(records, "bench")
        out["insert_many_s"] = round(time.perf_counter() - t, 2)
        del store

        opens = []
        for _ in range(3):
            t = time.perf_counter()
            store = ChildStore.open(root)
            opens.append(time.perf_counter() - t)
        out["open_s"] = round(min(opens), 3)
        out["open_s_runs"] = [round(x, 3) for x in opens]
        out["open_median_s"] = round(statistics.median(opens), 3)
        assert len(store) == n

        t = time.perf_counter()
        store.refresh()
        out["refresh_unchanged_ms"] = round((time.perf_counter() - t) * 1000, 2)

        names = [records[rng.randrange(n)]["name"][1:] for _ in range(5)]
        t = time.perf_counter()
        for sub in names:
            hits = [r for r in store.all() if sub in r.get("name", "")]
            assert hits
        out["find_name_ms"] = round((time.perf_counter() - t) * 1000 / len(names), 2)
        probe = [ids[rng.randrange(n)] for _ in range(1000)]
        t = time.perf_counter()
        for i in probe:
            assert store.get(i) is not None
        out["find_id_ms"] = round((time.perf_counter() - t) * 1000 / len(probe), 4)
        out["find_ms"] = out["find_name_ms"]

        times = []
        for k in range(edits):
            cid = ids[rng.randrange(n)]
            v = store.get(cid)["_v"]
            t = time.perf_counter()
            store.update(cid, {"note": f"核实{k}"}, "bench", expected_version=v)
            times.append((time.perf_counter() - t) * 1000)
        out["edit_p50_ms"] = round(statistics.median(times), 2)
        out["edit_p95_ms"] = round(pct(times, 95), 2)
        out["edit_max_ms"] = round(max(times), 2)
        ok, _, _ = store.journal.verify()
        out["journal_ok"] = ok
        out.update(verify_in_child(root))

        # baseline: one plain TinyDB file holding everything
        base_path = Path(tmp) / "baseline.json"
        db = TinyDB(base_path)
        t = time.perf_counter()
        db.insert_multiple(records)
        out["baseline_insert_s"] = round(time.perf_counter() - t, 2)
        db.close()
        t = time.perf_counter()
        db = TinyDB(base_path)                  # open = read and parse the one file (TinyDB reads lazily)
        assert len(db) == n
        out["baseline_open_s"] = round(time.perf_counter() - t, 3)
        q = Query()
        base_times = []
        base_edits = 20 if n > 10_000 else 100
        for k in range(base_edits):
            cid = ids[rng.randrange(n)]
            t = time.perf_counter()
            db.update({"note": f"核实{k}"}, q.id_number == cid)
            base_times.append((time.perf_counter() - t) * 1000)
        db.close()
        out["baseline_edits"] = base_edits
        out["baseline_edit_p50_ms"] = round(statistics.median(base_times), 1)
        out["baseline_edit_p95_ms"] = round(pct(base_times, 95), 1)
    return out


if __name__ == "__main__":
    main()
