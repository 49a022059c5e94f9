"""``kbtui backup`` / ``kbtui restore`` on a district database (issue 17), on the session's real throwaway
PostgreSQL server, through the CLI: the database's pg_dump and the data folder's own files in one signed
archive; a restore staged in a new database, verified, then swapped in whole (the old one kept aside); damaged,
foreign or killed restores leave the database as it was; ``audit verify`` finds rows edited with SQL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.imports import cid, police_rows, xlsx

A, B = "500224201501010011", "500224201501010022"


@pytest.fixture(autouse=True)
def _drop_kept_databases(district, pg_server):
    """The databases this test's restores renamed aside are dropped after it."""
    yield
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        for name in _kept(district):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _kept(district) -> list[str]:
    """The databases a restore renamed aside (``<name>_before_restore_<time>``)."""
    own = psycopg.conninfo.conninfo_to_dict(district.admin_url)["dbname"]
    return [n for n in _databases(district) if n.startswith(f"{own}_before_restore_")]


def _folder(district, tmp_path: Path, name: str = "data") -> Path:
    """A database data folder holding 甲 and 乙 and a case about 甲."""
    data = tmp_path / name
    result = run_cli("init", "--profile", "shuangshan-2024", "--database", district.spec, data_dir=data)
    assert result.exit_code == 0, result.output
    ws = Workspace.open(data, "tester")
    ws.store.insert_many([{"id_number": A, "name": "甲", "village": "高峰村"},
                          {"id_number": B, "name": "乙", "village": "尖山村"}], "tester")
    ws.raw_store.collection("cases").insert({"key": "C1", "id_number": A, "status": "劝返中"}, "tester")
    (data / "attachments" / "note.txt").write_text("家访记录", encoding="utf-8")
    ws.raw_store.close()
    return data


def _name(district, id_number: str) -> str | None:
    with district.superuser() as conn:
        row = conn.execute("SELECT doc->>'name' FROM kbtui.children WHERE id_number = %s", (id_number,)).fetchone()
    return row[0] if row else None


def _databases(district) -> list[str]:
    with psycopg.connect(district.server.url(), autocommit=True) as conn:
        return [n for (n,) in conn.execute("SELECT datname FROM pg_database ORDER BY datname")]


def _backup(data: Path, district) -> Path:
    result = run_cli("backup", "--admin-url", district.admin_url, "--json", data_dir=data)
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.output)["file"])


def _restore(file: Path, into: Path, district, *extra: str, admin_url: str | None = None):
    return run_cli("restore", str(file), "--into", str(into), "--admin-url", admin_url or district.admin_url,
                   *extra)


def test_backup_change_restore_brings_everything_back_and_verifies(district, tmp_path):
    data = _folder(district, tmp_path)
    file = _backup(data, district)
    listed = run_cli("backup", "--admin-url", district.admin_url, "--keep", "1", "--json", data_dir=data)
    assert listed.exit_code == 0 and json.loads(listed.output)["removed"] == [str(file)]   # keep as today
    file = Path(json.loads(listed.output)["file"])
    shown = run_cli("backup", "--list", data_dir=data)
    assert shown.exit_code == 0 and file.name in shown.output and "数据库和数据目录" in shown.output
    assert "2 名儿童" in shown.output and "共 1 份备份" in shown.output
    # changed after the backup: a name, a new child, a case
    ws = Workspace.open(data, "tester")
    ws.store.update(A, {"name": "甲改"}, "tester")
    ws.store.insert({"id_number": "500224201501010033", "name": "丙", "village": "高峰村"}, "tester")
    ws.raw_store.collection("cases").update("C1", {"status": "已复学"}, "tester")
    refused = _restore(file, tmp_path / "back", district)
    assert refused.exit_code == 1 and "--replace" in refused.output and _name(district, A) == "甲改"
    result = _restore(file, tmp_path / "back", district, "--replace")
    assert result.exit_code == 0, result.output
    assert "2 名儿童" in result.output and "签名相符" in result.output and "原数据库已改名为" in result.output
    assert _name(district, A) == "甲" and _name(district, "500224201501010033") is None
    back = tmp_path / "back"
    assert (back / "attachments" / "note.txt").read_text(encoding="utf-8") == "家访记录"
    assert not (back / "kbtui-database.dump").exists()
    assert len(_kept(district)) == 1 and not [n for n in _databases(district) if n.startswith("kbtui_restoring_")]
    verify = run_cli("audit", "verify", "--json", data_dir=back)
    assert verify.exit_code == 0, verify.output
    report = json.loads(verify.output)
    assert report["ok"] and report["children"] == 2 and report["documents"] == 1
    case = Workspace.open(back, "tester").raw_store.collection("cases").get("C1")
    assert case["status"] == "劝返中"
    # a kbtui that was open during the restore (its connections cut) reads and writes the restored database
    ws.store.update(A, {"name": "甲三"}, "tester")
    assert _name(district, A) == "甲三"
    ws.raw_store.close()
    # the application works on the restored database: another save is journaled and verifies
    ws = Workspace.open(back, "tester")
    ws.store.update(B, {"name": "乙二"}, "tester")
    assert run_cli("audit", "verify", data_dir=back).exit_code == 0


