"""The throwaway PostgreSQL server of the test session (``kbtui.store.postgres.local``: the system's initdb/pg_ctl
in a temporary folder, a Unix socket only, run as an unprivileged account when the tests run as root).

Without the binaries the PostgreSQL tests skip with the reason, except under CI (``.ci/run`` sets
``KBTUI_REQUIRE_POSTGRES=1``), where their absence fails: CI must always run them against a real server.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from kbtui.store.postgres import local

REQUIRE_ENV = "KBTUI_REQUIRE_POSTGRES"


def require_bindir():
    """The PostgreSQL binaries' folder, or skip (fail under CI) saying why there is none."""
    bindir = local.find_bindir()
    if bindir is None:
        reason = ("PostgreSQL 15 binaries not found (install postgresql-15 and postgresql-contrib, or set "
                  f"{local.BINDIR_ENV}); the PostgreSQL tests need a real server")
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_ENV}=1 makes that a failure", pytrace=False)
        pytest.skip(reason)
    return bindir


@pytest.fixture(scope="session")
def pg_server() -> Iterator[local.LocalServer]:
    """One server for the whole session, removed at its end."""
    server = local.create(bindir=require_bindir(), durable=False)
    try:
        yield server
    finally:
        server.remove()


_numbers = itertools.count(1)


@pytest.fixture
def pg_database(pg_server: local.LocalServer) -> Iterator[str]:
    """A new, empty database on the session's server (dropped after the test): its superuser URL."""
    import psycopg

    name = f"t{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name)
    finally:
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
