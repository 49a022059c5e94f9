"""Counts of the children by situation, cohort and village, kept per village file.

The dashboard, the visit screen's village list and ``kbtui stats`` count every child: at 100,000 children
that is about a second of classification. ``CountsCache`` keeps the counts of each village file with the
file's signature (inode, size, mtime, ctime: what ``ChildStore.refresh`` compares) under a key of what
they depend on (the current campaign's year and title, the profile's cohorts and cutoff, the operator's
scope, the classification code); after an edit, a visit, an import or another operator's save only the
village files whose signature changed are counted again. The counts are also kept on disk
(``cache/counts-<key>.json``, no personal data): at the next start, when no village file changed, the
dashboard shows them before the children are read.

A count is never shown for a state it was not made from: a file's counts are looked up by the signature
read *before* its records, and a village file holding a record that the index gives to another file (a
village move cut short) is counted afresh every time.
"""
from __future__ import annotations

import hashlib
import threading
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kbtui.domain import classify as classify_module
from kbtui.domain import status as st
from kbtui.domain.child import Record
from kbtui.domain.ledger import LedgerContext
from kbtui.errors import StoreError
from kbtui.services.children.places import village_label
from kbtui.services.kept_files import kept_path, read_kept, write_kept
from kbtui.services.workspace_memo import attached
from kbtui.store import layout

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

UNVILLAGED = "（未分村）"
PENDING = (st.PENDING_VISIT, st.DEFERRAL_CHECK)
CACHE_DIR = layout.CACHE_DIR
FORMAT = 1


