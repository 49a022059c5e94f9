"""Campaigns and their phases: where a campaign is on a given day, days left, what is overdue.

Pure functions: "now" is always passed in (a date means the start of that day is not assumed: a
phase ending on a day is still current during that whole day, since phase ends carry a time, 23:59
unless the profile gives one such as 18:00).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DONE = "done"           # deadline passed
CURRENT = "current"     # the earliest phase whose deadline has not passed
UPCOMING = "upcoming"
STATE_LABELS = {DONE: "已过期限", CURRENT: "进行中", UPCOMING: "未开始"}

# Words that name the door-to-door visiting phase when the profile does not say which one it is.
VISIT_PHASE_WORDS = ("入户", "走访", "排查", "调查", "摸底", "登记")


@dataclass(frozen=True)
class Phase:
    name: str
    end: dt.datetime
    start: dt.date | None = None


def parse_deadline(text: Any, year: int) -> dt.datetime:
    """2024-09-06, 2024-09-06 18:00, 09-06 (in ``year``) or a TOML date; a day without a time ends at
    23:59. Raises ValueError."""
    if isinstance(text, dt.datetime):
        return text
    if isinstance(text, dt.date):
        return dt.datetime.combine(text, dt.time(23, 59))
    raw = str(text).strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%m-%d %H:%M", "%m-%d"):
        try:
            parsed = dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if "%Y" not in fmt:
            parsed = parsed.replace(year=year)
        if "%H" not in fmt:
            parsed = parsed.replace(hour=23, minute=59)
        return parsed
    raise ValueError(raw)


@dataclass(frozen=True)
class Campaign:
    """One campaign of a data folder (a term, a year): its id, title, year and phases."""

    id: str
    title: str
    year: int
    phases: tuple[Phase, ...] = ()
    visit_phase: str | None = None      # name of the phase whose deadline visit tasks have
    extra: dict[str, Any] = field(default_factory=dict)

    def as_doc(self) -> dict[str, Any]:
        return {
            "key": self.id, "title": self.title, "year": self.year, "visit_phase": self.visit_phase,
            "phases": [phase_to_dict(p) for p in self.phases], **self.extra,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Campaign:
        known = {"key", "title", "year", "visit_phase", "phases"}
        return cls(
            id=str(doc["key"]), title=str(doc.get("title") or doc["key"]), year=int(doc.get("year") or 0),
            phases=tuple(phase_from_dict(p) for p in doc.get("phases") or ()),
            visit_phase=doc.get("visit_phase"),
            extra={k: v for k, v in doc.items() if k not in known and not k.startswith("_")},
        )


def phase_to_dict(phase: Phase) -> dict[str, str]:
    out = {"name": phase.name, "end": phase.end.isoformat(timespec="minutes")}
    if phase.start:
        out["start"] = phase.start.isoformat()
    return out


def phase_from_dict(data: dict[str, Any]) -> Phase:
    start = data.get("start")
    return Phase(str(data["name"]), dt.datetime.fromisoformat(str(data["end"])),
                 dt.date.fromisoformat(str(start)) if start else None)


def as_datetime(now: dt.date | dt.datetime) -> dt.datetime:
    """A date means "some time during that day": its start, so a deadline that day has not passed."""
    if isinstance(now, dt.datetime):
        return now
    return dt.datetime.combine(now, dt.time(0, 0))


def days_between(day: dt.date, deadline: dt.datetime) -> int:
    """Whole calendar days from ``day`` to the deadline's day (0 = due today, negative = overdue)."""
    return (deadline.date() - day).days


@dataclass(frozen=True)
class PhaseStatus:
    name: str
    start: dt.date | None
    end: dt.datetime
    state: str                 # DONE / CURRENT / UPCOMING
    days_left: int             # calendar days to the deadline; negative once passed

    @property
    def overdue(self) -> bool:
        return self.state == DONE

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat(timespec="minutes"), "state": self.state,
                "state_label": STATE_LABELS[self.state], "days_left": self.days_left}


def phase_statuses(phases: Sequence[Phase], now: dt.date | dt.datetime) -> list[PhaseStatus]:
    """Every phase with its state on ``now``, in deadline order; exactly one is CURRENT until all passed.

    Phases may overlap (双山: 上门入户排查 and 梳理建立台账 both end 9/20): all phases whose deadline has
    not passed and that have started (or have no start) and share the earliest open deadline are current.
    """
    moment = as_datetime(now)
    ordered = sorted(phases, key=lambda p: p.end)
    open_phases = [p for p in ordered if p.end >= moment]
    current_end = open_phases[0].end if open_phases else None
    result = []
    for phase in ordered:
        if phase.end < moment:
            state = DONE
        elif phase.end == current_end or (phase.start is not None and phase.start <= moment.date()):
            state = CURRENT
        else:
            state = UPCOMING
        result.append(PhaseStatus(phase.name, phase.start, phase.end, state, days_between(moment.date(), phase.end)))
    return result


def current_phase(phases: Sequence[Phase], now: dt.date | dt.datetime) -> PhaseStatus | None:
    """The phase being worked on: the earliest not yet past its deadline (None when all are over)."""
    return next((s for s in phase_statuses(phases, now) if s.state == CURRENT), None)


def overdue_phases(phases: Sequence[Phase], now: dt.date | dt.datetime) -> list[PhaseStatus]:
    return [s for s in phase_statuses(phases, now) if s.state == DONE]


def find_phase(phases: Iterable[Phase], name: str | None) -> Phase | None:
    if not name:
        return None
    return next((p for p in phases if p.name == name), None)


def visit_phase(campaign: Campaign) -> Phase | None:
    """The phase by whose deadline every door-to-door visit is due.

    The campaign names it (profile ``[campaign] visit_phase``); otherwise the first phase whose name
    speaks of visiting or surveying; otherwise the last phase.
    """
    named = find_phase(campaign.phases, campaign.visit_phase)
    if named:
        return named
    ordered = sorted(campaign.phases, key=lambda p: p.end)
    for word in VISIT_PHASE_WORDS:
        hit = next((p for p in ordered if word in p.name), None)
        if hit:
            return hit
    return ordered[-1] if ordered else None


def visit_deadline(campaign: Campaign) -> dt.datetime | None:
    phase = visit_phase(campaign)
    return phase.end if phase else None


def is_late(due: dt.datetime | dt.date | None, now: dt.date | dt.datetime) -> bool:
    """A deadline has passed (a date deadline lasts the whole day)."""
    if due is None:
        return False
    if not isinstance(due, dt.datetime):
        due = dt.datetime.combine(due, dt.time(23, 59))
    return as_datetime(now) > due


def parse_phase_arg(text: str, year: int) -> Phase:
    """``名称=2025-03-31`` or ``名称=2025-03-01..2025-03-31`` (CLI and forms). Raises ValueError (Chinese)."""
    name, sep, when = text.partition("=")
    name, when = name.strip(), when.strip()
    if not sep or not name or not when:
        raise ValueError(f"阶段“{text}”应写成 名称=截止日期，例如 入户排查=2025-03-20")
    start_text, dots, end_text = when.partition("..")
    if not dots:
        start_text, end_text = "", when
    try:
        end = parse_deadline(end_text, year)
        start = parse_deadline(start_text, year).date() if start_text else None
    except ValueError:
        raise ValueError(f"阶段“{text}”的日期看不懂，请写成 2025-03-20 或 2025-03-20 18:00") from None
    return Phase(name, end, start)


