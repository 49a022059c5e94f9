"""Home delivery (送教上门): the profile's frequency rule, the school calendar, and how the sessions
delivered compare with the rule, term by term."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kbtui.domain.disability_info import DisabilityError

#: The store collection of home-delivery sessions: {id_number, placement (key), date, teacher, periods, content}.
SESSIONS_COLLECTION = "delivery_sessions"


@dataclass(frozen=True)
class FrequencyRule:
    """``per_week`` sessions of at least ``periods`` periods each; optionally ``per_term_hours``
    periods (课时) in a whole term, pro-rated by the teaching weeks that have passed."""

    per_week: int = 0
    periods: int = 0
    per_term_hours: int = 0

    @classmethod
    def from_profile(cls, section: Mapping[str, Any]) -> FrequencyRule | None:
        """From ``[disability] home_delivery = { per_week = 2, periods = 3, per_term_hours = … }``."""
        raw = section.get("home_delivery")
        if not isinstance(raw, Mapping):
            return None
        values = {}
        for key in ("per_week", "periods", "per_term_hours"):
            value = raw.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise DisabilityError(f"配置文件 [disability] home_delivery 的 {key}“{value}”应为非负整数")
            values[key] = value
        rule = cls(**values)
        return rule if rule.per_week or rule.per_term_hours else None

    def describe(self) -> str:
        parts = []
        if self.per_week:
            parts.append(f"每周{self.per_week}次" + (f"、每次{self.periods}课时" if self.periods else ""))
        if self.per_term_hours:
            parts.append(f"每学期{self.per_term_hours}课时")
        return "，".join(parts) or "未规定"


@dataclass(frozen=True)
class Calendar:
    """School terms (inclusive date ranges) and holidays, from ``[calendar]`` of the profile:
    ``term = [start, end]`` (one term) and/or ``terms = [[start, end], …]``; ``holidays = [dates]``."""

    terms: tuple[tuple[dt.date, dt.date], ...] = ()
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_profile(cls, section: Mapping[str, Any]) -> Calendar:
        raw_terms = list(section.get("terms") or [])
        if section.get("term"):
            raw_terms.append(section["term"])
        terms = []
        for pair in raw_terms:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise DisabilityError(f"配置文件 [calendar] 学期“{pair}”应写成 [开始日期, 结束日期]")
            start, end = (_as_date(v, "[calendar] term") for v in pair)
            if end < start:
                raise DisabilityError(f"配置文件 [calendar] 学期 {start} 至 {end}：结束日期早于开始日期")
            terms.append((start, end))
        holidays = frozenset(_as_date(v, "[calendar] holidays") for v in section.get("holidays") or [])
        return cls(tuple(sorted(set(terms))), holidays)

    def term_of(self, day: dt.date) -> tuple[dt.date, dt.date] | None:
        for term in self.terms:
            if term[0] <= day <= term[1]:
                return term
        return None

    def school_days(self, monday: dt.date) -> int:
        """Weekdays of the week beginning ``monday`` that are not holidays."""
        return sum(1 for i in range(5) if monday + dt.timedelta(days=i) not in self.holidays)

    def teaching_weeks(self, start: dt.date, term_end: dt.date, on: dt.date | None = None) -> list[dt.date]:
        """Mondays of the whole weeks that are due: the week begins on or after ``start``, its Friday is
        within the term (``term_end``), it has ended by ``on`` (its Sunday, or the term's last day if
        earlier, ≤ ``on``; no limit when None), and at least one of its weekdays is not a holiday."""
        monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        weeks = []
        while monday + dt.timedelta(days=4) <= term_end:
            if on is not None and min(monday + dt.timedelta(days=6), term_end) > on:
                break
            if self.school_days(monday):
                weeks.append(monday)
            monday += dt.timedelta(days=7)
        return weeks


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DisabilityError(f"配置文件 {where} 的日期“{value}”应写成 2024-09-01") from None


@dataclass(frozen=True)
class TermResult:
    """Delivery against the rule within one term, counted up to ``until``."""

    term: tuple[dt.date, dt.date]
    until: dt.date
    weeks: int                   # whole teaching weeks since the plan start (or the term start)
    term_weeks: int              # teaching weeks of the whole term from the same start
    expected_sessions: int
    expected_periods: int
    sessions: int
    periods: int
    short_sessions: int          # sessions with fewer periods than the rule asks

    @property
    def behind(self) -> bool:
        return self.sessions < self.expected_sessions or self.periods < self.expected_periods

    @property
    def missing_sessions(self) -> int:
        return max(0, self.expected_sessions - self.sessions)

    @property
    def missing_periods(self) -> int:
        return max(0, self.expected_periods - self.periods)

    def describe(self) -> str:
        text = (f"{self.term[0]}至{self.term[1]}学期，截至{self.until}共{self.weeks}个教学周："
                f"应送{self.expected_sessions}次{self.expected_periods}课时，"
                f"实送{self.sessions}次{self.periods}课时")
        if self.behind:
            lacks = []
            if self.missing_sessions:
                lacks.append(f"{self.missing_sessions}次")
            if self.missing_periods:
                lacks.append(f"{self.missing_periods}课时")
            text += f"，少{'、'.join(lacks)}"
        if self.short_sessions:
            text += f"（其中{self.short_sessions}次课时不足）"
        return text

    def as_dict(self) -> dict:
        return {"term": [self.term[0].isoformat(), self.term[1].isoformat()], "until": self.until.isoformat(),
                "weeks": self.weeks, "term_weeks": self.term_weeks,
                "expected_sessions": self.expected_sessions, "expected_periods": self.expected_periods,
                "sessions": self.sessions, "periods": self.periods, "short_sessions": self.short_sessions,
                "behind": self.behind}


def _session_date(session: Mapping[str, Any]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(session.get("date")))
    except ValueError:
        return None


def delivery_by_term(rule: FrequencyRule, calendar: Calendar, plan_start: dt.date,
                     sessions: Iterable[Mapping[str, Any]], on: dt.date) -> list[TermResult]:
    """How delivered sessions compare with the rule, term by term, from the plan start up to ``on``.

    - Only whole Monday–Sunday weeks are due: beginning on or after the later of the plan start and the
      term start, with their Friday inside the term, ended (Sunday) by ``on``; a week whose weekdays are
      all holidays is not due. Weeks outside every term (vacations) are never due.
    - Sessions count in the term whose dates contain them (any day of that term from the plan start,
      including part weeks and weekends); a session outside the terms counts for nothing.
    - Expected: ``per_week`` × weeks sessions and at least ``periods`` periods each; with
      ``per_term_hours``, also ``per_term_hours`` × weeks / teaching weeks of the term (rounded down).
      Totals are cumulative within a term: a missed week can be made up later in the same term,
      never with another term's sessions.
    """
    dated = [(d, s) for s in sessions if (d := _session_date(s)) is not None]
    results = []
    for term in calendar.terms:
        start = max(plan_start, term[0])
        until = min(on, term[1])
        if start > until:
            continue
        weeks = len(calendar.teaching_weeks(start, term[1], on))
        term_weeks = len(calendar.teaching_weeks(start, term[1]))
        expected_sessions = rule.per_week * weeks
        expected_periods = expected_sessions * rule.periods
        if rule.per_term_hours and term_weeks:
            expected_periods = max(expected_periods, math.floor(rule.per_term_hours * weeks / term_weeks))
        inside = [s for d, s in dated if start <= d <= until]
        periods = [int(s.get("periods") or 0) for s in inside]
        results.append(TermResult(
            term=term, until=until, weeks=weeks, term_weeks=term_weeks,
            expected_sessions=expected_sessions, expected_periods=expected_periods,
            sessions=len(inside), periods=sum(periods),
            short_sessions=sum(1 for p in periods if rule.periods and p < rule.periods)))
    return results


def current_term_result(results: Sequence[TermResult], on: dt.date) -> TermResult | None:
    """The term that contains ``on``, else the latest term that ended before it (its final count)."""
    for result in results:
        if result.term[0] <= on <= result.term[1]:
            return result
    ended = [r for r in results if r.term[1] < on]
    return ended[-1] if ended else None


__all__ = ["SESSIONS_COLLECTION", "Calendar", "FrequencyRule", "TermResult", "current_term_result",
           "delivery_by_term"]
