"""A store opened lazy (the command line) reads only the village files a command needs and answers as the
loaded store does (issue 18, ``store.hints``); ``kbtui visit`` of one child reads its village's files only."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kbtui.services.campaign import tasks
from kbtui.services.workspace import Workspace
from kbtui.store import ChildStore, hints
from kbtui.store.storage import signature_of
from tests.conftest import run_cli
from tests.helpers.access import VILLAGE, inside_and_outside

# run kbtui with every file it opens under the data folder's store written to stderr (an audit hook)
OPEN_LOGGER = """
import sys
def hook(event, args):
    if event == "open" and isinstance(args[0], str) and "/store/" in args[0]:
        sys.stderr.write("OPENED " + args[0] + "\\n")
sys.addaudithook(hook)
from kbtui.cli import cli
cli(sys.argv[1:], prog_name="kbtui")
"""


@pytest.fixture
def data(demo_dir, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(demo_dir, target)
    return target


def _opened(data: Path, *args: str) -> tuple[str, list[Path]]:
    return _opened_as(data, "tester", *args)


def _opened_as(data: Path, operator: str, *args: str) -> tuple[str, list[Path]]:
    proc = subprocess.run([sys.executable, "-c", OPEN_LOGGER, "--data-dir", str(data), "--operator", operator, *args],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, [Path(line[7:]) for line in proc.stderr.splitlines() if line.startswith("OPENED ")]


def _data_files(paths: list[Path], folder: Path) -> set[str]:
    return {p.name for p in paths if p.parent == folder and p.suffix == ".json" and not p.name.startswith(".")}


def _open_visit_tasks(data: Path) -> list[dict]:
    ws = Workspace.open(data, "tester")
    return sorted(ws.store.collection(tasks.TASKS).find(state=tasks.OPEN, kind=tasks.VISIT), key=lambda d: d["key"])


def test_cli_visit_reads_only_its_villages_files(data):
    open_tasks = _open_visit_tasks(data)
    first, second = open_tasks[0], next(t for t in open_tasks if t["village"] != open_tasks[0]["village"])
    children, task_files = data / "store" / "children", data / "store" / "collections" / "tasks"
    assert len(list(children.glob("*.json"))) > 3
    _out, opened = _opened(data, "visit", open_tasks[-1]["id_number"], "--status", "在籍在校")
    assert len(_data_files(opened, children)) > 3           # no hint yet: every file read, the hint written
    for task in (first, second):
        out, opened = _opened(data, "visit", task["id_number"], "--status", "在籍在校")
        assert "已登记" in out
        village = f"{task['village']}.json"
        assert _data_files(opened, children) == {village}, opened
        assert _data_files(opened, task_files) == {village}, opened
    ws = Workspace.open(data, "tester")
    for task in (first, second):
        assert ws.store.get(task["id_number"])["status"] == "在籍在校"
        assert ws.store.collection(tasks.TASKS).get(task["key"])["state"] == tasks.DONE


def test_cli_stats_still_reads_every_village(data):
    run_cli("stats", data_dir=data)
    _out, opened = _opened(data, "stats", "--json")
    children = data / "store" / "children"
    assert _data_files(opened, children) == {p.name for p in children.glob("*.json") if not p.name.startswith(".")}


def _warm_up(data: Path) -> None:
    """A visit from the command line: it keeps the hint of the files it read."""
    task = _open_visit_tasks(data)[-1]
    assert run_cli("visit", task["id_number"], "--status", "在籍在校", data_dir=data).exit_code == 0
    assert (data / "store" / "children" / hints.HINT_FILE).exists()


def test_a_command_that_changes_nothing_leaves_the_folder_as_it_was(data):
    def files() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}

    before = files()
    child = sorted(ChildStore.open(data).ids())[0]
    for args in (("stats",), ("check",), ("visit", child, "--status", "不存在的情况"), ("audit", "verify")):
        run_cli(*args, data_dir=data)
    assert files() == before


def _same(lazy: ChildStore, loaded: ChildStore, ids: list[str]) -> None:
    for id_number in ids:
        assert lazy.get(id_number) == loaded.get(id_number)
        assert (id_number in lazy) == (id_number in loaded)
        assert lazy.shard_of(id_number) == loaded.shard_of(id_number)


def test_a_lazy_store_answers_as_the_loaded_store(data):
    _warm_up(data)
    loaded = ChildStore.open(data)
    ids = sorted(loaded.ids())
    probe = [ids[0], ids[len(ids) // 2], ids[-1], "110101200001010000", "not an id"]
    lazy = ChildStore.open(data, lazy=True)
    _same(lazy, loaded, probe)
    assert not lazy.loaded and len(lazy._records) < len(loaded)     # one village's children, not the county
    assert len(lazy) == len(loaded) and lazy.loaded
    assert sorted(lazy.ids()) == ids


@pytest.mark.parametrize("damage", ["missing", "garbage", "stale"])
def test_a_wrong_hint_costs_time_never_a_wrong_answer(data, damage):
    _warm_up(data)
    loaded = ChildStore.open(data)
    hint_file = data / "store" / "children" / hints.HINT_FILE
    assert hint_file.exists()
    ids = sorted(loaded.ids())
    moved = loaded.get(ids[0])
    other_village = next(r["village"] for r in loaded.all() if r["village"] != moved["village"])
    if damage == "missing":
        hint_file.unlink()
    elif damage == "garbage":
        hint_file.write_bytes(b"{not json")
    else:   # the hint of before another operator moved a child and added one
        loaded.update(moved["id_number"], {"village": other_village}, "other")
        loaded.insert({**loaded.get(ids[1]), "id_number": "500224201001010012", "village": other_village}, "other")
        now = signature_of(os.stat(data / "store" / "children" / f"{other_village}.json"))
        assert hints.read(data / "store" / "children").keys_of(other_village, now) is None
    lazy = ChildStore.open(data, lazy=True)
    _same(lazy, ChildStore.open(data), [ids[0], ids[1], ids[-1], "500224201001010012"])
    if damage == "stale":
        assert lazy.get(ids[0])["village"] == other_village and "500224201001010012" in lazy


def test_a_lazy_store_sees_another_operators_edit_and_refuses_a_stale_one(data):
    from kbtui.errors import StaleEditError

    other = ChildStore.open(data)
    id_number = sorted(other.ids())[0]
    lazy = ChildStore.open(data, lazy=True)
    seen = lazy.get(id_number)
    other.update(id_number, {"note": "另一人"}, "other")
    with pytest.raises(StaleEditError):
        lazy.update(id_number, {"note": "我"}, "tester", expected_version=seen["_v"])
    saved = lazy.update(id_number, {"grade": "三年级"}, "tester")
    assert saved["note"] == "另一人" and saved["grade"] == "三年级"
    assert ChildStore.open(data).get(id_number) == saved


def test_the_hint_is_no_data_file(data):
    ChildStore.open(data)
    run_cli("visit", sorted(ChildStore.open(data).ids())[0], "--status", "在籍在校", data_dir=data)
    verify = run_cli("audit", "verify", "--json", data_dir=data)
    assert verify.exit_code == 0, verify.output
    assert json.loads(verify.output)["ok"] is True


def test_a_village_cadre_reads_only_the_villages_in_scope(scoped):
    children = scoped / "store" / "children"
    admin = Workspace.open(scoped, "tester")
    inside, outside = inside_and_outside(admin, "cadre")
    in_scope = [r for r in admin.raw_store.all() if r.get("village") == VILLAGE]
    _warm_up(scoped)
    out, opened = _opened_as(scoped, "cadre", "stats", "--json")
    assert _data_files(opened, children) == {f"{VILLAGE}.json"}
    assert json.loads(out)["children"] == len(in_scope) and json.loads(out)["by_village"].keys() == {VILLAGE}
    out, opened = _opened_as(scoped, "cadre", "visit", inside["id_number"], "--status", "在籍在校")
    assert "已登记" in out and _data_files(opened, children) == {f"{VILLAGE}.json"}
    refused = run_cli("visit", outside["id_number"], "--status", "在籍在校", data_dir=scoped, operator="cadre")
    assert refused.exit_code == 1 and "找不到身份证号" in refused.output      # (as to any child out of scope)
    assert ChildStore.open(scoped).get(outside["id_number"]) == admin.raw_store.get(outside["id_number"])


def test_a_lazy_scoped_store_sees_what_the_loaded_one_sees(scoped):
    lazy = Workspace.open(scoped, "cadre", lazy_children=True)
    loaded = Workspace.open(scoped, "cadre")
    assert sorted(lazy.store.ids()) == sorted(loaded.store.ids()) and len(lazy.store) == len(loaded.store)
    assert not lazy.raw_store.loaded
    assert [r["village"] for r in lazy.store.all()] == [VILLAGE] * len(loaded.store)
    assert sorted(d["key"] for d in lazy.store.collection(tasks.TASKS).all()) == sorted(
        d["key"] for d in loaded.store.collection(tasks.TASKS).all())
    from kbtui.services.access.operators import AccessDenied

    _inside, outside = inside_and_outside(Workspace.open(scoped, "tester"), "cadre")
    with pytest.raises(AccessDenied):
        lazy.store.update(outside["id_number"], {"village": VILLAGE}, "cadre")
    with pytest.raises(AccessDenied):
        lazy.store.update(lazy.store.ids()[0], {"village": outside["village"]}, "cadre")
    assert not lazy.raw_store.loaded
