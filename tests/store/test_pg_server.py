"""The test session's PostgreSQL server: a real server from the system's binaries, reached over its socket,
run by an unprivileged account when the tests run as root; absent binaries skip locally and fail under CI."""
from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from kbtui.errors import StoreError
from kbtui.store.postgres import local
from tests.helpers import pg_server as fixture


def test_session_server_answers_on_its_socket_only(pg_server, pg_database):
    with psycopg.connect(pg_database) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        listen = conn.execute("SHOW listen_addresses").fetchone()[0]
        conn.execute("CREATE EXTENSION pgcrypto")       # the journal's HMAC needs contrib
    assert int(version) >= 150000
    assert listen == ""                                  # no TCP: the socket in the 0700 folder only
    assert (pg_server.base.stat().st_mode & 0o777) == 0o700


def test_server_processes_are_not_root_when_started_by_root(pg_server):
    pid = int((pg_server.data / "postmaster.pid").read_text().split()[0])
    uid = Path(f"/proc/{pid}").stat().st_uid
    if os.geteuid() == 0:
        assert uid != 0 and pg_server.user
    else:
        assert uid == os.geteuid()


def test_a_server_of_its_own_stops_and_leaves_no_folder():
    server = local.create(Path(f"/tmp/kbtui-pg-own-{os.getpid()}"), bindir=fixture.require_bindir(), durable=False)
    try:
        assert server.running()
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.remove()
    assert not server.base.exists()


def test_missing_binaries_skip_locally_and_fail_under_ci(tmp_path, monkeypatch):
    monkeypatch.setenv(local.BINDIR_ENV, str(tmp_path))            # a folder without initdb
    monkeypatch.delenv(fixture.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL 15 binaries not found"):
        fixture.require_bindir()
    monkeypatch.setenv(fixture.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="makes that a failure"):
        fixture.require_bindir()


def test_create_without_binaries_says_so_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv(local.BINDIR_ENV, str(tmp_path))
    with pytest.raises(StoreError, match="找不到 PostgreSQL 程序"):
        local.create(tmp_path / "cluster")
