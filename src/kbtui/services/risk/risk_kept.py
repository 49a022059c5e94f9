"""The early-warning counts and list kept per village file, so that showing them costs what changed.

The dashboard's 预警 panel scores every campaign child as of each of the trend's eight week ends (at
100,000 children some 720,000 scores, ~12 s), and the 预警 screen scores them all as of today. A child's
score depends on its record (its village file), its absences and cases, the day, and what every child shares
(the profile's campaign and ``[risk]`` settings, the school calendar, the situations, the operator's scope,
the scoring code). ``RiskCache`` keeps, for each village file, the children listed at each level in each
village on each day asked for, under

- the file's signature (read before its records, as ``services.children.counts`` does) and a digest of the
  absences and cases of that file's children (an absence, a return, an attempt: only that village again);
- a key of what every child shares (changed: everything is scored again).

The counts are also kept on disk (``cache/risk-<key>.json``, counts by village and level only, no personal
data), so the next start scores only what changed, and a new day only that day. Today's scores of the
children listed (with the records they were made from) are kept in memory for the 预警 screen's list.
``risk_trend.overview`` and ``risk.risk_list`` score everything afresh: they are the reference the tests
compare these with.
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

from kbtui.domain import calendar as calendar_module
from kbtui.domain import escalation as escalation_module
from kbtui.domain import risk as domain_risk
from kbtui.domain.calendar import SchoolCalendar
from kbtui.domain.risk import RiskScore
from kbtui.services.children.counts import counts_cache
from kbtui.services.kept_files import kept_path, read_kept, write_kept
from kbtui.services.risk import risk as risk_module
from kbtui.services.risk import risk_trend
from kbtui.services.risk.risk import RiskList, Survey, check_level, list_of
from kbtui.services.risk.risk_trend import TREND_WEEKS, Overview, overview_of, village_levels, week_ends
from kbtui.services.workspace_memo import attached

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

FORMAT = 1
VillageLevels = dict[str, dict[str, int]]       # village → level → children listed


@dataclasses.dataclass
class FilePart:
    """One village file's share: its children that may be on the list (``scored``), those listed per day
    (``days``: ISO day → ``VillageLevels``) and, in memory only, today's listed children with their scores
    and the factors' warnings (``listed``: ISO day → (pairs, warnings))."""

    sig: tuple
    deps: str
    scored: int = 0
    days: dict[str, VillageLevels] = dataclasses.field(default_factory=dict)
    listed: dict[str, tuple[list[tuple[dict, RiskScore]], frozenset[str]]] = dataclasses.field(default_factory=dict)


def _source_digest(*objects: Any) -> str:
    """A digest of the source files of modules (or of the modules defining functions)."""
    h = hashlib.sha256()
    for obj in objects:
        module = sys.modules.get(getattr(obj, "__module__", "") or "") if not hasattr(obj, "__file__") else obj
        path = getattr(module, "__file__", None)
        try:
            h.update(Path(path).read_bytes() if path else repr(getattr(obj, "__qualname__", obj)).encode())
        except OSError:
            h.update(repr(path).encode())
    return h.hexdigest()


def _calendar_parts(calendar: SchoolCalendar) -> list[Any]:
    """The school calendar as sorted lists (a frozenset's order differs from one process to the next)."""
    national = calendar.national
    return [calendar.terms, sorted(calendar.holidays), sorted(calendar.workdays),
            [(b.name, b.start, b.end) for b in calendar.breaks], calendar.use_national,
            None if national is None else [sorted(national.years), sorted(national.holidays.items()),
                                           sorted(national.workdays.items()), national.known]]


