"""A bulk insert is one journal line, read back as one entry per child (what single inserts would give)."""
from __future__ import annotations

import os

import orjson

from kbtui.store import ChildStore
from kbtui.store.journal import Journal, bulk_insert_entry, make_entry


def test_bulk_line_reads_back_as_one_entry_per_child(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append([make_entry("op", "update", "x", {"f": [1, 2]}, ts="2024-01-01T00:00:00")])
    records = {
        "110101201001011234": {"name": "张三", "key_groups": ["留守儿童", "残疾"], "note": 'a "quoted" \\ note\n',
                               "_v": 1, "_by": "操作员", "_at": "2024-09-05T10:00:00"},
        "5002": {"z": 1.5, "a": None, "中": {"b": 1, "a": [2]}, "_v": 1},
    }
    entry = bulk_insert_entry("操作员", "import", records, {"file": "名单.xlsx", "source": "police"},
                              "2024-09-05T10:00:00")
    entry["_tx"] = "abcdef0123456789"
    journal.append([entry])
    lines = journal.path.read_bytes().splitlines()
    assert len(lines) == 2 and lines[1].startswith(b'{"_tx":"abcdef0123456789",')
    assert journal.count_tx("abcdef0123456789") == 1          # one line: written whole or not at all
    assert journal.verify() == (True, None, "日志校验通过，共 2 条")
    assert journal.last_seq() == 2

    entries = list(journal.entries())
    assert [e["record"] for e in entries] == ["x", "110101201001011234", "5002"]
    first = entries[1]
    assert first["changes"] == {"name": [None, "张三"], "key_groups": [None, ["留守儿童", "残疾"]],
                                "note": [None, 'a "quoted" \\ note\n']}
    assert first["operator"] == "操作员" and first["action"] == "import" and first["seq"] == 2
    assert first["detail"] == {"file": "名单.xlsx", "source": "police"} and first["ts"] == "2024-09-05T10:00:00"
    assert entries[2]["changes"] == {"z": [None, 1.5], "a": [None, None], "中": [None, {"b": 1, "a": [2]}]}
    assert [e["record"] for e in journal.entries(record="5002")] == ["5002"]
    assert [e["record"] for e in journal.entries(operator="操作员")] == ["110101201001011234", "5002"]

    # the line is hashed like any other: a changed record breaks the chain there
    tampered = orjson.loads(lines[1])
    tampered["inserted"]["5002"]["z"] = 2.5
    journal.path.write_bytes(lines[0] + b"\n" + orjson.dumps(tampered, option=orjson.OPT_SORT_KEYS) + b"\n")
    ok, seq, _ = journal.verify()
    assert not ok and seq == 2


def test_a_long_last_line_is_found_without_rereading(tmp_path):
    """The tail of the journal is read in growing windows: a 3 MB bulk line is still its last entry."""
    journal = Journal(tmp_path / "j.jsonl")
    records = {f"ID{i:06d}": {"name": "孩子" * 20, "_v": 1} for i in range(30_000)}
    journal.append([bulk_insert_entry("op", "import", records)])
    assert journal.path.stat().st_size > 2_000_000
    fresh = Journal(journal.path)
    assert fresh.last_seq() == 1
    fresh.append([make_entry("op", "update", "ID000001", {"name": ["孩子", "改名"]})])
    assert fresh.verify()[0] and fresh.last_seq() == 2


def test_insert_many_bulk_path(tmp_path):
    store = ChildStore.open(tmp_path)
    recs = [{"id_number": f"ID{i:04d}", "name": f"孩子{i}", "village": "高峰村" if i % 2 else "双山村"}
            for i in range(10)]
    store.insert_many(recs[:4], "op")
    store.insert_many(recs[4:], "op", action="import", detail={"file": "x.xlsx"})
    reopened = ChildStore.open(tmp_path)
    assert len(reopened) == 10
    assert reopened.get("ID0007")["name"] == "孩子7" and reopened.get("ID0007")["_v"] == 1
    # doc ids continue after the ones already in a shard
    import orjson
    data = orjson.loads((reopened.children_dir / f"{reopened.shard_of('ID0001')}.json").read_bytes())
    assert sorted(int(k) for k in data["_default"]) == [1, 2, 3, 4, 5]
    entries = list(reopened.journal.entries(record="ID0007"))
    assert len(entries) == 1 and entries[0]["changes"] == {"id_number": [None, "ID0007"], "name": [None, "孩子7"],
                                                           "village": [None, "高峰村"]}
    assert entries[0]["detail"] == {"file": "x.xlsx"} and entries[0]["action"] == "import"
    assert reopened.journal.verify()[0]
    store.update("ID0007", {"name": "改名"}, "op", expected_version=1)
    assert ChildStore.open(tmp_path).get("ID0007")["name"] == "改名"


def test_one_child_of_a_bulk_line_is_read_without_parsing_the_others(tmp_path, monkeypatch):
    """The child form shows a child's history: after a county's import that is one ~35 MB line, so only
    that child's record is decoded; what it gives equals the whole line's expansion."""
    import kbtui.store.journal as journal_mod

    journal = Journal(tmp_path / "j.jsonl")
    records = {f"5002{i:014d}": {"name": "孩子" * (i % 7 + 1), "note": '含 } 和 { 和 "引号" 和 \\ 的备注' * (i % 300),
                                 "list_of": {"police": ["户籍.xlsx"]}, "_v": 1} for i in range(3000)}
    journal.append([make_entry("op", "update", "x", {"f": [1, 2]}, ts="2024-01-01T00:00:00")])
    journal.append([bulk_insert_entry("操作员", "import", records, {"file": "名单.xlsx"})])
    whole = {e["record"]: e for e in journal.entries()}
    real_loads = journal_mod.orjson.loads
    sizes: list[int] = []
    monkeypatch.setattr(journal_mod.orjson, "loads", lambda data: (sizes.append(len(data)), real_loads(data))[1])
    for child in ("500200000000000000", "500200000000001234", "500200000000002999"):
        assert list(journal.entries(record=child)) == [whole[child]]
        assert list(journal.entries(record=child, operator="操作员")) == [whole[child]]
        assert list(journal.entries(record=child, operator="别人")) == []
    assert list(journal.entries(record="500299999999999999")) == []
    assert journal.path.stat().st_size > 1_000_000 and max(sizes) < 10_000


def test_a_large_line_is_written_from_where_it_is_between_small_ones(tmp_path, monkeypatch):
    """A bulk line over 1 MB is written without being joined with the small lines around it (no copy of
    tens of MB), in order, each byte once, even when the OS writes it in pieces."""
    from kbtui.store import storage

    real_write = os.write
    sizes = []

    def in_pieces(fd, data):                 # a short write every time, as a busy disk may do
        sizes.append(len(data))
        return real_write(fd, bytes(data[: max(1, len(data) // 3)]))
    monkeypatch.setattr(storage.os, "write", in_pieces)
    journal = Journal(tmp_path / "j.jsonl")
    records = {f"5002242015{i:08d}": {"name": f"孩子{i}", "note": "说明" * 40, "_v": 1} for i in range(6000)}
    journal.append([make_entry("op", "update", "x", {"f": [1, 2]}),
                    bulk_insert_entry("op", "import", records),
                    make_entry("op", "update", "y", {"f": [2, 3]})])
    monkeypatch.undo()
    assert max(sizes) > 1 << 20                              # the bulk line went out as one buffer
    lines = journal.path.read_bytes().splitlines()
    assert len(lines) == 3 and len(lines[1]) > 1 << 20
    assert journal.verify() == (True, None, "日志校验通过，共 3 条")
    assert [e["record"] for e in journal.entries()][:2] == ["x", "500224201500000000"]
    assert len(list(journal.entries())) == 6002


def test_lines_are_read_whole_however_they_fall_across_blocks(tmp_path):
    """The journal's line reader: lines shorter and longer than its block, a torn last line, a limit."""
    import random

    from kbtui.store import journal as journal_mod

    block = journal_mod.BLOCK
    rng = random.Random(19)
    path = tmp_path / "lines"
    for _trial in range(60):
        lines = [b"x" * rng.choice([0, 1, 300, block - 1, block, block + 1, 3 * block + 7, rng.randint(0, 900)]) + b"\n"
                 for _ in range(rng.randint(0, 12))]
        torn = b"y" * rng.choice([0, 5, block + 3])
        data = b"".join(lines) + torn
        path.write_bytes(data)
        fd = os.open(path, os.O_RDONLY)
        try:
            assert list(journal_mod.read_lines(fd, None)) == lines
            limit = rng.randint(0, len(data))
            ends = [sum(map(len, lines[:k + 1])) for k in range(len(lines))]
            assert list(journal_mod.read_lines(fd, limit)) == [ln for ln, e in zip(lines, ends) if e <= limit]
        finally:
            os.close(fd)


def test_a_bulk_line_is_read_a_chunk_at_a_time_with_the_same_records(tmp_path):
    """Records holding nested objects followed by more keys make many ``},"`` inside a record: a chunk cut
    there does not parse and moves on; the records come out exactly as parsing the whole line gives them."""
    from kbtui.store.journal import bulk_records
    from kbtui.store.json_items import object_items

    records = {f"5002242015{i:08d}": {"name": f"孩子{i}", "a": {"b": {"c": i}}, "d": {"e": "},\"x\":{"},
                                      "history": [{"k": i}, {"k": i + 1}], "_v": 1} for i in range(3000)}
    journal = Journal(tmp_path / "j.jsonl")
    journal.append([bulk_insert_entry("op", "import", records)])
    line = journal.path.read_bytes()
    assert dict(bulk_records(line)) == records
    start, end = line.find(b'"inserted":{') + len(b'"inserted":{'), line.rfind(b',"hash":"') - 1
    for chunk in (1, 97, 4096):
        assert dict(object_items(line, start, end, chunk)) == records


def test_the_first_write_of_a_new_process_after_an_import_reads_the_anchor_not_the_import(tmp_path, monkeypatch):
    """The last line after an import of a county is tens of MB; the next write in another process learns the
    journal's head from the signed anchor and the line's last bytes."""
    from kbtui.store import journal as journal_mod

    journal = Journal(tmp_path / "j.jsonl")
    records = {f"5002242015{i:08d}": {"name": f"孩子{i}", "note": "说明" * 40} for i in range(20000)}
    journal.append([bulk_insert_entry("op", "import", records)])
    assert journal.path.stat().st_size > 5 << 20
    read = []
    real_pread = os.pread

    def counting(fd, size, offset):
        data = real_pread(fd, size, offset)
        read.append(len(data))
        return data
    monkeypatch.setattr(journal_mod.os, "pread", counting)
    fresh = Journal(tmp_path / "j.jsonl")
    stored = fresh.append([make_entry("op", "update", "x", {"f": [1, 2]})])
    monkeypatch.undo()
    assert stored[0]["seq"] == 2 and sum(read) < 4096
    assert fresh.verify() == (True, None, "日志校验通过，共 2 条")
