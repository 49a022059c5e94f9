"""Visit tasks kept one file per village (store.sharded, issue 18): a visit rewrites its village's task file
only; an old data folder's single tasks.json is split on open with nothing lost; verification still covers
every task."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pytest

from kbtui.services.campaign import tasks
from kbtui.services.workspace import Workspace
from kbtui.store import layout
from kbtui.store import storage as storage_mod
from tests.conftest import run_cli


def task_files(data: Path) -> list[Path]:
    return sorted((layout.collections_dir(data) / "tasks").glob("*.json"))


def all_tasks(data: Path) -> list[dict]:
    return sorted(Workspace.open(data).store.collection(tasks.TASKS).all(), key=lambda d: d["key"])


def make_single_file(data: Path) -> list[dict]:
    """Turn the folder back into the layout before issue 18: every task in one tasks.json."""
    docs = all_tasks(data)
    table = {str(i + 1): doc for i, doc in enumerate(docs)}
    shutil.rmtree(layout.collections_dir(data) / "tasks")
    (layout.collections_dir(data) / "tasks.json").write_bytes(orjson.dumps({"_default": table}))
    return docs


def test_the_demo_keeps_tasks_per_village(tui_data):
    files = task_files(tui_data)
    villages = {doc["village"] for doc in all_tasks(tui_data)}
    assert len(files) == len(villages) > 1
    assert not (layout.collections_dir(tui_data) / "tasks.json").exists()
    for path in files:
        docs = orjson.loads(path.read_bytes())["_default"].values()
        assert {layout.shard_name(d["village"]) for d in docs} == {path.stem}


def test_a_visit_rewrites_only_its_villages_task_file(tui_data, monkeypatch):
    task = next(d for d in all_tasks(tui_data) if d["state"] == tasks.OPEN)
    files = {p: p.stat() for p in task_files(tui_data)}
    written: list[Path] = []
    real = storage_mod.LockedJSONStorage.write_pending

    def spy(self, marker):
        real(self, marker)
        written.append(self.path)

    monkeypatch.setattr(storage_mod.LockedJSONStorage, "write_pending", spy)
    result = run_cli("visit", task["id_number"], "--status", "在籍在校", data_dir=tui_data)
    assert result.exit_code == 0, result.output
    mine = layout.collections_dir(tui_data) / "tasks" / f"{layout.shard_name(task['village'])}.json"
    assert [p for p in written if p.parent.name == "tasks"] == [mine]
    for path, before in files.items():
        after = path.stat()
        assert ((after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)) == (path != mine)
    closed = Workspace.open(tui_data).store.collection(tasks.TASKS).get(task["key"])
    assert closed["state"] == tasks.DONE and closed["done_how"] == "入户"


def test_an_old_single_task_file_is_split_on_open_with_nothing_lost(tui_data):
    report = json.loads(run_cli("tasks", "--json", data_dir=tui_data).output)
    docs = make_single_file(tui_data)
    assert len(docs) > 10
    assert all_tasks(tui_data) == docs                      # read, and split, on open
    assert not (layout.collections_dir(tui_data) / "tasks.json").exists()
    assert {layout.shard_name(d["village"]) for d in docs} == {p.stem for p in task_files(tui_data)}
    assert json.loads(run_cli("tasks", "--json", data_dir=tui_data).output) == report
    verified = run_cli("audit", "verify", data_dir=tui_data)
    assert verified.exit_code == 0, verified.output


def test_an_interrupted_split_is_done_again_keeping_the_newer_copy(tui_data):
    docs = make_single_file(tui_data)
    # a split killed after writing one village file, then that file's task edited by someone (a newer copy)
    first = docs[0]
    newer = {**first, "due": "2024-12-31T23:59", "_v": first["_v"] + 1}
    folder = layout.collections_dir(tui_data) / "tasks"
    folder.mkdir()
    (folder / f"{layout.shard_name(first['village'])}.json").write_bytes(
        orjson.dumps({"_default": {"1": newer}}))
    got = {d["key"]: d for d in all_tasks(tui_data)}
    assert set(got) == {d["key"] for d in docs}
    assert got[first["key"]] == newer
    assert all(got[d["key"]] == d for d in docs[1:])


def test_a_task_whose_village_changes_moves_to_that_villages_file(tui_data):
    ws = Workspace.open(tui_data)
    coll = ws.store.collection(tasks.TASKS)
    docs = coll.all()
    task = docs[0]
    other = next(d["village"] for d in docs if d["village"] != task["village"])
    coll.update(task["key"], {"village": other}, ws.operator)
    where = {p.stem: {d["key"] for d in orjson.loads(p.read_bytes())["_default"].values()}
             for p in task_files(tui_data)}
    assert task["key"] in where[layout.shard_name(other)]
    assert task["key"] not in where.get(layout.shard_name(task["village"]), set())
    assert Workspace.open(tui_data).store.collection(tasks.TASKS).get(task["key"])["village"] == other
    verified = run_cli("audit", "verify", data_dir=tui_data)
    assert verified.exit_code == 0, verified.output


def test_a_task_edited_by_hand_in_a_village_file_is_found_by_verify(tui_data):
    path = task_files(tui_data)[0]
    data = orjson.loads(path.read_bytes())
    doc = next(iter(data["_default"].values()))
    del data["_default"][next(iter(data["_default"]))]
    path.write_bytes(orjson.dumps(data))
    verified = run_cli("audit", "verify", data_dir=tui_data)
    assert verified.exit_code == 1
    assert "store/collections/tasks" in verified.output and doc["key"] in verified.output


@pytest.mark.parametrize("twice", [False, True])
def test_a_new_task_goes_once_into_its_village_file(tui_data, twice):
    ws = Workspace.open(tui_data)
    coll = ws.store.collection(tasks.TASKS)
    doc = {"key": "test:1", "village": "新村", "state": tasks.OPEN}
    coll.insert(doc, ws.operator)
    if twice:
        with pytest.raises(Exception, match="已存在"):
            Workspace.open(tui_data).store.collection(tasks.TASKS).insert({**doc, "village": "旧村"}, "x")
    assert (layout.collections_dir(tui_data) / "tasks" / "新村.json").exists()
    assert [d["key"] for d in Workspace.open(tui_data).store.collection(tasks.TASKS).find(village="新村")] == ["test:1"]
