"""Choosing the store (issue 17): ``kbtui init --database`` / ``KBTUI_DATABASE_URL`` put the children,
collections and journal in a PostgreSQL database (a real throwaway server), the data folder keeps the rest;
bad or unreachable URLs are a Chinese message in the CLI and before the TUI starts; the operator's scope is
applied by the database too; ``audit verify`` checks the database; the TinyDB-only backup says so."""
from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from kbtui.errors import StoreError
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.store_backends import postgres_backend

A, B = "500224201501010011", "500224201501010022"


@pytest.fixture
def district(pg_server, pg_database):
    backend = postgres_backend(pg_server, pg_database)
    yield backend
    backend.close()


def _init(data: Path, url: str, *extra: str):
    return run_cli("init", "--profile", "shuangshan-2024", "--database", url, *extra, data_dir=data)


def _meta(data: Path) -> dict:
    return orjson.loads((data / "meta.json").read_bytes())


def test_init_with_a_database_keeps_the_data_there_and_no_password_in_the_folder(district, tmp_path, monkeypatch):
    monkeypatch.setenv("KBTUI_DATABASE_PASSWORD", "s3cret")        # (trust auth: accepted, never written)
    url = district.spec.replace("kbtui_district@", "kbtui_district:s3cret@")
    data = tmp_path / "data"
    result = _init(data, url)
    assert result.exit_code == 0, result.output
    assert "数据存放在数据库" in result.output and "s3cret" not in result.output
    assert not (data / "store").exists() and not (data / "journal").exists()
    assert {p.name for p in data.iterdir()} >= {"profile.toml", "operators.toml", "exports", "rejects", "attachments"}
    assert "s3cret" not in (data / "meta.json").read_text(encoding="utf-8")
    assert _meta(data)["store"]["url"] == district.spec
    ws = Workspace.open(data, "tester")
    assert ws.backend == "postgresql"
    ws.store.insert({"id_number": A, "name": "张小明", "village": "高峰村"}, "tester")
    # another process (another operator's kbtui) sees it: it is in the database
    other = district.open()
    assert other.get(A)["name"] == "张小明"
    shown = run_cli("stats", "--json", data_dir=data)
    assert shown.exit_code == 0 and json.loads(shown.output)["children"] == 1


def test_the_environment_variable_names_the_database(district, tmp_path, monkeypatch):
    monkeypatch.setenv("KBTUI_DATABASE_URL", district.spec)
    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=data).exit_code == 0
    assert _meta(data)["store"]["url"] == district.spec and not (data / "store").exists()


@pytest.mark.parametrize("url, words", [
    ("mysql://u@h/db", "应以 postgresql:// 开头"),
    ("postgresql://u@h:abc/db", "端口"),
    ("postgresql://u@/db?host=/nonexistent-folder", "连不上数据库服务器"),
])
def test_a_bad_or_unreachable_database_is_a_chinese_message_and_no_folder(tmp_path, url, words):
    data = tmp_path / "data"
    result = _init(data, url)
    assert result.exit_code == 1
    assert result.output.startswith("错误：") and words in result.output and "Traceback" not in result.output
    assert not data.exists()


def test_a_database_that_went_away_is_a_message_in_the_cli_and_before_the_tui(district, tmp_path):
    data = tmp_path / "data"
    assert _init(data, district.spec).exit_code == 0
    meta = _meta(data)
    meta["store"]["url"] = meta["store"]["url"].replace("/sock", "/gone")
    (data / "meta.json").write_bytes(orjson.dumps(meta))
    for args in (("stats",), ("tui",), ()):
        result = run_cli(*args, data_dir=data)
        assert result.exit_code == 1, (args, result.output)
        assert "错误：无法使用数据库" in result.output and "连不上数据库服务器" in result.output
        assert "Traceback" not in result.output


def test_a_data_folder_of_its_own_is_not_silently_switched_to_a_database(district, tmp_path, monkeypatch):
    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=data).exit_code == 0
    monkeypatch.setenv("KBTUI_DATABASE_URL", district.spec)
    result = run_cli("stats", data_dir=data)
    assert result.exit_code == 1 and "KBTUI_DATABASE_URL" in result.output and "kbtui store migrate" in result.output


def _two_children(district, tmp_path) -> tuple[Path, Workspace]:
    """A database folder holding 甲 (高峰村) and 乙 (尖山村)."""
    data = tmp_path / "data"
    assert _init(data, district.spec).exit_code == 0
    ws = Workspace.open(data, "tester")
    ws.store.insert_many([{"id_number": A, "name": "甲", "village": "高峰村"},
                          {"id_number": B, "name": "乙", "village": "尖山村"}], "tester")
    return data, ws


