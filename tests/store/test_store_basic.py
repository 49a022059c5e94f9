"""ChildStore, collections and journal: behaviour in one process."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import orjson
import pytest

from kbtui.errors import RecordNotFound, StaleEditError, StoreError
from kbtui.store import ChildStore, shard_name
from kbtui.store import storage as storage_mod


def child(i: int, village: str | None = "石桥村", **extra) -> dict:
    rec = {"id_number": f"50022420150101{i:03d}{i % 10}", "name": f"学生{i}", "village": village,
           "group": "一组", "birth_date": "2015-01-01", "key_groups": ["留守儿童"]}
    rec.update(extra)
    return rec


@pytest.fixture
def store(tmp_path: Path) -> ChildStore:
    s = ChildStore.open(tmp_path / "data")
    s.insert_many([child(i, "石桥村" if i % 2 else "新华村") for i in range(10)], "张老师")
    return s


def test_layout_created_private(tmp_path: Path):
    root = tmp_path / "data"
    old = os.umask(0o022)
    try:
        s = ChildStore.open(root)
        s.insert_many([child(1)], "op")
        s.collection("visits").insert({"child": child(1)["id_number"]}, "op")
    finally:
        os.umask(old)
    for sub in ("store", "store/children", "store/collections", "journal"):
        assert (root / sub).is_dir()
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_insert_get_versions(store: ChildStore):
    assert len(store) == 10
    rec = store.get(child(3)["id_number"])
    assert rec["name"] == "学生3" and rec["_v"] == 1 and rec["_by"] == "张老师"
    rec["name"] = "改了副本"
    assert store.get(child(3)["id_number"])["name"] == "学生3"     # get returns a copy
    assert sorted(store.ids()) == sorted(child(i)["id_number"] for i in range(10))
    assert len(list(store.all())) == 10
    assert store.get("0" * 18) is None


def test_insert_existing_or_duplicate_raises(store: ChildStore):
    with pytest.raises(StoreError, match="已存在"):
        store.insert_many([child(3)], "op")
    with pytest.raises(StoreError, match="重复"):
        store.insert_many([child(50), child(50)], "op")
    assert len(store) == 10


def test_update_changes_only_changed_fields(store: ChildStore):
    cid = child(3)["id_number"]
    new = store.update(cid, {"name": "李小明", "group": "一组"}, "李干部", expected_version=1)
    assert new["name"] == "李小明" and new["_v"] == 2 and new["_by"] == "李干部"
    last = list(store.journal.entries(record=cid))[-1]
    assert last["action"] == "update" and last["operator"] == "李干部"
    assert last["changes"] == {"name": ["学生3", "李小明"]}
    # no real change: no new version, no journal entry
    n = len(list(store.journal.entries()))
    assert store.update(cid, {"name": "李小明"}, "x")["_v"] == 2
    assert len(list(store.journal.entries())) == n


def test_stale_edit(store: ChildStore):
    cid = child(3)["id_number"]
    store.update(cid, {"name": "甲"}, "王老师", expected_version=1)
    with pytest.raises(StaleEditError) as info:
        store.update(cid, {"name": "乙"}, "李老师", expected_version=1)
    err = info.value
    assert "王老师" in str(err) and "未保存" in str(err)
    assert err.current["name"] == "甲" and err.current["_v"] == 2
    assert err.attempted == {"name": "乙"}
    assert isinstance(err, StoreError)
    assert store.get(cid)["name"] == "甲"


def test_unknown_record(store: ChildStore):
    with pytest.raises(RecordNotFound, match="找不到"):
        store.update("1" * 18, {"name": "x"}, "op")


def test_village_change_moves_shard(store: ChildStore):
    cid = child(3)["id_number"]
    assert store.shard_of(cid) == "石桥村"
    store.update(cid, {"village": "新/华:村"}, "op", expected_version=1)
    target = shard_name("新/华:村")
    assert "/" not in target and ":" not in target
    assert store.shard_of(cid) == target
    children = store.root / "store" / "children"
    def on_disk(name):
        return {r["id_number"] for r in orjson.loads((children / f"{name}.json").read_bytes())["_default"].values()}
    assert cid in on_disk(target) and cid not in on_disk("石桥村")
    reopened = ChildStore.open(store.root)
    assert reopened.get(cid)["village"] == "新/华:村" and reopened.get(cid)["_v"] == 2
    assert len(reopened) == 10


def test_no_village_goes_to_unassigned_shard(tmp_path: Path):
    s = ChildStore.open(tmp_path)
    s.insert_many([child(1, None), child(2, "  ")], "op")
    assert s.shard_of(child(1)["id_number"]) == "_未分村" == s.shard_of(child(2)["id_number"])


def test_refresh_sees_other_store(store: ChildStore):
    other = ChildStore.open(store.root)
    assert store.refresh() is False
    cid = child(4)["id_number"]
    other.update(cid, {"note": "外出务工"}, "op")
    other.insert_many([child(77, "河坝村")], "op")
    assert store.refresh() is True
    assert store.get(cid)["note"] == "外出务工"
    assert store.get(child(77)["id_number"])["village"] == "河坝村"
    assert store.refresh() is False


def test_stale_detected_across_instances(store: ChildStore):
    other = ChildStore.open(store.root)
    cid = child(5)["id_number"]
    other.update(cid, {"name": "另一人改"}, "赵", expected_version=1)
    with pytest.raises(StaleEditError):
        store.update(cid, {"name": "我改"}, "钱", expected_version=store.get(cid)["_v"])
    assert store.get(cid)["name"] == "另一人改"     # the index was refreshed under the lock


def test_apply_many(store: ChildStore):
    ids = [child(i)["id_number"] for i in range(4)]
    n = store.apply_many([(ids[0], {"school": "一小"}), (ids[1], {"village": "新华村"}),
                          (ids[2], {"name": "学生2"}), (ids[3], {"school": "二小"})], "导入", detail={"file": "a.xlsx"})
    assert n == 3    # ids[2] unchanged
    assert store.get(ids[1])["village"] == "新华村" and store.shard_of(ids[1]) == "新华村"
    entries = [e for e in store.journal.entries() if e["action"] == "import"]
    assert len(entries) == 3 and entries[0]["detail"] == {"file": "a.xlsx"}
    reopened = ChildStore.open(store.root)
    assert reopened.get(ids[0])["school"] == "一小" and reopened.get(ids[0])["_v"] == 2
    assert len(reopened) == 10
    with pytest.raises(RecordNotFound):
        store.apply_many([("9" * 18, {"a": 1})], "op")


def test_edit_rewrites_only_its_shard(tmp_path: Path, monkeypatch):
    s = ChildStore.open(tmp_path)
    s.insert_many([child(i, "大村") for i in range(600)] + [child(900 + i, "小村") for i in range(5)], "op")
    big = tmp_path / "store" / "children" / "大村.json"
    before = big.stat()
    written: list[tuple[Path, int]] = []
    real = storage_mod.LockedJSONStorage.write_pending

    def spy(self, marker):      # journaled writes go write-ahead through the pending file
        real(self, marker)
        written.append((self.path, self.pending.stat().st_size))

    monkeypatch.setattr(storage_mod.LockedJSONStorage, "write_pending", spy)
    s.update(child(901)["id_number"], {"note": "已核实"}, "op")
    assert [p.name for p, _ in written] == ["小村.json"]
    assert written[0][1] < 10_000
    after = big.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "磁盘已满"), (errno.EACCES, "没有写权限"),
                                         (errno.EROFS, "只读")])
def test_write_failure_keeps_old_file(store: ChildStore, monkeypatch, code, words):
    cid = child(3)["id_number"]
    path = store.root / "store" / "children" / "石桥村.json"
    before = path.read_bytes()
    real_open = os.open

    def failing_open(p, flags, *a, **kw):
        if ".tmp-" in str(p):
            raise OSError(code, os.strerror(code), str(p))
        return real_open(p, flags, *a, **kw)

    monkeypatch.setattr(storage_mod.os, "open", failing_open)
    with pytest.raises(StoreError) as info:
        store.update(cid, {"name": "写不进去"}, "op")
    monkeypatch.undo()
    msg = str(info.value)
    assert "写入" in msg and "石桥村.json" in msg and words in msg
    assert path.read_bytes() == before
    assert store.get(cid)["name"] == "学生3"
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name]
    assert store.update(cid, {"name": "现在可以"}, "op")["_v"] == 2


def test_write_failure_mid_write(store: ChildStore, monkeypatch):
    path = store.root / "store" / "children" / "新华村.json"
    before = path.read_bytes()
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 500:
            real_write(fd, bytes(data[:100]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(storage_mod.os, "write", half_then_full)
    with pytest.raises(StoreError, match="磁盘已满"):
        store.insert_many([child(60, "新华村")], "op")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert child(60)["id_number"] not in store
    assert ChildStore.open(store.root).get(child(60)["id_number"]) is None


def test_collections(store: ChildStore):
    visits = store.collection("visits")
    a = visits.insert({"child": "X1", "how": "入户", "finding": "在家"}, "张老师")
    assert len(a["key"]) == 32 and a["_v"] == 1
    b, c = visits.insert_many([{"child": "X1", "how": "电话"}, {"key": "k-3", "child": "X2"}], "张老师")
    assert c["key"] == "k-3"
    assert {d["key"] for d in visits.find(child="X1")} == {a["key"], b["key"]}
    assert len(visits.all()) == 3
    updated = visits.update(a["key"], {"finding": "已返校"}, "李老师", expected_version=1)
    assert updated["_v"] == 2
    with pytest.raises(StaleEditError):
        visits.update(a["key"], {"finding": "又变了"}, "王老师", expected_version=1)
    with pytest.raises(RecordNotFound):
        visits.update("nope", {"x": 1}, "op")
    with pytest.raises(StoreError):
        visits.insert({"key": "k-3"}, "op")
    # another instance sees the changes (re-read when the file changed)
    other = ChildStore.open(store.root).collection("visits")
    assert other.get(a["key"])["finding"] == "已返校"
    other.update(b["key"], {"how": "视频"}, "op")
    assert visits.get(b["key"])["how"] == "视频"
    actions = [e["action"] for e in store.journal.entries() if e["action"].startswith("collection.")]
    assert actions == ["collection.insert"] * 3 + ["collection.update"] * 2
    assert (store.root / "store" / "collections" / "visits.json").exists()
    with pytest.raises(StoreError):
        store.collection("../evil")


def test_journal_chain_and_tamper(store: ChildStore):
    for i in range(5):
        store.update(child(i)["id_number"], {"note": f"第{i}次"}, "op")
    ok, seq, msg = store.journal.verify()
    assert ok and seq is None and "共 6 条" in msg      # the 10 inserts are one bulk line, then 5 edits
    entries = list(store.journal.entries())
    assert [e["seq"] for e in entries] == [1] * 10 + [2, 3, 4, 5, 6]
    lines = list({e["seq"]: e for e in entries}.values())
    assert lines[0]["prev"] == "" and all(e["prev"] == p["hash"] for p, e in zip(lines, lines[1:]))
    assert entries[0]["changes"]["name"] == [None, "学生0"]
    assert all(len(e["ts"]) == 19 for e in entries)
    assert len(list(store.journal.entries(operator="张老师"))) == 10

    path = store.root / "journal" / "journal.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    original = list(lines)
    entry = orjson.loads(lines[3])
    entry["changes"]["note"][1] = "被篡改"
    lines[3] = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) + b"\n"
    path.write_bytes(b"".join(lines))
    ok, seq, msg = store.journal.verify()
    assert not ok and seq == 4 and "4" in msg

    del original[2]                                  # a deleted line is noticed too
    path.write_bytes(b"".join(original))
    ok, seq, msg = store.journal.verify()
    assert not ok and seq == 3


def test_journal_torn_tail_is_cut(store: ChildStore):
    path = store.root / "journal" / "journal.jsonl"
    with open(path, "ab") as fh:
        fh.write(b'{"seq": 11, "half a li')
    assert store.journal.verify()[0]
    fresh = ChildStore.open(store.root)
    fresh.update(child(1)["id_number"], {"note": "x"}, "op")
    ok, _, msg = fresh.journal.verify()
    assert ok, msg
    assert [e["seq"] for e in fresh.journal.entries()][-1] == 2
    assert (path.parent / "journal.jsonl.torn").read_bytes().startswith(b'{"seq": 11')


def test_corrupt_shard_reports_file(tmp_path: Path):
    s = ChildStore.open(tmp_path)
    s.insert_many([child(1)], "op")
    (tmp_path / "store" / "children" / "石桥村.json").write_bytes(b'{"_default": {"1": ')
    with pytest.raises(StoreError, match="石桥村.json.*损坏"):
        ChildStore.open(tmp_path)


def test_store_does_not_import_ui_or_excel():
    import subprocess
    import sys
    code = ("import sys, kbtui.store; bad = [m for m in ('textual', 'openpyxl', 'click') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
