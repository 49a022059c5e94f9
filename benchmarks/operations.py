"""What an operator waits for (issue 18), not a test: a visit in process, and CLI commands' wall time and RSS.

    python benchmarks/operations.py [--children 100000] [--visits 100] [--data-dir DEMO]

On a demo township (``kbtui demo --children N``; or ``--data-dir``, copied first, never written):
- ``visit_p50_ms`` / ``visit_p95_ms``: ``services.visits.record_finding`` (the finding, the task closed, the
  journal) of ``--visits`` children with an open visit task, in one process with the workspace open; the
  baseline in the same run (``baseline_visit_*``): the same visits on a copy whose tasks are one
  ``tasks.json``, read and written through the single-file ``Collection`` (the layout before issue 18);
- ``cli_<name>_s`` / ``cli_<name>_mb``: wall time and peak RSS (``/usr/bin/time``) of ``kbtui --help``,
  ``kbtui visit``, ``kbtui check --json``, ``kbtui stats --json``, ``kbtui tasks --json`` and
  ``kbtui audit verify``; ``*_cadre_*`` ``stats`` and ``visit`` by a 村干部 scoped to one village;
  ``baseline_cli_<name>_*`` the same commands in the same run as before this issue's points 1-4 (every command
  module imported, every village file read at open, ``--json`` by the standard library: ``KBTUI_BEFORE``);
  ``single_file_cli_visit_*`` the CLI visit on the single-file copy.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

KBTUI = [sys.executable, "-m", "kbtui"]
# the same command with the tasks through the single-file Collection (the layout before issue 18)
KBTUI_SINGLE_FILE = [sys.executable, "-c", "import sys; from kbtui.store import sharded; sharded.SHARDED.clear(); "
                     "from kbtui.cli import cli; sys.argv[0] = 'kbtui'; cli(prog_name='kbtui')"]
# the command line as before issue 18's lazy loading: every command module imported, the store loaded at open,
# JSON written by the standard library
KBTUI_BEFORE = [sys.executable, "-c", "import sys, json; from kbtui.store import ChildStore; "
                "_open = ChildStore.open.__func__; "
                "ChildStore.open = classmethod(lambda cls, root, load=True, lazy=False: _open(cls, root, load)); "
                "from kbtui.cli import cli, common; cli.commands; "
                "common.json_text = lambda d: json.dumps(d, ensure_ascii=False, indent=2, default=str); "
                "sys.argv[0] = 'kbtui'; cli(prog_name='kbtui')"]
CLI = {"help": ["--help"], "check": ["check", "--json"], "stats": ["stats", "--json"],
       "tasks": ["tasks", "--json"], "verify": ["audit", "verify"]}
CADRE = "bench-cadre"


def make_demo(folder: Path, children: int) -> None:
    subprocess.run([*KBTUI, "--data-dir", str(folder), "demo", "--children", str(children), "--no-tui"],
                   check=True, stdout=subprocess.DEVNULL)


def single_file_copy(source: Path, target: Path) -> None:
    """``source`` with its village task files joined into one ``tasks.json`` (the layout before issue 18)."""
    import orjson

    shutil.copytree(source, target, symlinks=True)
    folder = target / "store" / "collections" / "tasks"
    docs = []
    for path in sorted(folder.glob("*.json")):
        docs += [d for d in orjson.loads(path.read_bytes())["_default"].values()]
    shutil.rmtree(folder)
    table = {str(i + 1): d for i, d in enumerate(docs)}
    (target / "store" / "collections" / "tasks.json").write_bytes(orjson.dumps({"_default": table}))


def open_tasks(data: Path, count: int, skip: int = 0) -> list[str]:
    """ID numbers of children with an open visit task (the same ones in both layouts: read the records)."""
    from kbtui.services.campaign import tasks
    from kbtui.services.workspace import Workspace

    ws = Workspace.open(data)
    ids = sorted(d["id_number"] for d in ws.store.collection(tasks.TASKS).find(state=tasks.OPEN, kind=tasks.VISIT))
    return ids[skip:skip + count]


def villages_of(data: Path, ids: list[str]) -> dict[str, str]:
    """The village of each child."""
    from kbtui.store import ChildStore

    store = ChildStore.open(data)
    return {i: store.get(i)["village"] for i in ids}


def visits(data: Path, ids: list[str]) -> dict[str, Any]:
    """(child process) record a visit of each child; the per-visit times."""
    from kbtui.services.campaign.visits import record_finding
    from kbtui.services.workspace import Workspace

    ws = Workspace.open(data)
    ws.store.collection("tasks").all()          # as the TUI has them: loaded once
    times = []
    for id_number in ids:
        t = time.perf_counter()
        record_finding(ws, id_number, "在籍在校", note="benchmark")
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 2), "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 2)}


def run_child(mode: str, data: Path, ids: list[str], single_file: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", mode, "--data-dir", str(data), "--ids", ",".join(ids)]
    if single_file:
        args.append("--single-file")
    proc = subprocess.run(args, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def timed(args: list[str], env: dict[str, str] | None = None, command: list[str] = KBTUI) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``kbtui <args>``."""
    out = tempfile.NamedTemporaryFile(prefix="kbtui-time-", delete=False)
    out.close()
    try:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", out.name, *command, *args], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall, kb = Path(out.name).read_text().split()[-2:]
        return float(wall), round(int(kb) / 1024, 1)
    finally:
        os.unlink(out.name)


