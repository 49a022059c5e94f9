"""School days: weekdays of the term(s) minus the holidays a profile lists.

``[calendar] term = ["2025-09-01", "2026-01-20"]`` (or ``terms = [[start, end], …]``) and
``[calendar] holidays = ["2025-10-01", …]``. Without a term every weekday that is not a holiday is a
school day. Extra working days (调休上课) can be listed as ``[calendar] workdays = [...]``.
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

# How far ahead we look for a school day when no term bounds the calendar.
HORIZON_DAYS = 800


class CalendarError(ValueError):
    """A calendar section that cannot be used; the message is Chinese."""


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarError(f"日期“{value}”看不懂，请写成 2025-09-01") from None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the month's last day when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


@dataclass(frozen=True)
class SchoolCalendar:
    terms: tuple[tuple[dt.date, dt.date], ...] = ()
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()      # weekend days that are school days (调休)

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> "SchoolCalendar":
        terms: list[tuple[dt.date, dt.date]] = []
        raw_terms = section.get("terms")
        if raw_terms is None and section.get("term") is not None:
            raw_terms = [section["term"]]
        for term in raw_terms or []:
            if not isinstance(term, (list, tuple)) or len(term) != 2:
                raise CalendarError("配置文件 [calendar] term 应为 [开学日期, 结束日期]")
            start, end = to_date(term[0]), to_date(term[1])
            if end < start:
                raise CalendarError(f"配置文件 [calendar] 学期 {start} 至 {end}：结束日期早于开学日期")
            terms.append((start, end))
        holidays = frozenset(to_date(d) for d in section.get("holidays", []) or [])
        workdays = frozenset(to_date(d) for d in section.get("workdays", []) or [])
        return cls(tuple(sorted(terms)), holidays, workdays)

    @classmethod
    def from_profile(cls, profile: Any) -> "SchoolCalendar":
        return cls.from_section(profile.section("calendar"))

    # -- single days ---------------------------------------------------------------------------
    def in_term(self, day: dt.date) -> bool:
        return not self.terms or any(start <= day <= end for start, end in self.terms)

    def is_school_day(self, day: dt.date) -> bool:
        if not self.in_term(day) or day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.workdays

    # -- ranges --------------------------------------------------------------------------------
    def _end(self, start: dt.date) -> dt.date:
        if self.terms:
            return max(end for _s, end in self.terms)
        return start + dt.timedelta(days=HORIZON_DAYS)

    def school_days(self, start: dt.date, end: dt.date | None = None) -> Iterable[dt.date]:
        """School days from ``start`` to ``end`` inclusive (to the calendar's end when None)."""
        last = end if end is not None else self._end(start)
        day = start
        one = dt.timedelta(days=1)
        while day <= last:
            if self.is_school_day(day):
                yield day
            day += one

    def count(self, start: dt.date, end: dt.date) -> int:
        """How many school days lie in [start, end]."""
        return sum(1 for _ in self.school_days(start, end))

    def nth_school_day(self, start: dt.date, n: int) -> dt.date | None:
        """The ``n``-th school day counting ``start`` itself if it is one (n ≥ 1); None past the calendar."""
        if n < 1:
            raise ValueError("n must be ≥ 1")
        for i, day in enumerate(self.school_days(start), 1):
            if i == n:
                return day
        return None

    def next_school_day(self, after: dt.date) -> dt.date | None:
        """The first school day strictly after ``after``."""
        return self.nth_school_day(after + dt.timedelta(days=1), 1)

    def previous_school_day(self, before: dt.date) -> dt.date | None:
        """The last school day strictly before ``before`` (within a year), or None."""
        day = before - dt.timedelta(days=1)
        for _ in range(370):
            if self.is_school_day(day):
                return day
            day -= dt.timedelta(days=1)
        return None