def test_the_operators_scope_is_applied_by_the_database_too(district, tmp_path):
    data, _ws = _two_children(district, tmp_path)
    assert run_cli("operators", "add", "wang", "--role", "村干部", "--village", "高峰村", data_dir=data).exit_code == 0
    cadre = Workspace.open(data, "wang")
    assert cadre.raw_store.narrowing is not None
    # even the unscoped store of that process (what a buggy service or plugin might read) sees one village
    assert cadre.raw_store.ids() == [A] and cadre.raw_store.get(B) is None
    assert [r["id_number"] for r in cadre.children()] == [A]
    # the bureau's own processes are not narrowed
    assert sorted(Workspace.open(data, "tester").raw_store.ids()) == [A, B]


def test_audit_verify_checks_the_database_and_finds_a_row_changed_around_kbtui(district, tmp_path):
    data, ws = _two_children(district, tmp_path)
    ws.store.update(B, {"name": "乙二"}, "tester")
    good = run_cli("audit", "verify", "--json", data_dir=data)
    assert good.exit_code == 0, good.output
    report = json.loads(good.output)
    assert report["ok"] and report["children"] == 2
    with district.superuser() as conn:           # the table owner (a DBA) edits two rows by hand
        conn.execute("UPDATE kbtui.children SET doc = jsonb_set(doc::jsonb, '{name}', '\"丙\"')::json"
                     " WHERE id_number IN (%s, %s)", (A, B))
    bad = run_cli("audit", "verify", data_dir=data)
    assert bad.exit_code != 0
    assert "kbtui.children" in bad.output and "2 名儿童与日志最后一次记载的不同" in bad.output
    assert A in bad.output and B in bad.output


def test_the_folder_backup_says_it_does_not_cover_a_database(district, tmp_path):
    data = tmp_path / "data"
    assert _init(data, district.spec).exit_code == 0
    result = run_cli("backup", data_dir=data)
    assert result.exit_code == 1 and "数据库" in result.output and "Traceback" not in result.output


def test_rekey_is_a_message_on_a_database(district, tmp_path):
    data = tmp_path / "data"
    assert _init(data, district.spec).exit_code == 0
    result = run_cli("audit", "rekey", "--yes", data_dir=data)
    assert result.exit_code == 1 and "数据库管理员" in result.output and "Traceback" not in result.output


def test_a_store_error_opening_is_never_a_traceback(tmp_path):
    from kbtui.store.backends import open_backend

    with pytest.raises(StoreError, match="连不上数据库服务器"):
        open_backend(tmp_path, {"store": {"url": "postgresql://u@/db?host=/nonexistent-folder"}})


def test_the_readme_try_it_script_starts_a_district_server_and_stops_it(tmp_path):
    """scripts/district-demo.sh as the README gives it: a server in a folder, the printed init lines work."""
    import shlex
    import subprocess
    import sys

    from tests.helpers.pg_server import require_bindir

    require_bindir()
    script = Path(__file__).resolve().parents[2] / "scripts" / "district-demo.sh"
    # (under /tmp itself: run by root, the server runs as an unprivileged account, which cannot enter tmp_path)
    folder = Path("/tmp") / f"kbtui-demo-{__import__('os').getpid()}-{tmp_path.name[-12:]}"
    env = {**__import__("os").environ, "PYTHON": sys.executable}
    started = subprocess.run([str(script), str(folder), "城头镇=kbtui_chengtou"], capture_output=True, text=True,
                             env=env, check=False)
    try:
        assert started.returncode == 0, started.stderr
        lines = {line.split("：", 1)[0]: line.split("：", 1)[1].strip() for line in started.stdout.splitlines()
                 if "init --profile" in line}
        assert set(lines) == {"区县教育局", "城头镇"}
        for who, line in lines.items():
            words = shlex.split(line)
            url = words[words.index("--database") + 1]
            result = run_cli("init", "--profile", "shanting-2019", "--database", url, data_dir=tmp_path / who)
            assert result.exit_code == 0, result.output
        # the creator's role follows the login: the bureau's login makes a 区县管理员, a town's its 镇管理员
        bureau = run_cli("operators", "list", data_dir=tmp_path / "区县教育局").output
        town = run_cli("operators", "list", data_dir=tmp_path / "城头镇").output
        assert "区县管理员" in bureau and "全区" in bureau, bureau
        assert "镇管理员" in town and "城头镇" in town and "区县管理员" not in town and "全区" not in town, town
    finally:
        stopped = subprocess.run([str(script), "--stop", str(folder)], capture_output=True, text=True, env=env,
                                 check=False)
    assert stopped.returncode == 0 and "已停止" in stopped.stdout, stopped.stderr
    __import__("shutil").rmtree(folder, ignore_errors=True)
    again = run_cli("stats", data_dir=tmp_path / "区县教育局")
    assert again.exit_code == 1 and "连不上数据库服务器" in again.output
