"""Escalation arithmetic: ladders of rungs, absence episodes, and when each rung is reached.

A ladder is data a plugin registers (``kbtui_register_ladders``): rungs with a threshold, the action,
the responsible role, the days allowed to act, what happens when the action fails, and optionally the
situation the rung marks (疑似辍学 / 辍学) and whether it opens a case (一生一案).

Counting rules (issue 6):
- school days are the calendar's school days (weekdays of the term minus holidays); a rung of N school
  days is reached on the N-th school day of absence;
- hours count as school days of 24 hours (48 hours → the 2nd school day);
- calendar days: a rung of N days is reached on the N-th calendar day of absence;
- months: reached one (or M) calendar months after the first day of absence;
- excused days (leave with approval) do not count; a child who has returned climbs no further.

Absence ladders count from the first unexcused day of an episode; ``refusal`` ladders (the legal steps)
count from the day the guardian's refusal was recorded on the case, until the child returns; ``finding``
ladders from the day a visit (or a ledger, or an edit) found the child 失学 / 疑似辍学 / 辍学, while the
child has no case yet (their rung opens it: 一生一案).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kbtui.domain.calendar import SchoolCalendar, add_months, to_date

SUSPECTED = "疑似辍学"
DROPOUT = "辍学"
RETURNED = "劝返复学"
# A mark never downgrades: 辍学 is more serious than 疑似辍学.
MARK_SEVERITY = {SUSPECTED: 1, DROPOUT: 2}

ABSENCE = "absence"     # ladder trigger: the absence episode
REFUSAL = "refusal"     # ladder trigger: the guardian refused (recorded on the case)
FINDING = "finding"     # ladder trigger: the child was found in a problem situation, with no case yet
TRIGGERS = (ABSENCE, REFUSAL, FINDING)

SUPPORT_KINDS: tuple[str, ...] = ("学业辅导", "心理疏导", "资助帮扶", "家校共育")

CASE_OPEN = "open"
CASE_RETURNED = "returned"
CASE_CLOSED = "closed"
CASE_STATUS_LABELS = {CASE_OPEN: "劝返中", CASE_RETURNED: "已劝返复学", CASE_CLOSED: "已销号"}


class Unit(str, Enum):
    SCHOOL_DAYS = "school_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MONTHS = "months"


UNIT_LABELS = {Unit.SCHOOL_DAYS: "个上课日", Unit.CALENDAR_DAYS: "天", Unit.HOURS: "小时",
               Unit.MONTHS: "个月"}


@dataclass(frozen=True)
class Threshold:
    value: int
    unit: Unit = Unit.SCHOOL_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", Unit(self.unit))
        if not isinstance(self.value, int) or self.value < 1:
            raise ValueError(f"门槛值应为正整数，而不是“{self.value}”")

    @property
    def label(self) -> str:
        return f"{self.value}{UNIT_LABELS[self.unit]}"

    @property
    def school_days(self) -> int | None:
        """The school-day count for school-day and hour thresholds (hours: days of 24 h)."""
        if self.unit is Unit.SCHOOL_DAYS:
            return self.value
        if self.unit is Unit.HOURS:
            return math.ceil(self.value / 24)
        return None


@dataclass(frozen=True)
class Rung:
    id: str
    label: str                      # short Chinese name, e.g. "班主任3日"
    threshold: Threshold
    action: str                     # what must be done (Chinese)
    role: str                       # 班主任, 校长, 镇政府, 县教育局, 司法所 …
    deadline_days: int = 0          # days after the rung is reached to act
    on_fail: str = ""               # id of the next rung, or what happens (Chinese)
    marks: str | None = None        # situation to set when reached (疑似辍学 / 辍学)
    opens_case: bool = False        # opens the child's case (一生一案) when reached
    document: str | None = None     # title of the document this step produces (legal steps)
    notice_days: int = 0            # deadline written into the document (限期 N 日)


@dataclass(frozen=True)
class Ladder:
    id: str
    title: str
    rungs: tuple[Rung, ...]
    description: str = ""
    trigger: str = ABSENCE          # ABSENCE, REFUSAL or FINDING
    source: str = ""                # where the rule comes from (seed, law)

    def __post_init__(self) -> None:
        ids = [r.id for r in self.rungs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"劝返流程“{self.id}”中有重复的步骤编号")
        if self.trigger not in TRIGGERS:
            raise ValueError(f"劝返流程“{self.id}”的 trigger 应为 absence、refusal 或 finding")

    def rung(self, rung_id: str) -> Rung:
        for rung in self.rungs:
            if rung.id == rung_id:
                return rung
        names = "、".join(r.id for r in self.rungs)
        raise KeyError(f"劝返流程“{self.id}”中没有步骤“{rung_id}”，现有：{names}")

    def has_rung(self, rung_id: str) -> bool:
        return any(r.id == rung_id for r in self.rungs)

    def with_rung(self, rung: Rung, after: str | None = None) -> Ladder:
        """A copy with ``rung`` replacing the rung of the same id, or inserted (after ``after``, or last)."""
        rungs = list(self.rungs)
        for i, old in enumerate(rungs):
            if old.id == rung.id:
                rungs[i] = rung
                return dataclasses.replace(self, rungs=tuple(rungs))
        index = len(rungs) if after is None else [r.id for r in rungs].index(after) + 1
        rungs.insert(index, rung)
        return dataclasses.replace(self, rungs=tuple(rungs))

    def without_rung(self, rung_id: str) -> Ladder:
        self.rung(rung_id)
        return dataclasses.replace(self, rungs=tuple(r for r in self.rungs if r.id != rung_id))

    def reached(self, episode: Episode) -> list[Reached]:
        """Every rung the episode reaches (possibly after today), in date then ladder order."""
        found = []
        for order, rung in enumerate(self.rungs):
            day = episode.reach_date(rung.threshold)
            if day is not None:
                found.append(Reached(self, rung, day, order))
        return sorted(found, key=lambda r: (r.date, r.order))

    def reached_by(self, episode: Episode, on: dt.date) -> list[Reached]:
        return [r for r in self.reached(episode) if r.date <= on]


@dataclass(frozen=True)
class Reached:
    ladder: Ladder
    rung: Rung
    date: dt.date
    order: int = 0

    @property
    def due(self) -> dt.date:
        return self.date + dt.timedelta(days=self.rung.deadline_days)


# --------------------------------------------------------------------------- absences and episodes

@dataclass(frozen=True)
class Span:
    """One recorded absence: its first day, its last absent day (None: not back yet), excused or not."""
    start: dt.date
    last: dt.date | None
    excused: bool = False
    key: str = ""


def span_of(doc: Mapping[str, Any], calendar: SchoolCalendar) -> Span | None:
    """The span an absence document describes (see services.escalation.absences); None if it covers no day.

    ``days`` (or ``hours``, as days of 24 h) is an absence of known length; ``until`` its last day;
    ``returned_on`` the first day back; none of them: still absent.
    """
    start = to_date(doc["start"])
    last: dt.date | None = None
    known = False
    days = doc.get("days")
    if not days and doc.get("hours"):
        days = math.ceil(int(doc["hours"]) / 24)
    if days:
        known = True
        last = calendar.nth_school_day(start, int(days))
        if last is None:       # runs past the calendar: up to its end
            days_list = list(calendar.school_days(start))
            last = days_list[-1] if days_list else start
    if doc.get("until"):
        until = to_date(doc["until"])
        last = until if last is None else min(last, until)
        known = True
    if doc.get("returned_on"):
        back = to_date(doc["returned_on"]) - dt.timedelta(days=1)
        last = back if last is None else min(last, back)
        known = True
    if known and last is not None and last < start:
        return None
    return Span(start, last if known else None, bool(doc.get("excused")), str(doc.get("key", "")))


@dataclass(frozen=True)
class Episode:
    """A run of consecutive school days of absence (excused days included, but not counted)."""
    first: dt.date                          # first absent school day (excused or not)
    last: dt.date | None                    # last absent school day; None while the child is still away
    counted: tuple[dt.date, ...]            # unexcused school days, in order (to the calendar's end if open)
    returned_on: dt.date | None             # first school day back (None while away)
    keys: tuple[str, ...] = ()              # absence documents forming the episode
    origin: dt.date | None = None           # calendar rungs count from here (refusal date) if set

    @property
    def is_open(self) -> bool:
        return self.returned_on is None

    @property
    def start(self) -> dt.date | None:
        """First unexcused day: the day the counting starts."""
        return self.counted[0] if self.counted else None

    def away_on(self, day: dt.date) -> bool:
        """Still absent on ``day`` (started and not back yet)."""
        return self.first <= day and (self.returned_on is None or day < self.returned_on)

    def counted_until(self, day: dt.date) -> int:
        return sum(1 for d in self.counted if d <= day)

    def reach_date(self, threshold: Threshold) -> dt.date | None:
        start = self.start
        if start is None:
            return None
        n = threshold.school_days
        if n is not None:
            return self.counted[n - 1] if len(self.counted) >= n else None
        start = self.origin or start
        if threshold.unit is Unit.CALENDAR_DAYS:
            day = start + dt.timedelta(days=threshold.value - 1)
        else:
            day = add_months(start, threshold.value)
        if self.returned_on is not None and day >= self.returned_on:
            return None
        return day


def episodes(spans: Iterable[Span], calendar: SchoolCalendar) -> list[Episode]:
    """Merge a child's recorded absences into episodes of consecutive school days."""
    spans = list(spans)
    days: dict[dt.date, bool] = {}          # day -> excused (leave with approval wins over an absence)
    open_days: set[dt.date] = set()
    keys_of: dict[dt.date, set[str]] = {}
    for span in spans:
        covered = list(calendar.school_days(span.start, span.last))
        for day in covered:
            days[day] = days.get(day, False) or span.excused
            keys_of.setdefault(day, set()).add(span.key)
        if span.last is None:
            open_days.update(covered)
            if not covered:          # absent from a day after the calendar's last school day
                continue
    result: list[Episode] = []
    ordered = sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and calendar.next_school_day(ordered[j]) == ordered[j + 1]:
            j += 1
        run = ordered[i:j + 1]
        last = run[-1]
        still_away = last in open_days
        keys = sorted({k for d in run for k in keys_of[d] if k})
        counted = tuple(d for d in run if not days[d])
        if still_away:
            result.append(Episode(run[0], None, counted, None, tuple(keys)))
        else:
            back = calendar.next_school_day(last) or last + dt.timedelta(days=1)
            result.append(Episode(run[0], last, counted, back, tuple(keys)))
        i = j + 1
    return result