def best(args: list[str], rounds: int, env: dict[str, str] | None = None,
         command: list[str] = KBTUI) -> tuple[float, float]:
    runs = [timed(args, env, command) for _ in range(rounds)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def add_cadre(data: Path, village: str, env: dict[str, str]) -> None:
    subprocess.run([*KBTUI, "--data-dir", str(data), "operators", "add", CADRE, "--role", "村干部", "--village",
                    village], env=env, check=True, stdout=subprocess.DEVNULL)


def run(children: int, n_visits: int = 100, data_dir: Path | None = None, rounds: int = 3) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="kbtui-bench-ops-"))
    out: dict[str, Any] = {"children": children}
    try:
        data = tmp / "data"
        if data_dir:
            shutil.copytree(data_dir, data, symlinks=True)
        else:
            t = time.perf_counter()
            make_demo(data, children)
            out["demo_s"] = round(time.perf_counter() - t, 1)
        ids = open_tasks(data, n_visits + 200)      # (an older folder's single tasks.json is split here)
        old = tmp / "single"
        single_file_copy(data, old)
        village = villages_of(data, ids)
        cadre_village = Counter(village[i] for i in ids).most_common(1)[0][0]   # (two of its children)
        cadre_ids = [i for i in ids if village[i] == cadre_village][-2:]
        ids = [i for i in ids if i not in cadre_ids]
        cli_ids, ids = ids[:10], ids[10:10 + n_visits]
        new = run_child("visits", data, ids, False)
        base = run_child("visits", old, ids, True)
        out.update(visit_p50_ms=new["p50"], visit_p95_ms=new["p95"], baseline_visit_p50_ms=base["p50"],
                   baseline_visit_p95_ms=base["p95"], visits=len(ids))
        env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
        for name, args in CLI.items():
            for prefix, command in (("cli", KBTUI), ("baseline_cli", KBTUI_BEFORE)):
                wall, mb = best(["--data-dir", str(data), *args], rounds if name != "verify" else 1, env, command)
                out[f"{prefix}_{name}_s"], out[f"{prefix}_{name}_mb"] = wall, mb
        add_cadre(data, cadre_village, env)
        visit = ["visit", cli_ids[0], "--status", "在籍在校"]
        timed(["--data-dir", str(data), *visit], env)       # the first write keeps the hint (store.hints)
        for prefix, command in (("cli", KBTUI), ("baseline_cli", KBTUI_BEFORE)):
            runs = [timed(["--data-dir", str(data), "visit", cli_ids[i], "--status", "在籍在校"], env, command)
                    for i in ((1, 2, 3) if prefix == "cli" else (4, 5, 6))]
            out[f"{prefix}_visit_s"], out[f"{prefix}_visit_mb"] = min(r[0] for r in runs), max(r[1] for r in runs)
            as_cadre = ["--data-dir", str(data), "--operator", CADRE]
            out[f"{prefix}_stats_cadre_s"], out[f"{prefix}_stats_cadre_mb"] = best(
                [*as_cadre, "stats", "--json"], rounds, env, command)
            out[f"{prefix}_visit_cadre_s"], out[f"{prefix}_visit_cadre_mb"] = timed(
                [*as_cadre, "visit", cadre_ids[0 if prefix == "cli" else 1], "--status", "在籍在校"], env, command)
        out["single_file_cli_visit_s"], out["single_file_cli_visit_mb"] = timed(
            ["--data-dir", str(old), "visit", cli_ids[9], "--status", "在籍在校"], env, KBTUI_SINGLE_FILE)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=None, help="an existing demo folder (copied)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--ids", default="", help=argparse.SUPPRESS)
    parser.add_argument("--single-file", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.single_file:
            from kbtui.store import sharded

            sharded.SHARDED.clear()             # the baseline: tasks through the single-file Collection
        print(json.dumps(visits(args.data_dir, args.ids.split(","))))
        return
    print(json.dumps(run(args.children, args.visits, args.data_dir), ensure_ascii=False))


if __name__ == "__main__":
    main()
