"""EntryBatch (bulk inserts) writes exactly the journal lines the equivalent entries would."""
from __future__ import annotations

from kbtui.store import ChildStore
from kbtui.store.journal import EntryBatch, Journal, make_entry


def _items():
    return [
        ("110101201001011234", {"name": [None, "张三"], "key_groups": [None, ["留守儿童", "残疾"]],
                                "village": [None, "高峰村"], "note": [None, 'a "quoted" \\ note\n']}),
        (None, {}),
        ("5002", {"z": [None, 1.5], "a": [None, None], "中": [None, {"b": 1, "a": [2]}]}),
    ]


def test_batch_lines_equal_entry_lines(tmp_path):
    for detail in (None, {"file": "名单.xlsx", "source": "police", "n": 3}):
        for tx in (None, "abcdef0123456789"):
            plain, bulk = Journal(tmp_path / "a.jsonl"), Journal(tmp_path / "b.jsonl")
            plain.path.unlink(missing_ok=True)
            bulk.path.unlink(missing_ok=True)
            head = [make_entry("op", "update", "x", {"f": [1, 2]}, ts="2024-01-01T00:00:00")]
            plain.append([dict(e) for e in head])
            bulk.append([dict(e) for e in head])
            common = make_entry("操作员", "import", None, None, detail, "2024-09-05T10:00:00")
            entries = [{**common, "record": r, "changes": c} for r, c in _items()]
            batch = EntryBatch(common, _items())
            if tx:
                for e in entries:
                    e["_tx"] = tx
                batch["_tx"] = tx
            assert batch.entries() == entries
            plain.append(entries)
            bulk.append(batch)
            assert bulk.path.read_bytes() == plain.path.read_bytes()
            assert bulk.verify()[0]
            if tx:
                assert bulk.count_tx(tx) == 3
            assert [e["record"] for e in bulk.entries(record="5002")] == ["5002"]


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
    assert len(entries) == 1 and entries[0]["changes"]["name"] == [None, "孩子7"]
    assert entries[0]["detail"] == {"file": "x.xlsx"} and entries[0]["action"] == "import"
    assert reopened.journal.verify()[0]
    store.update("ID0007", {"name": "改名"}, "op", expected_version=1)
    assert ChildStore.open(tmp_path).get("ID0007")["name"] == "改名"
