"""Issue 17, a district's village files per town: two towns' 新村 are two files (children and visit tasks), a
township keeps its file names, a child moved to another town changes file, and a district folder written
with the old names is split on its first open, whole (an interrupted split is done again), the journal still
agreeing with the files."""
from __future__ import annotations

import json
from pathlib import Path

import orjson

from kbtui.services.workspace import Workspace
from kbtui.store import ChildStore
from kbtui.store.town_shards import MARKER
from tests.conftest import run_cli
from tests.helpers.imports import cid, xlsx

A, B, C = cid("2012-01-01", 51), cid("2012-01-01", 55), cid("2012-01-01", 57)
HEAD = ["姓名", "身份证号", "户籍地址", "村（社区）"]
ROWS = [["孙一", A, "山亭区城头镇新村", "新村"], ["孙三", B, "山亭区桑村镇新村", "新村"],
        ["孙四", C, "山亭区城头镇城头村", "城头村"]]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.json"))


def _district(tmp_path) -> Path:
    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shanting-2019", data_dir=data).exit_code == 0
    result = run_cli("import", "police", str(xlsx(tmp_path / "户籍.xlsx", [HEAD, *ROWS])), data_dir=data)
    assert result.exit_code == 0, result.output
    return data


def test_two_towns_villages_of_one_name_are_two_files(tmp_path):
    data = _district(tmp_path)
    assert _files(data / "store" / "children") == ["城头镇·城头村.json", "城头镇·新村.json", "桑村镇·新村.json"]
    assert run_cli("tasks", data_dir=data).exit_code == 0
    assert _files(data / "store" / "collections" / "tasks") == _files(data / "store" / "children")
    for operator, town in (("cheng", "城头镇"), ("sang", "桑村镇")):
        assert run_cli("operators", "add", operator, "--role", "村干部", "--town", town, "--village", "新村",
                       data_dir=data).exit_code == 0
    assert [r["name"] for r in Workspace.open(data, "cheng").store.all()] == ["孙一"]
    assert [r["name"] for r in Workspace.open(data, "sang").store.all()] == ["孙三"]


def test_a_township_keeps_its_file_names(tmp_path):
    store = ChildStore.open(tmp_path / "data")
    store.insert_many([{"id_number": A, "name": "甲", "village": "新村"}, {"id_number": B, "name": "乙"}], "t")
    assert _files(tmp_path / "data" / "store" / "children") == ["_未分村.json", "新村.json"]


def test_a_child_moved_to_another_town_changes_file(tmp_path):
    data = _district(tmp_path)
    ws = Workspace.open(data, "tester")
    ws.store.update(A, {"town": "桑村镇"}, "tester")
    assert ws.raw_store.shard_of(A) == "桑村镇·新村"
    assert ChildStore.open(data).shard_of(A) == "桑村镇·新村"
    ws.store.apply_many([(C, {"town": "桑村镇", "village": "新村"})], "tester")
    assert sorted(r["id_number"] for r in ChildStore.open(data).in_villages(["新村"])) == sorted([A, B, C])
    assert {ChildStore.open(data).shard_of(i) for i in (A, B, C)} == {"桑村镇·新村"}
    assert run_cli("audit", "verify", data_dir=data).exit_code == 0


def _as_written_before(data: Path, *, interrupted: bool = False) -> None:
    """The folder as kbtui wrote it before village files had a town: both towns' 新村 in 新村.json (and, for an
    interrupted split, one of them already copied to its new file)."""
    folder = data / "store" / "children"
    table: dict = {}
    for name in ("城头镇·新村.json", "桑村镇·新村.json"):
        for rec in orjson.loads((folder / name).read_bytes())["_default"].values():
            table[str(len(table) + 1)] = rec
        if not (interrupted and name == "城头镇·新村.json"):
            (folder / name).unlink()
    (folder / "新村.json").write_bytes(orjson.dumps({"_default": table}))
    (folder / "城头镇·城头村.json").rename(folder / "城头村.json")
    (folder / MARKER).unlink()
    (folder / ".keys").unlink(missing_ok=True)


def test_an_old_district_folder_is_split_on_its_first_open(tmp_path):
    data = _district(tmp_path)
    _as_written_before(data)
    assert _files(data / "store" / "children") == ["城头村.json", "新村.json"]
    store = ChildStore.open(data)
    assert _files(data / "store" / "children") == ["城头镇·城头村.json", "城头镇·新村.json", "桑村镇·新村.json"]
    assert sorted(store.ids()) == sorted([A, B, C]) and store.shard_of(B) == "桑村镇·新村"
    result = run_cli("audit", "verify", "--json", data_dir=data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"]
    assert (data / "store" / "children" / MARKER).exists()


def test_an_interrupted_split_is_done_again_whole(tmp_path):
    data = _district(tmp_path)
    before = {r["id_number"]: r for r in ChildStore.open(data).all()}
    _as_written_before(data, interrupted=True)
    store = ChildStore.open(data)
    assert _files(data / "store" / "children") == ["城头镇·城头村.json", "城头镇·新村.json", "桑村镇·新村.json"]
    assert {r["id_number"]: r for r in store.all()} == before
    raw = orjson.loads((data / "store" / "children" / "城头镇·新村.json").read_bytes())["_default"]
    assert [r["id_number"] for r in raw.values()] == [A]             # one copy, not two
    assert run_cli("audit", "verify", data_dir=data).exit_code == 0
