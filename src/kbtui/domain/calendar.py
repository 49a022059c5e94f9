"""School days: the days of the term(s) that the national calendar makes working days, with local changes.

The profile's ``[calendar]``: ``term = ["2025-09-01", "2026-01-20"]`` (or ``terms = [[start, end], …]``),
``holidays = ["2025-11-03", …]`` (county days off), ``workdays = [...]`` (weekend days with school),
``[[calendar.breaks]] name = "农忙假", from = "2025-10-20", to = "2025-10-24"`` (a run of days off), and
``national = false`` to leave the national calendar out (the profile then lists every holiday itself).

A day of a term is a school day unless the profile lists it as a holiday or in a break; a day the profile
lists as a workday is one; otherwise the national calendar decides (``NationalDays``: public holidays and
the weekend days worked in lieu, 调休上班) for the years it covers, and plain Monday–Friday for the others —
a year the national data does not cover must be listed by the profile (``unlisted_years``). Without a term
every such day counts. This module is pure: the national data are handed in (``services.school_calendar``
reads them from the ``chinese-calendar`` package).
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

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


def _list(section: dict[str, Any], key: str) -> list[Any]:
    value = section.get(key) or []
    if not isinstance(value, (list, tuple)):
        raise CalendarError(f"配置文件 [calendar] {key} 应为列表，例如 {key} = [\"2025-10-01\"]")
    return list(value)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the month's last day when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


@dataclass(frozen=True)
class NationalDays:
    """The national calendar for some ``years``: public holidays (day → name, weekends of the break included)
    and the weekend days worked in lieu (调休上班, day → the holiday they make up for)."""

    years: frozenset[int]
    holidays: Mapping[dt.date, str] = field(default_factory=dict)
    workdays: Mapping[dt.date, str] = field(default_factory=dict)
    source: str = ""                 # where the data come from (shown to operators)
    known: tuple[int, int] | None = None   # the first and last year the source knows

    def covers(self, year: int) -> bool:
        return year in self.years

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass(frozen=True)
class Break:
    """A run of local days off (农忙假 …): ``[[calendar.breaks]] name, from, to``."""

    name: str
    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


LOCAL_HOLIDAY = "县定放假"
LOCAL_WORKDAY = "县定上课"


@dataclass(frozen=True)
class SchoolCalendar:
    terms: tuple[tuple[dt.date, dt.date], ...] = ()
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()      # weekend days that are school days (调休)
    breaks: tuple[Break, ...] = ()
    national: NationalDays | None = None
    use_national: bool = True                        # ``[calendar] national = false`` turns it off

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> SchoolCalendar:
        """The profile's own lists (no national data yet: ``with_national`` adds them)."""
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
        holidays = frozenset(to_date(d) for d in _list(section, "holidays"))
        workdays = frozenset(to_date(d) for d in _list(section, "workdays"))
        breaks = []
        for n, item in enumerate(_list(section, "breaks"), 1):
            where = f"配置文件 [[calendar.breaks]] 第{n}项"
            if not isinstance(item, dict) or not item.get("from") or not item.get("to"):
                raise CalendarError(f"{where}应写明 name（名称）、from（开始日期）和 to（结束日期）")
            start, end = to_date(item["from"]), to_date(item["to"])
            if end < start:
                raise CalendarError(f"{where}：结束日期 {end} 早于开始日期 {start}")
            breaks.append(Break(str(item.get("name") or LOCAL_HOLIDAY), start, end))
        national = section.get("national", True)
        if not isinstance(national, bool):
            raise CalendarError(f"配置文件 [calendar] national 应为 true 或 false，而不是“{national}”")
        return cls(tuple(sorted(terms)), holidays, workdays, tuple(breaks), use_national=national)

    @classmethod
    def from_profile(cls, profile: Any) -> SchoolCalendar:
        return profile.settings.calendar.school

    # -- single days ---------------------------------------------------------------------------
    def in_term(self, day: dt.date) -> bool:
        return not self.terms or any(start <= day <= end for start, end in self.terms)

    def is_school_day(self, day: dt.date) -> bool:
        if not self.in_term(day) or day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.breaks and any(day in b for b in self.breaks):
            return False
        national = self.national
        if national is not None and day.year in national.years:
            return national.is_workday(day)
        return day.weekday() < 5

    def day_off_name(self, day: dt.date) -> str | None:
        """Why a day of the term is not a school day (国庆节, 农忙假, 县定放假, 周末), None for a school day."""
        if self.is_school_day(day):
            return None
        if self.national is not None and day in self.national.holidays:
            return self.national.holidays[day]
        if day in self.holidays:
            return LOCAL_HOLIDAY
        for b in self.breaks:
            if day in b:
                return b.name
        return "周末" if day.weekday() >= 5 else LOCAL_HOLIDAY

    def workday_name(self, day: dt.date) -> str | None:
        """Why a Saturday or Sunday is a school day (国庆节调休上课, 县定上课), None otherwise."""
        if day.weekday() < 5 or not self.is_school_day(day):
            return None
        if day in self.workdays:
            return LOCAL_WORKDAY
        if self.national is not None and day in self.national.workdays:
            return f"{self.national.workdays[day]}调休上课"
        return LOCAL_WORKDAY

    # -- the national calendar ---------------------------------------------------------------------
    def years(self, fallback: int | None = None) -> list[int]:
        """The years the terms touch (without a term: ``fallback`` and the year after, a school year)."""
        if self.terms:
            return sorted({y for start, end in self.terms for y in range(start.year, end.year + 1)})
        return [fallback, fallback + 1] if fallback is not None else []

    def with_national(self, national: NationalDays | None) -> SchoolCalendar:
        return replace(self, national=national) if self.use_national else self

    def listed_years(self) -> set[int]:
        """Years for which the profile lists days itself (a holiday, a workday or a break in that year)."""
        years = {d.year for d in self.holidays | self.workdays}
        for b in self.breaks:
            years.update(range(b.start.year, b.end.year + 1))
        return years

    def unlisted_years(self, fallback: int | None = None) -> list[int]:
        """Years of the terms that neither the national data nor the profile's lists cover (empty when the
        national calendar is turned off: the profile's lists are then the whole calendar)."""
        if not self.use_national:
            return []
        covered = self.national.years if self.national is not None else frozenset()
        listed = self.listed_years()
        return [y for y in self.years(fallback) if y not in covered and y not in listed]

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

