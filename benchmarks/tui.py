"""TUI benchmark (not a test): the 儿童 list at county scale in a headless app.

    python benchmarks/tui.py [--children 100000] [--query zha] [--data-dir DIR] [--start import|dashboard]

Builds a demo township (``services.demo.make_children``, seed 2024) unless ``--data-dir`` names an existing
one, opens the app headless (80×24) on a light screen (``--start dashboard``: on the dashboard, as the app
starts by default, whose counts and panels classify every child in worker threads), presses F3 and
measures until the table draws its first row (``list_open_s``; ``list_open_pilot_s`` adds the wait until the test
driver sees the app idle, which includes the background index build competing for the interpreter), lets the background
pinyin preparation finish (``search_prepare_s``), then types the query one key at a time. A keystroke is measured
inside the app, from the moment the key event reaches the app until the end of the first screen paint that follows it
(``search_keystroke_ms`` = the slowest); ``pilot_keystroke_ms`` is the same seen from the test driver (it adds the
Pilot's own waits: about 100 ms per key on a loaded machine even for a key that does nothing, ``pilot_noop_key_ms``).
Then the same with the list sorted by name (``search_keystroke_sorted_ms``). Baseline measured in the same run:
``services.children.search.SearchIndex`` (one Python test per child) answering the same keystrokes
(``baseline_searchindex_keystroke_ms``). Targets (issue 4): list_open_s ≤ 1, search_keystroke_ms ≤ 100.

Memory (issue 10, target rss_mb ≤ 600): ``rss_mb`` is this process's own peak RSS (``VmHWM``) with the county
loaded, the list open and a search typed, read before the baseline is built; ``rss_open_mb`` /
``rss_list_mb`` / ``rss_search_mb`` the resident size after opening the workspace, after the list and its
indexes, after the searches; ``rss_mb_with_baseline`` the peak at the very end. A demo township that has to be
built is built in a child process, so that its memory is not counted here. (Not ``ru_maxrss``: on Linux a
child's ``ru_maxrss`` starts from its parent's peak RSS at the fork/exec, so it measured whoever started us.)
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kbtui.profiles import find_profile, load_profile  # noqa: E402
from kbtui.services.children.search import SearchIndex  # noqa: E402
from kbtui.services.demo import make_children  # noqa: E402
from kbtui.services.workspace import Workspace  # noqa: E402

OPERATOR = "bench"


def build(root: Path, children: int) -> None:
    path = find_profile("shuangshan-2024")
    plan = make_children(load_profile(path), children, 2024)
    workspace = Workspace.create(root, path, OPERATOR, extra_meta={"demo": True})
    workspace.store.insert_many(plan.records, OPERATOR, action="demo")


def build_elsewhere(root: Path, children: int) -> None:
    """``build`` in a child process: the measuring process's peak RSS stays the app's own."""
    subprocess.run([sys.executable, __file__, "--build-only", "--data-dir", str(root), "--children", str(children)],
                   check=True)


def _status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status in MB (None where there is no /proc)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def rss_now_mb() -> float | None:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """This process's own peak RSS since it started (``VmHWM``); elsewhere ``ru_maxrss`` (which may include
    the parent's peak: see the module docstring)."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


async def measure(root: Path, query: str, start: str = "import") -> dict:
    from textual import events

    from kbtui.tui.app import KbtuiApp
    from kbtui.tui.screens.children import ChildrenScreen
    from kbtui.tui.widgets.virtual_table import VirtualTable

    t = time.perf_counter()
    workspace = Workspace.open(root, OPERATOR)
    open_workspace = time.perf_counter() - t
    stamps: dict[str, float] = {}

    class TimedApp(KbtuiApp):
        async def on_event(self, event) -> None:
            if isinstance(event, events.Key):
                stamps["key"] = time.perf_counter()
                stamps.pop("paint", None)
            await super().on_event(event)

    app = TimedApp(workspace, today=dt.date(2024, 9, 10), start=start)
    result: dict = {"children": len(workspace.store), "workspace_open_s": round(open_workspace, 3),
                    "rss_open_mb": rss_now_mb()}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        drawn: dict[str, float] = {}
        render_line = VirtualTable.render_line

        def timed_render_line(table, y):
            strip = render_line(table, y)
            if y == 1 and table.rows:
                drawn.setdefault("rows", time.perf_counter())
            return strip

        VirtualTable.render_line = timed_render_line
        t = time.perf_counter()
        await pilot.press("f3")
        while not (isinstance(app.screen, ChildrenScreen) and app.screen.query_one(VirtualTable).rows):
            await pilot.pause()
        await pilot.pause()
        result["list_open_s"] = round(drawn["rows"] - t, 3)                 # key press → first row drawn
        result["list_open_pilot_s"] = round(time.perf_counter() - t, 3)    # … until the Pilot sees it idle
        VirtualTable.render_line = render_line
        screen = app.screen
        t = time.perf_counter()
        await app.workers.wait_for_complete()
        result["search_prepare_s"] = round(time.perf_counter() - t, 3)
        result["rss_list_mb"] = rss_now_mb()
        paint = screen._compositor_refresh

        def timed_paint() -> None:
            paint()
            stamps.setdefault("paint", time.perf_counter())

        screen._compositor_refresh = timed_paint

        async def type_query() -> tuple[list[float], list[float]]:
            inside, outside = [], []
            for key in query:
                t = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                outside.append((time.perf_counter() - t) * 1000)
                inside.append((stamps.get("paint", time.perf_counter()) - stamps["key"]) * 1000)
            return inside, outside

        keystrokes, seen_by_pilot = await type_query()
        result["search_keystroke_ms"] = round(max(keystrokes), 1)
        result["keystrokes_ms"] = [round(k, 1) for k in keystrokes]
        result["pilot_keystroke_ms"] = round(max(seen_by_pilot), 1)
        t = time.perf_counter()
        await pilot.press("f24")
        await pilot.pause()
        result["pilot_noop_key_ms"] = round((time.perf_counter() - t) * 1000, 1)
        result["hits"] = len(screen.query_one(VirtualTable).rows)
        for _ in query:
            await pilot.press("backspace")
        screen.model.set_sort(app.columns["name"])
        screen.refresh_rows()
        await pilot.pause()
        result["search_keystroke_sorted_ms"] = round(max((await type_query())[0]), 1)
        result["rss_search_mb"] = rss_now_mb()
        result["rss_mb"] = peak_rss_mb()      # the app's peak: county, list, search (before the baseline)
    index = SearchIndex(workspace.store.all())
    baseline = []
    for n in range(1, len(query) + 1):
        t = time.perf_counter()
        index.search(query[:n])
        baseline.append((time.perf_counter() - t) * 1000)
    result["baseline_searchindex_keystroke_ms"] = round(max(baseline), 1)
    result["rss_mb_with_baseline"] = peak_rss_mb()
    result["load_average_1min"] = round(os.getloadavg()[0], 2)    # other work on the machine inflates all times
    result["cpus"] = os.cpu_count()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--query", default="zha")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--start", default="import", help="the screen the app opens on (import, dashboard)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.data_dir, args.children)
        return
    temp = None
    root = args.data_dir
    if root is None or not (root / "meta.json").exists():
        if root is None:
            temp = Path(tempfile.mkdtemp(prefix="kbtui-bench-tui-"))
            root = temp / "data"
        build_elsewhere(root, args.children)
    try:
        result = asyncio.run(measure(root, args.query, args.start))
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
