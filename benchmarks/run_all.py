"""All benchmarks in one run, one JSON object (not a test).

    python benchmarks/run_all.py [--children 100000] [--edits 200] [--scaling] [--big-import-mb 0]

Runs, at ``--children`` children:
- ``benchmarks/store.py`` (``run``): open, edit p50/p95, and the plain single-file TinyDB baseline (open, edit);
- ``benchmarks/import_export.py`` in a child process: a ``--children``-row police list imported (floor: calamine
  reading every cell; 3 alternating rounds, ``import_vs_floor`` the median of the rounds' ratios, see that file),
  a ledger of ``min(50,000, children/2)`` rows exported (floor: openpyxl write-only);
- ``benchmarks/operations.py`` in a child process: a visit in process (p50/p95, baseline: the tasks in one
  file), CLI commands' wall time and peak RSS (``cli_rss_mb`` the largest);
- ``benchmarks/tui.py`` in a child process on a demo township of ``--children`` (``kbtui demo`` data): start-up to a
  usable dashboard (first and next start), F2, F4 (issue 18), list
  open and the slowest search keystroke. It runs in its own process and reports that process's own peak RSS
  (``rss_mb``, ``VmHWM``): the memory of the app itself holding the county -- workspace, list and search
  indexes, a search typed --, not of this driver, which also holds the demo it built, generated lists and the
  baseline's data (``rss_mb_driver``). The child's ``ru_maxrss`` from ``wait4`` is not used: Linux starts it
  from the parent's peak RSS at the fork/exec, so it reported this driver's peak (728 MB at 100,000 while the
  app's own peak was ~400 MB).
Merges their keys, adds ``rss_mb`` and ``targets_met``; prints one JSON object.

``--scaling`` does the same at 1,000, 10,000 and 100,000 children (or ``--sizes``) and prints one JSON object
with each run and, per figure, how it grows (ratio per tenfold). ``--big-import-mb 50`` also imports the
big police list of ``tests/intake/test_fuzz_import.py`` (long free-text cells, some broken IDs) of that size.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import store as store_bench  # noqa: E402
import tui as tui_bench  # noqa: E402

TARGETS = {
    "open_s": ("≤", 1.5),
    "edit_p95_ms": ("≤", 20.0),
    "search_keystroke_ms": ("≤", 100.0),
    "import_vs_floor": ("≤", 1.8),
    "import_cpu_vs_floor": ("≤", 2.0),
    "export_vs_floor": ("≤", 1.2),
    "export_vs_zip_floor": ("≤", 1.5),
    "rss_mb": ("≤", 600.0),
    # issue 18 (benchmarks/operations.py)
    "visit_p95_ms": ("≤", 20.0),
    "cli_visit_s": ("≤", 0.5),
    "cli_help_s": ("≤", 0.2),
    "cli_check_s": ("≤", 1.5),
    "cli_rss_mb": ("≤", 600.0),
    **{k: ("≤", v) for k, v in tui_bench.TARGETS.items()},
}
# the figures whose growth --scaling reports (the cost ones, not the rates)
GROWTH = ["open_s", "baseline_open_s", "edit_p95_ms", "baseline_edit_p95_ms", "search_keystroke_ms", "list_open_s",
          "import_s", "export_s", "rss_mb", "insert_many_s", "find_name_ms",
          "visit_p95_ms", "baseline_visit_p95_ms", "cli_visit_s", "cli_help_s", "cli_check_s", "cli_stats_s",
          "cli_tasks_s", "cli_verify_s", "cli_rss_mb", "startup_dashboard_s", "startup_warm_dashboard_s",
          "f2_dashboard_ms", "f4_visits_ms"]


def machine() -> dict[str, Any]:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.date.today().isoformat(),
            "load_average_1min_at_start": round(os.getloadavg()[0], 2)}


def peak_rss_mb(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes
    return round(ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def run_tui(children: int) -> dict[str, Any]:
    """benchmarks/tui.py on a demo township, in a child process; adds its peak RSS."""
    tmp = Path(tempfile.mkdtemp(prefix="kbtui-bench-all-"))
    try:
        data = tmp / "data"

        t = time.perf_counter()
        tui_bench.build(data, children)                  # kbtui demo --children N
        build_s = time.perf_counter() - t
        result = run_script("tui.py", "--data-dir", str(data))     # with its own peak RSS, rss_mb
        result["demo_build_s"] = round(build_s, 2)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_script(script: str, *args: str) -> dict[str, Any]:
    """Run one of the benchmarks in a process of its own (as a user's ``kbtui`` runs: not after the other
    benchmarks filled this process's heap) and return the JSON object it prints last."""
    proc = subprocess.run([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmarks/{script} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_big_import(megabytes: float) -> dict[str, Any]:
    from tests.helpers.imports import init_data
    from tests.intake.test_fuzz_import import check_big_import, write_big_list

    tmp = Path(tempfile.mkdtemp(prefix="kbtui-bench-big-"))
    try:
        template = init_data(tmp)
        path = tmp / "big.xlsx"
        t = time.perf_counter()
        rows, bad = write_big_list(path, megabytes)
        made = time.perf_counter() - t
        t = time.perf_counter()
        checked = check_big_import(template, path, rows, bad)
        return {"big_import_mb": round(path.stat().st_size / 1e6, 1), "big_import_rows": rows,
                "big_import_generate_s": round(made, 1), "big_import_s": round(time.perf_counter() - t, 1),
                "big_import_ok": checked["imported"] == rows - bad}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_all(children: int = 100_000, edits: int = 200, big_import_mb: float = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"children": children}
    parts: dict[str, float] = {}

    t = time.perf_counter()
    tui = run_tui(children)                 # first, while the machine's page cache is least disturbed
    parts["tui_s"] = time.perf_counter() - t
    out.update({k: tui.get(k) for k in ("list_open_s", "search_keystroke_ms", "search_keystroke_sorted_ms",
                                        "search_prepare_s", "workspace_open_s", "baseline_searchindex_keystroke_ms",
                                        "rss_mb", "rss_open_mb", "rss_list_mb", "rss_search_mb",
                                        "rss_mb_with_baseline", *tui_bench.DASHBOARD_KEYS)})

    t = time.perf_counter()
    st = store_bench.run(children, edits)
    parts["store_s"] = time.perf_counter() - t
    out.update({k: st.get(k) for k in ("open_s", "open_s_runs", "open_median_s", "baseline_open_s", "edit_p50_ms",
                                       "edit_p95_ms", "baseline_edit_p50_ms", "baseline_edit_p95_ms", "insert_many_s",
                                       "find_name_ms", "villages", "journal_ok")})

    t = time.perf_counter()
    ledger_rows = min(50_000, children // 2)
    ie = run_script("import_export.py", "--rows", str(children), "--ledger-rows", str(ledger_rows), "--skip-openpyxl")
    parts["import_export_s"] = time.perf_counter() - t
    out.update({k: ie.get(k) for k in ("import_s", "import_rows_per_s", "import_floor_rows_per_s", "import_vs_floor",
                                       "import_vs_floor_rounds", "import_vs_floor_best", "import_cpu_vs_floor",
                                       "import_filled_s", "import_filled_vs_floor", "ledger_rows", "export_s",
                                       "export_rows_per_s", "export_floor_rows_per_s", "export_vs_floor",
                                       "export_floor_zip_s", "export_vs_zip_floor")})
    if big_import_mb:
        out.update(run_big_import(big_import_mb))

    t = time.perf_counter()
    ops = run_script("operations.py", "--children", str(children))
    parts["operations_s"] = time.perf_counter() - t
    out.update({k: v for k, v in ops.items() if k != "children"})
    out["cli_rss_mb"] = max(v for k, v in ops.items() if k.startswith("cli_") and k.endswith("_mb"))

    out["rss_mb_driver"] = peak_rss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    out["targets"] = {k: f"{op} {v:g}" for k, (op, v) in TARGETS.items()}
    out["targets_met"] = {k: (out.get(k) is not None and out[k] <= v) for k, (_op, v) in TARGETS.items()}
    out["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    out["parts_s"] = {k: round(v, 1) for k, v in parts.items()}
    return out


def growth(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per figure: the values at each size and the ratio from one size to the next (×10 children)."""
    table: dict[str, Any] = {}
    for key in GROWTH:
        values = [r.get(key) for r in runs]
        if any(v is None for v in values):
            continue
        ratios = [round(b / a, 2) if a else None for a, b in zip(values, values[1:])]
        table[key] = {"values": values, "ratio_per_step": ratios}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--scaling", action="store_true", help="run at 1,000 / 10,000 / 100,000 children")
    parser.add_argument("--sizes", default="1000,10000,100000", help="sizes of --scaling, comma separated")
    parser.add_argument("--big-import-mb", type=float, default=0, help="also import a big list of this size")
    args = parser.parse_args()
    info = machine()
    if args.scaling:
        sizes = [int(s) for s in args.sizes.split(",")]
        runs = [run_all(n, args.edits) for n in sizes]
        result = {"machine": info, "sizes": sizes, "growth": growth(runs), "runs": runs}
    else:
        result = {**run_all(args.children, args.edits, args.big_import_mb), "machine": info}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
