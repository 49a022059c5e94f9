"""One edit resolved against the record as it is under the file's lock (children and collections alike).

A service that reads a record, builds changes from what it read and saves them loses every edit another
operator saved in between (two visits on one child: the first one's ``status_history`` entry was gone). So
the store works the changes out under the lock, on the record as it is now, in the way the caller asks:

- ``changes`` a dict: these fields get these values (a plain set: of two sets of one field the later wins);
- ``changes`` a function of the current record (a copy, with its ``_v``; ``None`` for a document that does
  not exist yet, see ``Collection.upsert``) returning that dict: for changes that depend on the record --
  appending to a list (status history, evidence, persuasion attempts …), a value set only when missing, a
  total recounted. Concurrent appends then all land. The function runs with the lock held: it may read (the
  store's index, a collection) but must not write, and it may run more than once. It may raise to refuse;
  nothing is written then;
- ``base`` (the record as the caller read it): a field the changes set that someone else has changed since
  to another value refuses the edit (``StaleEditError``, the Chinese stale-edit message); the other fields
  merge. For an edit of values the caller decided on seeing the record;
- ``expected_version``: any change since refuses the edit (a form showing the version it loaded).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kbtui.errors import StaleEditError
from kbtui.store.errors import stale_message

Record = dict[str, Any]
Changes = Record | Callable[[Any], Record | None]


def is_field(key: str) -> bool:
    return not key.startswith("_")


def resolve(current: Record | None, changes: Changes, *, expected_version: int | None = None,
            base: Record | None = None) -> Record:
    """The fields to set on ``current`` (None: a document about to be created), bookkeeping keys dropped;
    raises StaleEditError when ``expected_version`` or ``base`` says someone else's edit came first."""
    wanted = changes(None if current is None else dict(current)) if callable(changes) else changes
    wanted = {k: v for k, v in (wanted or {}).items() if is_field(k)}
    now = current or {}
    if expected_version is not None and now.get("_v") != expected_version:
        raise stale(now, wanted)
    if base is not None:
        for key, value in wanted.items():
            theirs = now.get(key)
            if theirs != base.get(key) and theirs != value:
                raise stale(now, wanted)
    return wanted


def stale(current: Record, attempted: Record) -> StaleEditError:
    """The refusal of an edit that another operator's edit of ``current`` came before (a function given as
    changes raises it when what it was decided on has changed)."""
    return StaleEditError(stale_message(current), dict(current), dict(attempted))


def diff(current: Record, wanted: Record) -> dict[str, list[Any]]:
    """{field: [old, new]} of the fields ``wanted`` changes."""
    return {k: [current.get(k), v] for k, v in wanted.items() if current.get(k) != v}