class RiskCache:
    """The early-warning counts of a workspace's children (within its operator's scope), kept per village file."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = weakref.ref(workspace)      # the module's table of caches must not keep it alive
        self._lock = threading.Lock()
        self._key: str | None = None
        self._files: dict[str, FilePart] = {}
        self._saved: dict[str, tuple] = {}            # what the disk copy holds: file → (sig, deps, days)
        self.rescored: list[str] = []     # the files scored afresh (any day) by the last ``parts`` (tests)

    @property
    def workspace(self) -> Any:
        return self._workspace()

    def context_key(self, survey: Survey) -> str:
        """A digest of everything a village file's scores depend on besides its children and their
        absences and cases: what the counts depend on (campaign, cohorts, scope, classification), the
        ``[risk]`` settings and the factors' code, the situations, the school calendar, the scoring code."""
        ws = self.workspace
        settings = survey.settings
        parts = [FORMAT, counts_cache(ws).context_key(), settings.levels,
                 [(f.factor.id, f.params, _source_digest(f.factor.evaluate)) for f in settings.factors],
                 [(s.label, str(s.kind)) for s in ws.statuses], _calendar_parts(survey.calendar),
                 _source_digest(domain_risk, escalation_module, calendar_module, risk_module, risk_trend,
                                sys.modules[__name__])]
        return hashlib.sha256(orjson.dumps(parts, default=repr, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]

    def _path(self, key: str) -> Path:
        return kept_path(self.workspace, "risk", key)

    # -- scoring --------------------------------------------------------------------------------------
    def parts(self, today: dt.date, days: list[dt.date], *, listed: bool = False) -> tuple[Survey, list[FilePart]]:
        """Every village file's share for ``days`` (with ``listed``: today's listed children too), scoring
        only the files, or the days, not kept yet. The store is refreshed first: another operator's saves
        are in."""
        ws = self.workspace
        with self._lock:
            ws.store.refresh()
            survey = Survey(ws, today, records=[])
            key = self.context_key(survey)
            if key != self._key:
                self._key, self._files, self._saved = key, {}, {}
                self._read_disk(key)
            wanted = {d.isoformat(): d for d in days}
            iso_today = today.isoformat()
            files: dict[str, FilePart] = {}
            found, rescored = [], []
            store = ws.store
            for name, sig in store.shard_signatures().items():     # each signature before its records
                records, whole = store.shard_records(name)
                deps = self._deps(survey, records)
                part = self._files.get(name)
                if part is None or part.sig != sig or part.deps != deps:
                    part = FilePart(sig, deps)
                missing = {iso: d for iso, d in wanted.items() if iso not in part.days}
                if listed and iso_today not in part.listed:
                    missing[iso_today] = today
                if missing:
                    self._score(survey, part, records, list(missing.values()), today)
                    rescored.append(name)
                if wanted:          # the days of other trends (an earlier day, more weeks) are dropped
                    part.days = {iso: part.days[iso] for iso in wanted}
                found.append(part)
                if whole:              # a record of it held from another file: never kept
                    files[name] = part
            for part in files.values():
                part.listed = {iso_today: part.listed[iso_today]} if iso_today in part.listed else {}
            self._files = files
            self.rescored = rescored
            self._write_disk(key)
            return survey, found

    @staticmethod
    def _deps(survey: Survey, records: list[dict]) -> str:
        """A digest of the absences and cases of ``records``' children (as the survey read them)."""
        docs, cases = survey.absence_docs, survey.cases
        mine = [(i, docs.get(i), cases.get(i)) for r in records
                if (i := r["id_number"]) in docs or i in cases]
        return hashlib.blake2b(orjson.dumps(mine, default=repr), digest_size=16).hexdigest() if mine else ""

    @staticmethod
    def _score(survey: Survey, part: FilePart, records: list[dict], days: list[dt.date], today: dt.date) -> None:
        candidates = survey.classified(records)
        part.scored = len(candidates)
        for day in days:
            scored = survey.score_on(day, candidates)
            part.days[day.isoformat()] = village_levels(scored, survey.workspace.profile.district is not None)
            if day == today:
                part.listed[day.isoformat()] = ([(r, s) for r, s in scored if s.listed],
                                                frozenset(e for _r, s in scored for e in s.errors))

    # -- the copy on disk -----------------------------------------------------------------------------
    def _read_disk(self, key: str) -> None:
        files = read_kept(self._path(key), key, lambda item: FilePart(
            tuple(item["sig"]), str(item["deps"]), int(item["scored"]),
            {str(iso): {str(v): {str(lv): int(n) for lv, n in levels.items()} for v, levels in villages.items()}
             for iso, villages in item["days"].items()}))
        if files is None:
            return              # missing or damaged: scored afresh, then written again
        self._files = files
        self._saved = self._state()

    def _state(self) -> dict[str, tuple]:
        return {name: (p.sig, p.deps, tuple(sorted(p.days))) for name, p in self._files.items()}

    def _write_disk(self, key: str) -> None:
        now = self._state()
        if now == self._saved:
            return
        if write_kept(self.workspace, self._path(key), key, {
                name: {"sig": list(p.sig), "deps": p.deps, "scored": p.scored, "days": p.days}
                for name, p in self._files.items()}):
            self._saved = now


def risk_cache(workspace: Workspace) -> RiskCache:
    """The workspace's ``RiskCache`` (one per opened workspace, shared by its screens and threads)."""
    return attached(workspace, "risk", lambda: RiskCache(workspace))


def kept_overview(workspace: Workspace, today: dt.date | None = None, weeks: int = TREND_WEEKS) -> Overview:
    """What ``risk_trend.overview`` gives, scoring only the village files (or days) changed since."""
    today = today or dt.date.today()
    days = week_ends(today, weeks)
    survey, parts = risk_cache(workspace).parts(today, days)
    merged: list[tuple[str, VillageLevels]] = []
    for day in days:
        iso = day.isoformat()
        villages: VillageLevels = {}
        for part in parts:
            for village, levels in part.days[iso].items():
                mine = villages.setdefault(village, {})
                for level, n in levels.items():
                    mine[level] = mine.get(level, 0) + n
        merged.append((iso, villages))
    return overview_of(survey.settings.levels, sum(p.scored for p in parts), merged)


def kept_risk_list(workspace: Workspace, today: dt.date | None = None, *, village: str | None = None,
                   school: str | None = None, person: str | None = None, level: str | None = None,
                   town: str | None = None) -> RiskList:
    """What ``risk.risk_list`` gives, scoring only the village files changed since (today's scores of the
    children listed are kept in memory)."""
    today = today or dt.date.today()
    survey, parts = risk_cache(workspace).parts(today, [], listed=True)
    check_level(survey.settings, level)
    iso = today.isoformat()
    listed = [pair for part in parts for pair in part.listed[iso][0]]
    warnings = {w for part in parts for w in part.listed[iso][1]}
    return list_of(survey, listed, sum(p.scored for p in parts), warnings,
                   village=village, school=school, person=person, level=level, town=town)