@dataclass
class ChildCounts:
    """``villages``: village as recorded ("" for none; ``城头镇新村`` in a district: ``places.village_label``)
    → [children, of them in the campaign, of them pending]."""

    children: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_cohort: Counter[str] = field(default_factory=Counter)
    villages: dict[str, list[int]] = field(default_factory=dict)

    def add(self, other: ChildCounts) -> None:
        self.children += other.children
        self.by_status.update(other.by_status)
        self.by_cohort.update(other.by_cohort)
        for village, (n, campaign, pending) in other.villages.items():
            mine = self.villages.setdefault(village, [0, 0, 0])
            mine[0] += n
            mine[1] += campaign
            mine[2] += pending

    @property
    def in_campaign(self) -> int:
        return sum(n for k, n in self.by_cohort.items() if k != "outside")

    @property
    def pending(self) -> int:
        return sum(v[2] for v in self.villages.values())

    def _named(self, index: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for village, values in self.villages.items():
            if values[index]:
                name = village or UNVILLAGED
                out[name] = out.get(name, 0) + values[index]
        return dict(sorted(out.items()))

    def by_village(self) -> dict[str, int]:
        """Children per village (``（未分村）`` for none), sorted by village."""
        return self._named(0)

    def pending_by_village(self) -> dict[str, int]:
        return self._named(2)

    def progress(self) -> dict[str, tuple[int, int]]:
        """Per village of the campaign: (children whose situation is known, children of the campaign)."""
        campaign, pending = self._named(1), self._named(2)
        return {v: (total - pending.get(v, 0), total) for v, total in campaign.items()}

    def to_visit(self) -> dict[str, tuple[int, int]]:
        """Per village as recorded ("" for none) with campaign children: (still to visit, campaign children)."""
        return {v: (p, c) for v, (_n, c, p) in sorted(self.villages.items()) if c}

    def as_json(self) -> dict[str, Any]:
        return {"children": self.children, "by_status": dict(self.by_status), "by_cohort": dict(self.by_cohort),
                "villages": self.villages}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChildCounts:
        return cls(int(data["children"]), Counter(data["by_status"]), Counter(data["by_cohort"]),
                   {str(k): [int(x) for x in v] for k, v in data["villages"].items()})


def count_children(records: Iterable[Record], ctx: LedgerContext) -> ChildCounts:
    """One pass over ``records``: situations (in the order first met), cohorts, villages."""
    counts = ChildCounts()
    by_status, by_cohort, villages = counts.by_status, counts.by_cohort, counts.villages
    classify = ctx.classify
    district = ctx.profile.district is not None       # a district's villages go with their town: 城头镇新村
    n = 0
    for record in records:
        n += 1
        c = classify(record)
        by_status[c.situation] += 1
        cohort = c.cohort
        by_cohort[cohort or "outside"] += 1
        village = village_label(record, district)
        values = villages.get(village)
        if values is None:
            values = villages[village] = [0, 0, 0]
        values[0] += 1
        if cohort is not None:
            values[1] += 1
            if c.situation in PENDING:
                values[2] += 1
    counts.children = n
    return counts


def _jsonable(counts: ChildCounts) -> bool:
    return all(isinstance(k, str) for k in (*counts.by_status, *counts.villages))


class CountsCache:
    """The counts of a workspace's children (within its operator's scope), kept per village file."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = weakref.ref(workspace)      # the module's table of caches must not keep it alive
        self._lock = threading.Lock()
        self._key: str | None = None
        self._files: dict[str, tuple[tuple, ChildCounts]] = {}    # village file -> (signature, counts)
        self._saved: dict[str, tuple] = {}                         # what the disk copy holds
        self.recounted: list[str] = []       # the files counted afresh by the last ``current()`` (tests)

    @property
    def workspace(self) -> Any:
        return self._workspace()

    # -- the key --------------------------------------------------------------------------------------
    def context_key(self) -> str:
        """A digest of everything a village file's counts depend on besides its content."""
        ws = self.workspace
        profile = ws.campaign_profile
        scope = ws.store.scope_key()
        parts = [FORMAT, profile.year, profile.title, repr(profile.cutoff),
                 repr(sorted(profile.cohorts.items())), repr(scope),
                 hashlib.sha256(Path(classify_module.__file__).read_bytes()).hexdigest(),
                 hashlib.sha256(Path(__file__).read_bytes()).hexdigest()]
        return hashlib.sha256(orjson.dumps(parts, default=str)).hexdigest()[:24]

    def _path(self, key: str) -> Path:
        return kept_path(self.workspace, "counts", key)

    # -- counting -------------------------------------------------------------------------------------
    def current(self) -> ChildCounts:
        """The counts now (the store refreshed first: another operator's saves are counted)."""
        ws = self.workspace
        with self._lock:
            ws.store.refresh()
            key = self.context_key()
            if key != self._key:
                self._key, self._files, self._saved = key, {}, {}
                self._read_disk(key)
            store = ws.store
            ctx = ws.context()
            total = ChildCounts()
            files: dict[str, tuple[tuple, ChildCounts]] = {}
            recounted = []
            for name, sig in store.shard_signatures().items():     # each signature before its records
                kept = self._files.get(name)
                if kept is None or kept[0] != sig:
                    records, whole = store.shard_records(name)
                    kept = (sig, count_children(records, ctx))
                    recounted.append(name)
                    if not whole:           # a record of it counted in another file: never kept
                        total.add(kept[1])
                        continue
                files[name] = kept
                total.add(kept[1])
            self._files = files
            self.recounted = recounted
            self._write_disk(key)
            return total

    def before_load(self) -> ChildCounts | None:
        """The counts kept on disk if every village file is still the one they were made from (without
        reading the children: for the first screen while they are read); else None."""
        ws = self.workspace
        with self._lock:
            try:
                key = self.context_key()
                on_disk = ws.store.shard_file_signatures()
            except (OSError, StoreError):
                return None
            if key != self._key:
                self._key, self._files, self._saved = key, {}, {}
                self._read_disk(key)
            if not on_disk or on_disk.keys() != self._files.keys():
                return None
            total = ChildCounts()
            for name, sig in on_disk.items():
                kept = self._files[name]
                if kept[0] != sig:
                    return None
                total.add(kept[1])
            return total

    # -- the copy on disk -----------------------------------------------------------------------------
    def _read_disk(self, key: str) -> None:
        files = read_kept(self._path(key), key,
                          lambda item: (tuple(item["sig"]), ChildCounts.from_json(item["counts"])))
        if files is None:
            return              # missing or damaged: counted afresh, then written again
        self._files = files
        self._saved = {name: sig for name, (sig, _c) in files.items()}

    def _write_disk(self, key: str) -> None:
        now = {name: sig for name, (sig, _c) in self._files.items()}
        if now == self._saved:
            return
        if write_kept(self.workspace, self._path(key), key, {
                name: {"sig": list(sig), "counts": counts.as_json()}
                for name, (sig, counts) in self._files.items() if _jsonable(counts)}):
            self._saved = now


def counts_cache(workspace: Workspace) -> CountsCache:
    """The workspace's ``CountsCache`` (one per opened workspace, shared by its screens and threads)."""
    return attached(workspace, "counts", lambda: CountsCache(workspace))


def current_counts(workspace: Workspace) -> ChildCounts:
    """The counts of the workspace's children now, only changed village files counted again."""
    return counts_cache(workspace).current()
