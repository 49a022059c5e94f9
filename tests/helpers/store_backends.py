"""The two store backends for the contract tests: the TinyDB store in a folder and the PostgreSQL store on the
session's throwaway server. A backend is named by a ``spec`` string (``tinydb:<folder>`` or a database URL)
that writer subprocesses open the same way (``open_spec``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kbtui.store import ChildStore
from kbtui.store.postgres import PgStore, admin

DISTRICT_ROLE = "kbtui_district"
TOWN_ROLES = {"城头镇": "kbtui_t_chengtou", "桑村镇": "kbtui_t_sangcun"}


def open_spec(spec: str, **kwargs: Any):
    """The store a spec names (a writer subprocess opens its store with this)."""
    if spec.startswith("tinydb:"):
        return ChildStore.open(Path(spec[len("tinydb:"):]), **kwargs)
    return PgStore.open(spec, **kwargs)


@dataclass
class Backend:
    name: str                   # "tinydb" | "postgresql"
    spec: str                   # what open_spec opens (the PostgreSQL one: the district bureau's login)
    admin_url: str | None = None
    server: Any = None

    def open(self, **kwargs: Any):
        store = open_spec(self.spec, **kwargs)
        self.opened.append(store)
        return store

    def town_spec(self, town: str) -> str:
        """PostgreSQL: the URL of a town's login role (it sees that town only)."""
        assert self.server is not None and self.admin_url is not None
        return self.server.url(_dbname(self.admin_url), TOWN_ROLES[town])

    def open_town(self, town: str, **kwargs: Any) -> PgStore:
        """PostgreSQL: the store as a town's login role opens it (closed with the backend)."""
        store = PgStore.open(self.town_spec(town), **kwargs)
        self.opened.append(store)
        return store

    def superuser(self) -> psycopg.Connection:
        assert self.admin_url is not None
        return psycopg.connect(self.admin_url, autocommit=True)

    def __post_init__(self) -> None:
        self.opened: list[Any] = []

    def close(self) -> None:
        for store in self.opened:
            store.close()


def tinydb_backend(root: Path) -> Backend:
    return Backend("tinydb", f"tinydb:{root}")


def postgres_backend(server, admin_url: str) -> Backend:
    admin.install(admin_url)
    admin.add_login(admin_url, DISTRICT_ROLE, None)
    for town, role in TOWN_ROLES.items():
        admin.add_login(admin_url, role, [town])
    return Backend("postgresql", server.url(_dbname(admin_url), DISTRICT_ROLE), admin_url, server)


def _dbname(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(url)["dbname"]


@pytest.fixture(params=["tinydb", "postgresql"])
def store_backend(request, tmp_path: Path):
    """Each contract test once on each backend: a TinyDB folder in tmp_path, or a new database on the
    session's PostgreSQL server (skipped locally, failed under CI, when there is none)."""
    if request.param == "tinydb":
        backend = tinydb_backend(tmp_path / "data")
    else:
        backend = postgres_backend(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_database"))
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture
def district(pg_server, pg_database):
    """A district database on the session's server: kbtui installed, the bureau's and two towns' logins."""
    backend = postgres_backend(pg_server, pg_database)
    try:
        yield backend
    finally:
        backend.close()
