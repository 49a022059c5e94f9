"""Merging what a list says about a child into the child's record, without ever losing a value.

Rules (issue 3):
- one child = one record, keyed by the normalised ID number;
- an empty field is filled; an equal value changes nothing;
- a different value is *not* written: the first value stays and the other one is kept in
  ``record["conflicts"][field]`` as ``{"source", "value", "file", "row"}`` until an operator decides
  (:func:`resolve_conflict`); a value the operator has already rejected is remembered in
  ``record["conflicts_resolved"][field]`` and does not come back on the next import;
- list fields (key groups) are merged by union;
- the list's name is added to ``record["sources"]``.

Also the data check "来源冲突" (registered in ``services.intake.checks.CORE_CHECKS``) that shows the conflicts
in ``kbtui check``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kbtui.domain import labels as L
from kbtui.domain.child import Record
from kbtui.errors import RecordNotFound

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

CONFLICTS = "conflicts"
RESOLVED = "conflicts_resolved"
SOURCES_KEY = "sources"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class Merger:
    """Folds the rows of one list into working copies of the records they concern.

    ``existing`` looks a record up in the store (returns a dict the merger may not mutate, or None).
    After all rows: ``new`` holds the new children, ``updates()`` the changes to existing ones.
    """

    def __init__(self, existing, source: str, file: str, list_fields: tuple[str, ...] = (),
                 known: set[str] | None = None):
        self.existing = existing
        self.known = known                       # ids in the store (None: ask ``existing`` for each)
        self.source = source
        self.file = file
        self.list_fields = frozenset(list_fields)
        self.new: dict[str, Record] = {}
        self.work: dict[str, Record] = {}        # working copies of existing records
        self.originals: dict[str, Record] = {}
        self.rows_of: dict[str, list[tuple[dict[str, Any], int]]] = {}   # the rows folded into each of them
        self.seen: set[str] = set()
        self.duplicates = 0
        self.conflicts_added = 0

    def add(self, id_number: str, values: dict[str, Any], row: int) -> str:
        """Fold one row in (``values`` becomes the new record: do not reuse it); returns "new",
        "existing" or "duplicate"."""
        kind = "duplicate" if id_number in self.seen else None
        if kind:
            self.duplicates += 1
        self.seen.add(id_number)
        record = self.new.get(id_number)
        if record is None:
            record = self.work.get(id_number)
        if record is None:
            known = self.known
            stored = None if known is not None and id_number not in known else self.existing(id_number)
            if stored is None:
                record = values                  # the caller hands over a fresh dict per row
                record["id_number"] = id_number
                record[SOURCES_KEY] = [self.source]
                self.new[id_number] = record
                return kind or "new"
            self.originals[id_number] = stored
            record = self.work[id_number] = dict(stored)
        if id_number in self.work:
            self.rows_of.setdefault(id_number, []).append((values, row))
        self._fold(record, values, row)
        return kind or "existing"

    def add_rows(self, rows: list[tuple[str, dict[str, Any], int]]) -> None:
        """``add`` for many rows (id, values, row number); a child new to the store and to this list — every
        row of a first import — takes the short way."""
        seen, new, known, source = self.seen, self.new, self.known, self.source
        ids = [id_number for id_number, _values, _row in rows]
        fresh = set(ids)
        if known is not None and not seen and len(fresh) == len(ids) and fresh.isdisjoint(known):
            # every row is a child new to the store, once in the list (a first import): no lookups
            seen.update(fresh)
            for id_number, values, _row in rows:
                values["id_number"] = id_number
                values[SOURCES_KEY] = [source]
            new.update(zip(ids, (values for _id, values, _row in rows)))
            return
        add = self.add
        for id_number, values, row in rows:
            if known is not None and id_number not in known and id_number not in seen:
                seen.add(id_number)
                values["id_number"] = id_number
                values[SOURCES_KEY] = [source]
                new[id_number] = values
            else:
                add(id_number, values, row)

    def _fold(self, record: Record, values: dict[str, Any], row: int) -> None:
        for key, new in values.items():
            old = record.get(key)
            if key in self.list_fields and isinstance(new, list):
                current = list(old) if isinstance(old, list) else ([] if _empty(old) else [old])
                missing = [v for v in new if v not in current]
                if missing:
                    record[key] = current + missing
                continue
            if _empty(old):
                record[key] = new
            elif old != new:
                self._conflict(record, key, new, row)
        sources = record.get(SOURCES_KEY) or []
        if self.source not in sources:
            record[SOURCES_KEY] = [*sources, self.source]

    def _conflict(self, record: Record, key: str, value: Any, row: int) -> None:
        added = conflict_changes(record, key, value, self.source, self.file, row)
        if added:
            record.update(added)
            self.conflicts_added += 1

    def updates(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, {field: new value}) for every existing record the list changed."""
        out = []
        for id_number, record in self.work.items():
            original = self.originals[id_number]
            changes = {k: v for k, v in record.items() if original.get(k) != v}
            if changes:
                out.append((id_number, changes))
        return out

    def under_lock(self, id_number: str, changes: dict[str, Any]):
        """``changes`` (from ``updates``) as a function of the record as it is under the store's lock: the
        same changes when nobody changed the record since it was read, else the list's rows folded again
        into the record as it is then, so that an edit saved meanwhile (a visit, a settled conflict) stays."""
        version = self.originals[id_number].get("_v")

        def changes_now(current: Record) -> dict[str, Any]:
            if current.get("_v") == version:
                return changes
            record = dict(current)
            for values, row in self.rows_of.get(id_number, ()):
                self._fold(record, values, row)
            return {k: v for k, v in record.items() if current.get(k) != v}
        return changes_now


