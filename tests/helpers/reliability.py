"""Helpers of the reliability tests: writers started together, and the data rebuilt from the journal and
compared with the store."""
from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kbtui.store import ChildStore
from kbtui.store.consistency import check_store
from kbtui.store.storage import LockedJSONStorage


def run_together(procs: dict[str, subprocess.Popen], timeout: float) -> dict[str, Any]:
    """Writer processes that print "ready", wait for "go" on stdin, and print a JSON result last: start them
    all at once, return each one's result (a writer that is still running at the end is killed)."""
    try:
        for p in procs.values():
            assert p.stdout.readline().strip() == "ready"
        for p in procs.values():
            p.stdin.write("go\n")
            p.stdin.flush()
        results = {}
        for me, p in procs.items():
            out, _ = p.communicate(timeout=timeout)
            assert p.returncode == 0, out
            results[me] = json.loads(out.strip().splitlines()[-1])
        return results
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()


def rolled_back_txs(store: ChildStore) -> set[str]:
    return {e["detail"]["rolled_back_tx"] for e in store.journal.entries()
            if e.get("action") == "tx.rollback"}


def replay(store: ChildStore) -> tuple[dict[str, dict[str, Any]], dict[str, int],
                                       dict[tuple[str, str], dict[str, Any]], dict[tuple[str, str], int]]:
    """Children and collection documents as the journal says they are, and how many entries each has.

    Entries of a write-ahead transaction that was rolled back (``tx.rollback``) never took effect.
    """
    dropped = rolled_back_txs(store)
    children: dict[str, dict[str, Any]] = {}
    child_entries: dict[str, int] = {}
    docs: dict[tuple[str, str], dict[str, Any]] = {}
    doc_entries: dict[tuple[str, str], int] = {}
    for entry in store.journal.entries():
        record = entry.get("record")
        if record is None or entry.get("_tx") in dropped:
            continue
        collection = (entry.get("detail") or {}).get("collection")
        if collection is not None:
            key = (collection, record)
            target, counts = docs.setdefault(key, {}), doc_entries
        else:
            key, target, counts = record, children.setdefault(record, {}), child_entries
        for field, (_old, new) in entry["changes"].items():
            target[field] = new
        counts[key] = counts.get(key, 0) + 1
    return children, child_entries, docs, doc_entries


def fields(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def assert_store_matches_journal(root: Path, collections: tuple[str, ...] = ()) -> ChildStore:
    """Every stored change is journaled and every journaled change is stored (children and collections),
    the chain verifies, ``store.consistency`` finds nothing wrong and no write-ahead file is left over."""
    store = ChildStore.open(root)
    ok, seq, message = store.journal.verify()
    assert ok, (seq, message)
    children, child_entries, docs, doc_entries = replay(store)
    assert set(store.ids()) == set(children), "children in the store and in the journal differ"
    for id_number in store.ids():
        rec = store.get(id_number)
        assert fields(rec) == children[id_number], id_number
        assert rec["_v"] == child_entries[id_number], (id_number, rec["_v"], child_entries[id_number])
    for name in collections:
        stored = {d["key"]: d for d in store.collection(name).all()}
        journaled = {k: v for (c, k), v in docs.items() if c == name}
        assert set(stored) == set(journaled), name
        for key, doc in stored.items():
            assert fields(doc) == journaled[key], (name, key)
            assert doc["_v"] == doc_entries[(name, key)]
    leftovers = [p for p in (root / "store").rglob("*") if ".tmp-" in p.name]
    assert not leftovers, leftovers
    # and the verification users run says the same: chain, signatures, anchor, every file against the journal
    chain, stored = check_store(store)
    assert chain.ok, chain.message
    assert stored is not None and stored.ok, stored.problems
    return store


@contextlib.contextmanager
def another_edit_first(workspace: Any, edit: Callable[[], Any], file: str | None = None) -> Iterator[list]:
    """Inside the block, just before ``workspace`` next takes a store file's write lock (only ``file``'s, e.g.
    "tasks" -- any of its village files -- or a village's name, when given), ``edit()`` runs: another operator's edit
    that lands after this operator's service has read the record and before it writes. Yields a list that holds
    ``edit``'s result once it ran (the block must make it run)."""
    original = LockedJSONStorage.session
    journal = workspace.raw_store.journal
    ran: list = []

    def session(storage: LockedJSONStorage):
        if not ran and storage.journal is journal and (file is None or file in (storage.path.stem,
                                                                                storage.path.parent.name)):
            ran.append(edit())
        return original(storage)

    LockedJSONStorage.session = session  # type: ignore[method-assign]
    try:
        yield ran
    finally:
        LockedJSONStorage.session = original  # type: ignore[method-assign]
    assert ran, "the other operator's edit never ran"


def two_operators(root: Path, login: str, name: str, role: str, villages: list[str] | None = None,
                  towns: list[str] | None = None) -> tuple[Any, Any]:
    """(the 镇管理员's workspace, a second operator's) on one data folder: ``login`` is added first (with
    ``towns`` in a district profile)."""
    from kbtui.services.access import operator_admin
    from kbtui.services.workspace import Workspace

    town = Workspace.open(root, "tester")
    operator_admin.add_operator(town, login, name, role, villages, towns=towns)
    return town, Workspace.open(root, login)
