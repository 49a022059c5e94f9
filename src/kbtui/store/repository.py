"""The repository contract: what services, CLI and TUI may rely on from a store, whichever backend holds it.

Two implementations: the embedded TinyDB store (``store.children.ChildStore``, its ``Collection`` and
``Journal``; ``services.scope.ScopedStore`` is the same contract seen through an operator's scope) and the
PostgreSQL store (``store.postgres``). The contract tests (``tests/test_store_contract.py``) run against both.

The semantics, the same on both:

- **Versions.** Every record carries ``_v``, ``_by``, ``_at``. A write that changes something sets ``_v + 1``;
  one that changes nothing returns the record unchanged and journals nothing. ``expected_version`` and
  ``base`` are resolved by ``store.edits.resolve`` on the record as it is *under the lock* (the file lock;
  PostgreSQL's row lock), so a stale edit is refused with ``StaleEditError`` and never written. ``changes``
  may be a function of the current record, run under the lock (maybe more than once; it must not write).
- **Whole or nothing.** Each call is one transaction, its journal entries included: ``insert_many`` with a
  duplicate ID, ``apply_many`` with a missing child, a collection's ``insert_many`` refused by ``check``
  leave nothing behind; a writer killed in the middle leaves nothing half-written.
- **Scoped reads.** A store gives what the process may see (PostgreSQL: the login role's towns and the
  transaction's narrowing, by row-level security); ``get`` of a child out of sight is None, as for a
  missing one.
- **Bulk insert.** One call, journaled as one entry per chain, read back by ``entries()`` as one per child.
- **Journal.** Append-only and hash-chained; ``append`` is serialised so concurrent writers cannot fork a
  chain; ``verify`` checks chain, signatures and anchor; ``entries(record=…)`` covers bulk writes too.
- **refresh()** learns what others saved since; True if anything changed.

``conformance_problems`` checks an object against a protocol at run time (members present, parameters
named and ordered as the protocol says), without a type checker.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kbtui.store.journal import JournalEntry

Record = dict[str, Any]
Doc = dict[str, Any]
Changes = Record | Callable[[Any], Record | None]      # as store.edits.Changes


class JournalRepository(Protocol):
    def append(self, entries: Iterable[JournalEntry]) -> list[Any]:
        """Sequence, chain and sign ``entries`` (``journal.make_entry`` dicts) in one durable write, whole or
        not at all; returns the stored entries."""
        ...

    def entries(self, record: str | None = None, operator: str | None = None, *,
                since: Any = None) -> Iterator[dict[str, Any]]:
        """Entries in order (a record's own entries always in the order they were made), optionally those of
        one record and/or operator, and only those after ``since`` (a ``position()``). A bulk insert is read
        back as one entry per child."""
        ...

    def position(self) -> Any:
        """Where the journal is now, as JSON (an int for one chain, {chain: seq} for several): a later
        ``entries(since=…)`` gives what was appended after it."""
        ...

    def verify(self) -> tuple[bool, int | None, str]:
        """Chain, signatures and anchor: (ok, seq where it is wrong or None, Chinese message)."""
        ...

    def former_keys(self) -> dict[str, int]:
        ...


class CollectionRepository(Protocol):
    name: str

    def get(self, key: str) -> Doc | None: ...

    def all(self) -> list[Doc]: ...

    def find(self, **equal_fields: Any) -> list[Doc]: ...

    def __len__(self) -> int: ...

    def insert(self, doc: Doc, operator: str, *, check: Callable[[list[Doc]], None] | None = None) -> Doc: ...

    def insert_many(self, docs: list[Doc], operator: str, *, skip_existing: bool = False,
                    check: Callable[[list[Doc]], None] | None = None) -> list[Doc]:
        """New documents; a key already there refuses the batch (``skip_existing``: leaves that one alone).
        ``check(documents)`` runs under the collection's lock on all of them and may raise to refuse."""
        ...

    def update(self, key: str, changes: Changes, operator: str, expected_version: int | None = None, *,
               base: Doc | None = None) -> Doc: ...

    def upsert(self, key: str, changes: Changes, operator: str, *, base: Doc | None = None) -> Doc:
        """``update``, or create the document when there is none, in one locked write."""
        ...


class ChildRepository(Protocol):
    """The children store as services use it (``ScopedStore`` satisfies it too)."""

    journal: JournalRepository
    loaded: bool                      # the first refresh is done (the TUI paints before loading)
    read_only: bool                   # writes would be refused (a read-only mount, a role that may not write)

    def __len__(self) -> int: ...

    def __contains__(self, id_number: object) -> bool: ...

    def get(self, id_number: str) -> Record | None: ...

    def all(self) -> Iterator[Record]: ...

    def ids(self) -> list[str]: ...

    def refresh(self) -> bool: ...

    def update(self, id_number: str, changes: Changes, operator: str, expected_version: int | None = None,
               action: str = "update", detail: dict[str, Any] | None = None, *,
               base: Record | None = None) -> Record: ...

    def insert(self, record: Record, operator: str, action: str = "insert",
               detail: dict[str, Any] | None = None) -> Record: ...

    def insert_many(self, records: list[Record], operator: str, action: str = "insert",
                    detail: dict[str, Any] | None = None, *, adopt: bool = False) -> int: ...

    def apply_many(self, updates: list[tuple[str, Changes]], operator: str, action: str = "import",
                   detail: dict[str, Any] | None = None) -> int: ...

    def collection(self, name: str) -> CollectionRepository: ...


class StoreBackend(ChildRepository, Protocol):
    """A store as opened from a data folder or a database URL (not seen through a scope)."""

    location: str                     # for messages: the folder, or the URL without its password
    towns: list[str] | None           # the towns its login is limited to (a town's database login); None: all

    def count_by(self, *fields: str) -> dict[tuple[Any, ...], int]:
        """How many visible children have each combination of ``fields``' values (district stats)."""
        ...

    def registered_towns(self, ids: Iterable[str]) -> dict[str, str]:
        """The town ('' for none) of each of ``ids`` stored anywhere in the store, visible to this process or
        not (an import must know that a child it cannot see is registered in another town): nothing else."""
        ...

    def close(self) -> None: ...


def _members(protocol: type) -> dict[str, Any]:
    """The protocol's methods and attributes (its own and its bases'), by name."""
    found: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass in (object, Protocol) or not getattr(klass, "_is_protocol", False):
            continue
        for name in getattr(klass, "__annotations__", {}):
            found[name] = None
        for name, value in vars(klass).items():
            if callable(value) and (not name.startswith("_") or name in ("__len__", "__contains__")):
                found[name] = value
    return found


def _params(func: Callable[..., Any]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(func).parameters.values() if p.name != "self"]


def conformance_problems(obj: object, protocol: type) -> list[str]:
    """Why ``obj`` does not satisfy ``protocol`` (empty if it does): a missing member, or a method whose
    parameters are not the protocol's (same names in the same order and kinds; extra ones need defaults)."""
    problems = []
    for name, spec in _members(protocol).items():
        if not hasattr(obj, name):
            problems.append(f"{type(obj).__name__} has no {name}")
            continue
        if spec is None:
            continue
        impl = getattr(obj, name)
        wanted, given = _params(spec), {p.name: p for p in _params(getattr(type(obj), name))}
        order = list(given)
        positional = [p.name for p in wanted if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if order[:len(positional)] != positional and not any(
                p.kind == p.VAR_POSITIONAL for p in given.values()):
            problems.append(f"{type(obj).__name__}.{name}: positional parameters {order} are not {positional}")
        for p in wanted:
            if p.kind == p.VAR_KEYWORD:
                if not any(g.kind == g.VAR_KEYWORD for g in given.values()):
                    problems.append(f"{type(obj).__name__}.{name} takes no **{p.name}")
                continue
            if p.name not in given and not any(g.kind == g.VAR_KEYWORD for g in given.values()):
                problems.append(f"{type(obj).__name__}.{name} has no parameter {p.name}")
            elif p.name in given and p.default is not p.empty and given[p.name].default is p.empty:
                problems.append(f"{type(obj).__name__}.{name}: {p.name} needs a default")
        for g in given.values():
            if g.name not in {p.name for p in wanted} and g.default is g.empty and g.kind not in (
                    g.VAR_POSITIONAL, g.VAR_KEYWORD):
                problems.append(f"{type(obj).__name__}.{name}: extra parameter {g.name} has no default")
        if not callable(impl):
            problems.append(f"{type(obj).__name__}.{name} is not callable")
    return problems