def conflict_changes(record: Record, key: str, value: Any, source: str, file: str, row: int) -> dict[str, Any]:
    """The change recording that list ``source`` (``file``, ``row``) gives ``value`` for ``key`` where the record
    has another ({} when that value was already recorded or rejected)."""
    if value in (record.get(RESOLVED) or {}).get(key, ()):
        return {}
    conflicts = record.get(CONFLICTS) or {}
    entries = conflicts.get(key) or []
    if any(e.get("value") == value and e.get("source") == source for e in entries):
        return {}
    return {CONFLICTS: {**conflicts, key: [*entries, {"source": source, "value": value, "file": file, "row": row}]}}


# --------------------------------------------------------------------------- operator decisions

def conflict_lines(record: Record) -> list[tuple[str, str]]:
    """(field label, Chinese message) for each field whose sources disagree."""
    out = []
    for key, entries in (record.get(CONFLICTS) or {}).items():
        label = L.field_label(key)
        others = "；".join(
            f"{L.source_label(e.get('source'))}“{e.get('file', '')}”"
            f"第{e.get('row', '?')}行为“{_shown(e.get('value'))}”" for e in entries)
        out.append((label, f"来源不一致：现记为“{_shown(record.get(key))}”，{others}。请核实后选定"))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(map(str, value))
    return "" if value is None else str(value)


def check_conflicts(record: Record, ctx: Any) -> list[tuple[str, str]]:
    """Data check: fields on which the imported lists disagree (kept for the operator)."""
    if not record.get(CONFLICTS):
        return []
    return conflict_lines(record)


def resolution_changes(record: Record, key: str, value: Any) -> dict[str, Any]:
    """The changes that settle the conflict on ``key`` with ``value`` (the kept or another value).

    Every value that was on offer and is not chosen is remembered, so a re-import does not raise
    the same conflict again.
    """
    conflicts = dict(record.get(CONFLICTS) or {})
    entries = conflicts.pop(key, [])
    offered = [record.get(key), *(e.get("value") for e in entries)]
    resolved = {k: list(v) for k, v in (record.get(RESOLVED) or {}).items()}
    rejected = resolved.setdefault(key, [])
    for v in offered:
        if v != value and not _empty(v) and v not in rejected:
            rejected.append(v)
    changes: dict[str, Any] = {CONFLICTS: conflicts, RESOLVED: resolved}
    if record.get(key) != value:
        changes[key] = value
    return changes


def resolve_conflict(workspace: Workspace, id_number: str, key: str, value: Any,
                     expected_version: int | None = None) -> Record:
    """Settle a conflict: ``key`` becomes ``value``; journaled as action "resolve-conflict"."""
    if workspace.store.get(id_number) is None:
        raise RecordNotFound(f"找不到身份证号为 {id_number} 的记录")
    # worked out under the store's lock: conflicts an import added meanwhile stay
    return workspace.store.update(id_number, lambda current: resolution_changes(current, key, value),
                                  workspace.operator,
                                  expected_version=expected_version, action="resolve-conflict",
                                  detail={"field": key})