def episode_on(episodes_: list[Episode], on: dt.date) -> Episode | None:
    """The episode the child is in on ``on`` (absent and not yet back), or None."""
    for episode in episodes_:
        if episode.away_on(on):
            return episode
    return None


def dated_episode(calendar: SchoolCalendar, since: dt.date, returned_on: dt.date | None) -> Episode:
    """The clock of a refusal or finding ladder: every day from ``since`` (the refusal, the finding) until
    the child is back."""
    last = None if returned_on is None else returned_on - dt.timedelta(days=1)
    counted = tuple(calendar.school_days(since, last)) or (since,)
    return Episode(since, last, counted, returned_on, origin=since)


refusal_episode = dated_episode       # its first name (plugins may use it)


def stronger_mark(current: str | None, new: str) -> bool:
    """Whether marking ``new`` changes a child whose situation is ``current``."""
    return MARK_SEVERITY.get(new, 0) > MARK_SEVERITY.get(current or "", 0)


# --------------------------------------------------------------------------- due actions

@dataclass(frozen=True)
class DueAction:
    id_number: str
    name: str
    ladder: str
    ladder_title: str
    rung: str
    rung_label: str
    action: str
    role: str
    person: str
    reached: dt.date
    due: dt.date
    overdue: bool
    case: str | None = None
    episode: str = ""          # first day of the episode (or of the refusal) the action belongs to

    def as_dict(self) -> dict[str, Any]:
        return {"id_number": self.id_number, "name": self.name, "ladder": self.ladder,
                "ladder_title": self.ladder_title, "rung": self.rung, "rung_label": self.rung_label,
                "action": self.action, "role": self.role, "person": self.person,
                "reached": self.reached.isoformat(), "due": self.due.isoformat(), "overdue": self.overdue,
                "case": self.case, "episode": self.episode}


def action_key(id_number: str, ladder: str, rung: str, episode: str) -> str:
    """Stable key of one rung's action for one episode (so recording it twice is refused)."""
    return f"{id_number}-{ladder}-{rung}-{episode}"