def test_verify_finds_the_database_put_back_behind_a_later_backup(district, tmp_path):
    data = _folder(district, tmp_path)
    first = _backup(data, district)
    Workspace.open(data, "tester").store.update(A, {"name": "甲改"}, "tester")
    later = _backup(data, district)
    assert run_cli("audit", "verify", data_dir=data).exit_code == 0
    assert _restore(first, tmp_path / "back", district, "--replace").exit_code == 0
    assert run_cli("audit", "verify", data_dir=tmp_path / "back").exit_code == 0
    # the folder still in use holds the later backup: its heads are beyond the journal now
    result = run_cli("audit", "verify", data_dir=data)
    assert result.exit_code == 1 and later.name in result.output and "被换成了更早的备份" in result.output


def test_a_member_of_the_owner_role_may_back_up(district, tmp_path):
    data = _folder(district, tmp_path)
    with district.superuser() as conn:
        conn.execute("CREATE ROLE kbtui_backup_t LOGIN IN ROLE kbtui_owner")
    try:
        url = district.server.url(psycopg.conninfo.conninfo_to_dict(district.admin_url)["dbname"], "kbtui_backup_t")
        result = run_cli("backup", "--admin-url", url, "--json", data_dir=data)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["children"] == 2
        refused = _restore(Path(json.loads(result.output)["file"]), tmp_path / "back", district, "--replace",
                           admin_url=url)
        assert refused.exit_code == 1 and "超级用户" in refused.output
    finally:
        with district.superuser() as conn:
            conn.execute("DROP OWNED BY kbtui_backup_t")
            conn.execute("DROP ROLE kbtui_backup_t")


