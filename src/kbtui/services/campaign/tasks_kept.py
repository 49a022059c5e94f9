"""The visit tasks' counts kept per village file, so that the dashboard's 走访任务与逾期 panel costs what changed.

``task_report`` classifies every child, builds a row per task (41,423 at 100,000 children) and sorts them, at
every showing after any save (2-4 s at 100,000). The panel shows only counts (totals, late by village, by
person), and counts add up: ``TaskCountsCache`` keeps each village file's ``TaskCounts`` under

- the file's signature (read before its records, as ``services.children.counts`` does), a digest of the visit
  tasks and planned visits of that file's children (a visit, a planned visit, a new due date: that village
  again), and the day (late is counted against it);
- a key of what every child shares: the counts' key (campaign, cohorts, scope, classification code), the
  campaign and its visit deadline, the situations and their kinds, this code and ``tasks``'.

Kept on disk too (``cache/tasks-<key>.json``: counts by village and by staff member, no child's data), so the
next start counts only what changed. ``task_report`` counts everything afresh: it is the reference the tests
compare this with.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kbtui.domain import campaign as cp
from kbtui.services.campaign import tasks as tasks_module
from kbtui.services.campaign.campaigns import current_campaign
from kbtui.services.campaign.tasks import TaskCounts, campaign_tasks, task_rows
from kbtui.services.children.counts import counts_cache
from kbtui.services.kept_files import kept_path, read_kept, write_kept
from kbtui.services.workspace_memo import attached

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

FORMAT = 1


@dataclasses.dataclass
class FileCounts:
    """One village file's share: its signature, the digest of its children's tasks, the day, the counts."""
    sig: tuple
    deps: str
    day: str
    counts: TaskCounts


def _digest(obj: Any) -> str:
    return hashlib.blake2b(orjson.dumps(obj, default=repr, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


class TaskCountsCache:
    """The visit tasks' counts of a workspace's children (within its operator's scope), kept per village file."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = weakref.ref(workspace)      # the module's table of caches must not keep it alive
        self._lock = threading.Lock()
        self._key: str | None = None
        self._files: dict[str, FileCounts] = {}
        self._saved: dict[str, tuple] = {}            # what the disk copy holds: file → (sig, deps, day)
        self.recounted: list[str] = []     # the files counted afresh by the last ``current`` (tests)

    @property
    def workspace(self) -> Any:
        return self._workspace()

    def context_key(self, campaign_id: str, deadline: dt.datetime | None) -> str:
        ws = self.workspace
        parts = [FORMAT, counts_cache(ws).context_key(), campaign_id, repr(deadline),
                 [(s.label, str(s.kind)) for s in ws.statuses],
                 [hashlib.sha256(Path(m.__file__ or "").read_bytes()).hexdigest()
                  for m in (tasks_module, cp, sys.modules[__name__])]]
        return _digest(parts)

    def _path(self, key: str) -> Path:
        return kept_path(self.workspace, "tasks", key)

    def current(self, today: dt.date | dt.datetime) -> TaskCounts:
        """The counts now (the store refreshed first: another operator's saves are counted), only the
        village files whose children, tasks or day changed counted again."""
        ws = self.workspace
        with self._lock:
            ws.store.refresh()
            campaign = current_campaign(ws)
            deadline = cp.visit_deadline(campaign)
            key = self.context_key(campaign.id, deadline)
            if key != self._key:
                self._key, self._files, self._saved = key, {}, {}
                self._read_disk(key)
            ctx = ws.context(today if not isinstance(today, dt.datetime) else today.date())
            docs, planned = campaign_tasks(ws, campaign.id)
            day = today.isoformat()
            total = TaskCounts()
            files: dict[str, FileCounts] = {}
            recounted = []
            store = ws.store
            district = ws.profile.district is not None          # villages counted as 城头镇新村
            for name, sig in store.shard_signatures().items():     # each signature before its records
                records, whole = store.shard_records(name)
                mine = [(i, docs.get(i), planned.get(i)) for r in records
                        if (i := r["id_number"]) in docs or i in planned]
                deps = _digest(mine) if mine else ""
                part = self._files.get(name)
                if part is None or part.sig != sig or part.deps != deps or part.day != day:
                    rows = task_rows(records, ctx, docs, planned, deadline, today, ws.statuses)
                    part = FileCounts(sig, deps, day, TaskCounts.of(rows, district=district))
                    recounted.append(name)
                total.add(part.counts)
                if whole:              # a record of it held from another file: never kept
                    files[name] = part
            self._files = files
            self.recounted = recounted
            self._write_disk(key)
            return total

    # -- the copy on disk -----------------------------------------------------------------------------
    def _read_disk(self, key: str) -> None:
        files = read_kept(self._path(key), key, lambda item: FileCounts(
            tuple(item["sig"]), str(item["deps"]), str(item["day"]), TaskCounts.from_json(item["counts"])))
        if files is None:
            return              # missing or damaged: counted afresh, then written again
        self._files = files
        self._saved = self._state()

    def _state(self) -> dict[str, tuple]:
        return {name: (p.sig, p.deps, p.day) for name, p in self._files.items()}

    def _write_disk(self, key: str) -> None:
        now = self._state()
        if now == self._saved:
            return
        if write_kept(self.workspace, self._path(key), key, {
                name: {"sig": list(p.sig), "deps": p.deps, "day": p.day, "counts": p.counts.as_json()}
                for name, p in self._files.items()}):
            self._saved = now


def task_counts_cache(workspace: Workspace) -> TaskCountsCache:
    """The workspace's ``TaskCountsCache`` (one per opened workspace, shared by its screens and threads)."""
    return attached(workspace, "task-counts", lambda: TaskCountsCache(workspace))


def kept_task_summary(workspace: Workspace, today: dt.date | dt.datetime) -> dict[str, Any]:
    """``by_person``, ``by_village`` and ``totals`` as ``task_report(workspace, today)`` gives them, from the
    counts kept per village file."""
    return task_counts_cache(workspace).current(today).summary()
