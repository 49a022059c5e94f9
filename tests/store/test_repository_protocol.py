"""The repository protocols (``store.repository``) are what the TinyDB store already is: the checker finds
nothing missing in ChildStore, Collection, Journal and their scoped views, and does find what is missing."""
from __future__ import annotations

from pathlib import Path

from kbtui.services.access.operators import Operator
from kbtui.services.access.scope import ScopedStore
from kbtui.store import ChildStore
from kbtui.store.repository import (
    ChildRepository,
    CollectionRepository,
    JournalRepository,
    StoreBackend,
    conformance_problems,
)


def _operator() -> Operator:
    return Operator(login="admin", name="管理员", role="镇管理员")


def test_tinydb_store_satisfies_the_protocols(tmp_path: Path):
    store = ChildStore.open(tmp_path / "data")
    assert conformance_problems(store, StoreBackend) == []
    assert conformance_problems(store, ChildRepository) == []
    assert conformance_problems(store.collection("tasks"), CollectionRepository) == []
    assert conformance_problems(store.journal, JournalRepository) == []


def test_scoped_store_satisfies_the_child_repository(tmp_path: Path):
    scoped = ScopedStore(ChildStore.open(tmp_path / "data"), _operator())
    assert conformance_problems(scoped, ChildRepository) == []
    assert conformance_problems(scoped.collection("tasks"), CollectionRepository) == []


def test_the_checker_names_what_is_missing_or_different():
    class Half:
        journal = None
        loaded = True

        def get(self, key):                              # renamed parameter
            return None

        def update(self, id_number, changes, operator, mandatory):      # an extra parameter without default
            return {}

    problems = conformance_problems(Half(), ChildRepository)
    assert "Half has no read_only" in problems
    assert "Half has no insert_many" in problems
    assert any("Half.get: positional parameters ['key'] are not ['id_number']" in p for p in problems)
    assert any("extra parameter mandatory has no default" in p for p in problems)
