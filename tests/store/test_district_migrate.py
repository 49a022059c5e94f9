"""``kbtui store migrate --to postgresql://…`` (issue 17): township data folders (demo townships built by the CLI,
with imports, people, tasks and visits) moved into one district database on a real throwaway server, each as
its own town; verified (counts, journal chain, every record); a child in two towns reported and nothing lost;
a refused or failed migration leaves the source folder byte for byte as it was and the database unchanged."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kbtui.services.workspace import Workspace
from kbtui.store.postgres.migrate import collection_names
from tests.conftest import run_cli
from tests.helpers.store_backends import postgres_backend

BOOKKEEPING = ("_v", "_by", "_at", "town")


@pytest.fixture
def district(pg_server, pg_database):
    backend = postgres_backend(pg_server, pg_database)
    yield backend
    backend.close()


def township(tmp_path: Path, name: str, seed: int, children: int = 60) -> Path:
    data = tmp_path / name
    result = run_cli("demo", "--no-tui", "--children", str(children), "--seed", str(seed), data_dir=data)
    assert result.exit_code == 0, result.output
    return data


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def migrate(data: Path, url: str, town: str, ok: bool = True):
    result = run_cli("store", "migrate", "--to", url, "--town", town, "--json", data_dir=data)
    assert (result.exit_code == 0) == ok, result.output
    assert "Traceback" not in result.output
    return json.loads(result.output) if ok else result.output


def _fields(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in BOOKKEEPING}


def test_a_township_folder_moves_in_whole_and_verified(district, tmp_path):
    source = township(tmp_path, "甲", 11)
    before = fingerprint(source)
    ws = Workspace.open(source, "tester")
    records = {r["id_number"]: r for r in ws.raw_store.all()}
    docs = {name: len(ws.raw_store.collection(name).all()) for name in collection_names(source)}
    lines = ws.raw_store.journal.position()
    report = migrate(source, district.spec, "甲镇")
    assert report["source_children"] == report["inserted"] == len(records) > 0
    assert report["journal_lines"] == lines and report["chain_after"] == lines + 1
    assert report["documents"] == sum(docs.values()) > 0 and report["conflicts"] == []
    assert fingerprint(source) == before                       # the source was only read
    store = district.open()
    assert store.journal.verify()[0]
    assert store.journal.position() == {"甲镇": lines + 1}
    # every record, as it was plus its town
    assert set(store.ids()) == set(records)
    for id_number, record in records.items():
        assert store.get(id_number) == {**record, "town": "甲镇"}
    for name, count in docs.items():
        assert len(store.collection(name, town="甲镇").all()) == count
    # a child's history (from the township's own bulk import, carried over verbatim) reads back
    some = next(iter(records))
    assert any(e.get("record") == some for e in store.journal.entries(record=some))
    # and the district's data folder verifies the database (chains and every row against the journal)
    bureau = tmp_path / "区县"
    assert run_cli("init", "--profile", "shanting-2019", "--database", district.spec, data_dir=bureau).exit_code == 0
    verified = run_cli("audit", "verify", "--json", data_dir=bureau)
    assert verified.exit_code == 0 and json.loads(verified.output)["children"] == len(records), verified.output


def test_two_townships_merge_conflicts_reported_nothing_lost(district, tmp_path):
    first, second = township(tmp_path, "甲", 11), township(tmp_path, "乙", 12)
    ws1, ws2 = Workspace.open(first, "tester"), Workspace.open(second, "tester")
    shared, other = sorted(ws1.raw_store.ids())[:2]
    same = _fields(ws1.raw_store.get(shared))
    differing = {**_fields(ws1.raw_store.get(other)), "village": "另一个村", "name": "改过的名字"}
    ws2.store.insert_many([same, differing], "tester")          # registered in both townships
    incoming = {r["id_number"]: r for r in ws2.raw_store.all()}
    kept = {r["id_number"]: r for r in ws1.raw_store.all()}
    both = sorted(set(kept) & set(incoming))           # (two demo townships also share some by chance)
    alike = [i for i in both if _fields(kept[i]) == _fields(incoming[i])]
    assert shared in alike and other in both and other not in alike
    migrate(first, district.spec, "甲镇")
    report = migrate(second, district.spec, "乙镇")
    assert report["same_elsewhere"] == alike
    assert report["conflicts"] == [{"id_number": i, "kept_town": "甲镇", "incoming_town": "乙镇"}
                                   for i in both if i not in alike]
    assert report["inserted"] == len(incoming) - len(both)
    store = district.open()
    assert store.journal.verify()[0]
    assert store.get(other)["town"] == "甲镇" and store.get(other)["name"] != "改过的名字"
    # nothing lost: every child of the second township is in the database, or whole in the conflicts
    conflicts = store.collection("town_conflicts", town="")
    for id_number, record in incoming.items():
        if id_number in both and id_number not in alike:
            assert conflicts.get(f"{id_number}@乙镇")["record"] == {**record, "town": "乙镇"}
            assert _fields(store.get(id_number)) == _fields(kept[id_number])
        else:
            assert _fields(store.get(id_number)) == _fields(record)
    text = run_cli("store", "migrate", "--to", district.spec, "--town", "丙镇", data_dir=township(tmp_path, "丙", 13))
    assert text.exit_code == 0 and "校验通过" in text.output


def test_a_township_is_migrated_once(district, tmp_path):
    source = township(tmp_path, "甲", 11)
    migrate(source, district.spec, "甲镇")
    count = len(district.open())
    out = migrate(source, district.spec, "甲镇", ok=False)
    assert "甲镇 的日志链已有" in out and "每个乡镇只迁移一次" in out
    assert len(district.open()) == count


def test_a_damaged_source_is_refused_and_nothing_is_written(district, tmp_path):
    source = township(tmp_path, "甲", 11)
    shard = next((source / "store" / "children").glob("*.json"))
    shard.write_text(shard.read_text(encoding="utf-8").replace('"name": "', '"name": "X', 1)
                     if '"name": "' in shard.read_text(encoding="utf-8")
                     else shard.read_text(encoding="utf-8").replace('"name":"', '"name":"X', 1), encoding="utf-8")
    before = fingerprint(source)
    out = migrate(source, district.spec, "甲镇", ok=False)
    assert "校验未通过，未迁移" in out
    assert fingerprint(source) == before
    store = district.open()
    assert len(store) == 0 and store.journal.position() == {}


def test_a_migration_failing_inside_its_transaction_leaves_both_sides_as_they_were(district, tmp_path):
    source = township(tmp_path, "甲", 11)
    ws = Workspace.open(source, "tester")
    victim = sorted(ws.raw_store.ids())[-1]
    ws.store.update(victim, {"note": "有\x00空字符"}, "tester")   # the folder takes it; PostgreSQL text cannot
    before = fingerprint(source)
    out = migrate(source, district.spec, "甲镇", ok=False)
    assert victim in out and "空字符" in out
    assert fingerprint(source) == before
    with district.superuser() as conn:         # the journal lines went in first: rolled back with the rest
        assert conn.execute("SELECT count(*) FROM kbtui.journal").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM kbtui.children").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM kbtui.collections").fetchone()[0] == 0


def test_a_town_login_cannot_migrate_and_a_bad_url_is_a_message(district, tmp_path):
    source = township(tmp_path, "甲", 11, children=20)
    out = migrate(source, district.town_spec("城头镇"), "城头镇", ok=False)
    assert "能看到全区的数据库账号" in out
    out = migrate(source, "postgresql://u@/db?host=/nonexistent-folder", "甲镇", ok=False)
    assert out.startswith("错误：") and "连不上数据库服务器" in out