def test_a_fresh_database_takes_the_backup_with_the_exported_key(district, tmp_path):
    data = _folder(district, tmp_path)
    file = _backup(data, district)
    key = tmp_path / "keys" / "journal.key"
    key.parent.mkdir(mode=0o700)
    exported = run_cli("store", "export-key", str(key), "--admin-url", district.admin_url, data_dir=data)
    assert exported.exit_code == 0, exported.output
    fresh = district.server.url(f"fresh_{os.getpid()}")
    result = _restore(file, tmp_path / "back", district, "--key", str(key), admin_url=fresh)
    try:
        assert result.exit_code == 0, result.output
        assert "签名相符" in result.output and "原数据库" not in result.output
        with psycopg.connect(fresh) as conn:
            assert conn.execute("SELECT count(*) FROM kbtui.children").fetchone()[0] == 2
        # the restored folder uses the new database (the same login, which the DBA grants there)
        assert f"fresh_{os.getpid()}" in json.loads((tmp_path / "back" / "meta.json").read_text())["store"]["url"]
        assert "已改为使用" in result.output
        # without the key: restored on its checksums and chain, signed again with a new key, said so
        other = district.server.url(f"fresh2_{os.getpid()}")
        unsigned = _restore(file, tmp_path / "back2", district, admin_url=other)
        assert unsigned.exit_code == 0, unsigned.output
        assert "重新签名" in unsigned.output
    finally:
        with psycopg.connect(district.server.url(), autocommit=True) as conn:
            for name in (f"fresh_{os.getpid()}", f"fresh2_{os.getpid()}"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_archive_is_refused_and_the_database_is_untouched(district, tmp_path, damage):
    data = _folder(district, tmp_path)
    file = _backup(data, district)
    Workspace.open(data, "tester").store.update(A, {"name": "甲改"}, "tester")
    raw = bytearray(file.read_bytes())
    if damage == "truncated":
        raw = raw[: len(raw) * 2 // 3]
    else:
        raw[len(raw) // 2] ^= 0xFF
    file.write_bytes(bytes(raw))
    before = _databases(district)
    result = _restore(file, tmp_path / "back", district, "--replace")
    assert result.exit_code == 1 and result.output.startswith("错误：") and "Traceback" not in result.output
    assert "已停止恢复" in result.output
    assert _name(district, A) == "甲改" and _databases(district) == before and not (tmp_path / "back").exists()


def test_a_backup_of_another_district_is_refused(district, tmp_path, pg_server):
    data = _folder(district, tmp_path)
    file = _backup(data, district)
    other_db = f"other_{os.getpid()}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{other_db}"')
    try:
        from kbtui.store.postgres import admin

        admin.install(pg_server.url(other_db))
        result = _restore(file, tmp_path / "back", district, "--replace", admin_url=pg_server.url(other_db))
        assert result.exit_code == 1 and "另一把签名密钥" in result.output and "Traceback" not in result.output
        with psycopg.connect(pg_server.url(other_db)) as conn:
            assert conn.execute("SELECT count(*) FROM kbtui.children").fetchone()[0] == 0
    finally:
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{other_db}" WITH (FORCE)')


def test_the_application_login_bad_urls_and_a_missing_pg_dump_are_messages(district, tmp_path, monkeypatch):
    data = _folder(district, tmp_path)
    app = run_cli("backup", data_dir=data)            # no administrator's URL: the folder's own (the app role)
    assert app.exit_code == 1 and "应用账号" in app.output and "--admin-url" in app.output
    assert "Traceback" not in app.output
    file = _backup(data, district)
    as_app = _restore(file, tmp_path / "back", district, "--replace", admin_url=district.spec)
    assert as_app.exit_code == 1 and "超级用户" in as_app.output and "应用账号" in as_app.output
    none = run_cli("restore", str(file), "--into", str(tmp_path / "back"))
    assert none.exit_code == 1 and "--admin-url" in none.output
    gone = district.admin_url.replace("/sock", "/gone")
    unreachable = _restore(file, tmp_path / "back", district, "--replace", admin_url=gone)
    assert unreachable.exit_code == 1 and "连不上数据库服务器" in unreachable.output
    nobody = district.server.url("postgres", "nobody_here")
    unknown = run_cli("backup", "--admin-url", nobody, data_dir=data)
    assert unknown.exit_code == 1 and "没有这个用户" in unknown.output
    empty = tmp_path / "no-binaries"
    empty.mkdir()
    monkeypatch.setenv("KBTUI_PG_BINDIR", str(empty))
    missing = run_cli("backup", "--admin-url", district.admin_url, data_dir=data)
    assert missing.exit_code == 1 and "找不到 PostgreSQL" in missing.output and "pg_dump" in missing.output
    fake = tmp_path / "old-binaries"
    fake.mkdir()
    (fake / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.9'\n", encoding="utf-8")
    (fake / "pg_dump").chmod(0o755)
    monkeypatch.setenv("KBTUI_PG_BINDIR", str(fake))
    old = run_cli("backup", "--admin-url", district.admin_url, data_dir=data)
    assert old.exit_code == 1 and "PostgreSQL 12" in old.output and "主版本相同" in old.output
    assert not [p for p in (data / "backups").iterdir() if ".tmp-" in p.name]   # no temp files left
    assert _name(district, A) == "甲"


def test_the_automatic_backup_before_an_import_covers_the_database(district, tmp_path, monkeypatch):
    data = _folder(district, tmp_path)
    monkeypatch.setenv("KBTUI_DATABASE_ADMIN_URL", district.admin_url)
    police = xlsx(tmp_path / "police.xlsx", police_rows([(cid("2016-01-01", 4), "丁", "女", "2016-01-01", "高峰村",
                                                         "1组", "双山镇高峰村1组", "丁父", "13800000000")]))
    result = run_cli("import", "police", str(police), data_dir=data)
    assert result.exit_code == 0, result.output
    autos = [p for p in (data / "backups").iterdir() if p.name.endswith("-auto.tar.gz")]
    assert len(autos) == 1
    from kbtui.services.access.backup_archive import read_manifest

    manifest = read_manifest(autos[0])
    assert manifest["store"] == "postgresql" and manifest["children"] == 2
    assert "kbtui-database.dump" in manifest["files"]


def test_a_restore_killed_half_way_leaves_the_database_as_it_was(district, tmp_path):
    data = _folder(district, tmp_path)
    ws = Workspace.open(data, "tester")
    ws.store.insert_many([{"id_number": f"5002242015{n:08d}", "name": f"童{n}", "village": "高峰村"}
                          for n in range(20_000)], "tester")
    ws.raw_store.close()
    file = _backup(data, district)
    Workspace.open(data, "tester").store.update(A, {"name": "甲改"}, "tester")
    env = {**os.environ, "KBTUI_DATABASE_ADMIN_URL": district.admin_url}
    proc = subprocess.Popen([sys.executable, "-m", "kbtui", "--operator", "tester", "restore", str(file),
                             "--into", str(tmp_path / "back"), "--replace"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not [n for n in _databases(district) if n.startswith("kbtui_restoring_")]:
            assert proc.poll() is None and time.monotonic() < deadline, "the restore never staged a database"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert _name(district, A) == "甲改" and not (tmp_path / "back").exists()
    assert not _kept(district)
    assert run_cli("audit", "verify", data_dir=data).exit_code == 0
    # the next restore removes what the killed one left and goes through
    for _ in range(100):            # (the killed restore's pg_restore may still be finishing)
        with psycopg.connect(district.server.url(), autocommit=True) as conn:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'kbtui\\_restoring\\_%'"
                                ).fetchone()[0]
        if not busy:
            break
        time.sleep(0.1)
    result = _restore(file, tmp_path / "back", district, "--replace")
    assert result.exit_code == 0, result.output
    assert _name(district, A) == "甲"
    assert not [n for n in _databases(district) if n.startswith("kbtui_restoring_")]


def test_verify_names_a_child_and_a_case_edited_with_sql(district, tmp_path):
    data = _folder(district, tmp_path)
    assert run_cli("audit", "verify", data_dir=data).exit_code == 0
    with district.superuser() as conn:
        conn.execute("UPDATE kbtui.collections SET doc = jsonb_set(doc::jsonb, '{status}', '\"已结案\"')::json"
                     " WHERE key = 'C1'")
    bad = run_cli("audit", "verify", data_dir=data)
    assert bad.exit_code == 1
    assert "“cases”" in bad.output and "编号 C1" in bad.output and "与日志最后一次记载的不同" in bad.output
    assert "核实情况不同" in bad.output and "用 SQL" in bad.output
    with district.superuser() as conn:
        conn.execute("UPDATE kbtui.children SET doc = jsonb_set(doc::jsonb, '{name}', '\"丙\"')::json"
                     " WHERE id_number = %s", (A,))
        conn.execute("DELETE FROM kbtui.collections WHERE key = 'C1'")
    worse = run_cli("audit", "verify", data_dir=data)
    assert worse.exit_code == 1 and f"身份证号 {A}" in worse.output and "编号 C1" in worse.output
    assert "缺少日志中记载的 1 条记录" in worse.output


def test_a_truncated_dump_in_a_re_signed_archive_is_refused_by_the_load(district, tmp_path):
    """Whoever holds the key could sign a damaged dump: pg_restore's failure is a message, nothing changes."""
    import datetime as dt
    import hashlib
    import tarfile
    from pathlib import PurePosixPath

    from kbtui.services.access.backup_archive import read_manifest, sign_manifest, write_archive
    from kbtui.store.postgres.dump import database_key

    data = _folder(district, tmp_path)
    file = _backup(data, district)
    Workspace.open(data, "tester").store.update(A, {"name": "甲改"}, "tester")
    manifest = read_manifest(file)
    with tarfile.open(file, "r:gz") as tar:
        contents = {PurePosixPath(m.name[len("data/"):]): tar.extractfile(m).read()       # type: ignore[union-attr]
                    for m in tar if m.isfile() and m.name.startswith("data/")}
    dump = PurePosixPath("kbtui-database.dump")
    contents[dump] = contents[dump][: len(contents[dump]) // 2]
    manifest["files"][str(dump)] = hashlib.sha256(contents[dump]).hexdigest()
    sign_manifest(manifest, database_key(district.admin_url))
    forged = file.with_name("kbtui-backup-20990101-000000.tar.gz")
    write_archive(forged, manifest, [PurePosixPath(d) for d in manifest["dirs"]], contents, dt.datetime.now())
    before = _databases(district)
    result = _restore(forged, tmp_path / "back", district, "--replace")
    assert result.exit_code == 1 and "把备份装入新数据库失败" in result.output and "Traceback" not in result.output
    assert _name(district, A) == "甲改" and _databases(district) == before and not (tmp_path / "back").exists()
