"""The workspace's school calendar: the profile's terms and local days over the national calendar.

The national calendar (public holidays and the weekend days worked in lieu, 调休) comes from the maintained
``chinese-calendar`` package (PyPI ``chinesecalendar``), read here once per year and handed to the pure
``domain.calendar.SchoolCalendar``. A year the package does not know (it raises NotImplementedError) must be
listed by the profile; ``calendar_of`` says so in Chinese. ``term_months`` lays a term out month by month for
``kbtui calendar show`` and the 校历 screen.
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kbtui.domain.calendar import CalendarError, NationalDays, SchoolCalendar

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

PACKAGE = "chinesecalendar"

# chinese-calendar names its holidays in English; operators read Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
WEEKDAYS = "一二三四五六日"


@functools.lru_cache(maxsize=1)
def _package() -> tuple[Any, str]:
    import chinese_calendar  # heavy: imported where used

    version = getattr(chinese_calendar, "__version__", "")
    return chinese_calendar, f"{PACKAGE} {version}".strip()


@functools.lru_cache(maxsize=64)
def _year(year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]] | None:
    """(holidays, in-lieu workdays) of one year, names in Chinese; None when the package has no data."""
    package, _source = _package()
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    day = dt.date(year, 1, 1)
    try:
        while day.year == year:
            off, name = package.get_holiday_detail(day)
            label = HOLIDAY_NAMES.get(name, name) if name else None
            if off and label:                       # a named holiday (plain weekends have no name)
                holidays[day] = label
            elif not off and day.weekday() >= 5:    # a weekend day worked in lieu of a holiday
                workdays[day] = label or "调休"
            day += dt.timedelta(days=1)
    except NotImplementedError:
        return None
    return holidays, workdays


def known_years() -> tuple[int, int] | None:
    """The first and last year the package has data for (from its own constants), or None."""
    package, _source = _package()
    found = sorted({d.year for d in getattr(package, "holidays", {})})
    return (found[0], found[-1]) if found else None


def national_days(years: Iterable[int]) -> NationalDays:
    """The national calendar for ``years``; a year the package does not know is left out of ``years``."""
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    covered = set()
    for year in sorted(set(years)):
        data = _year(year)
        if data is None:
            continue
        covered.add(year)
        holidays.update(data[0])
        workdays.update(data[1])
    return NationalDays(frozenset(covered), holidays, workdays, _package()[1], known_years())


def unlisted_message(years: list[int], national: NationalDays | None) -> str:
    known = national.known if national is not None else None
    span = f"，只有{known[0]}—{known[1]}年的数据" if known else ""
    source = national.source if national is not None and national.source else PACKAGE
    shown = "、".join(f"{y}年" for y in years)
    example = years[0]
    return (f"{shown}的放假和调休安排不在内置的国家节假日数据中（{source}{span}）。请按县教育局的校历通知，"
            f"在配置文件 [calendar] 中列出{shown}的放假日（holidays，周末也可列入，例如 "
            f"holidays = [\"{example}-01-01\", …]）和调休上课日（workdays）；列出后该年按配置文件计算上课日。"
            f"也可更新 chinesecalendar 包（pip install -U chinesecalendar）")


def build(section: dict[str, Any], fallback_year: int | None = None) -> SchoolCalendar:
    """The calendar of a ``[calendar]`` section with the national data of its years; raises CalendarError
    (Chinese) for a year neither the national data nor the section covers."""
    return with_national(SchoolCalendar.from_section(section), fallback_year)


def with_national(calendar: SchoolCalendar, fallback_year: int | None = None) -> SchoolCalendar:
    """A profile's own calendar with the national data of its years added (when it uses them)."""
    if not calendar.use_national:
        return calendar
    calendar = calendar.with_national(national_days(calendar.years(fallback_year)))
    missing = calendar.unlisted_years(fallback_year)
    if missing:
        raise CalendarError(unlisted_message(missing, calendar.national))
    return calendar


def calendar_of(workspace: Workspace) -> SchoolCalendar:
    """The workspace's school calendar (the profile's ``[calendar]`` over the national calendar)."""
    profile = workspace.profile
    return with_national(profile.settings.calendar.school, profile.year)


# --------------------------------------------------------------------------- month by month

@dataclass(frozen=True)
class Day:
    date: dt.date
    school: bool
    note: str = ""          # why a weekday is off (国庆节 …) or a weekend day is a school day (调休上课)


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    weeks: list[list[Day | None]]       # Monday-first weeks; None outside the month or the term
    school_days: int

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


def term_of(calendar: SchoolCalendar, on: dt.date | None = None, index: int | None = None
            ) -> tuple[dt.date, dt.date]:
    """The term numbered ``index`` (1-based), else the one containing ``on`` (or the next one, or the last)."""
    if not calendar.terms:
        raise CalendarError("配置文件 [calendar] 没有写学期（term = [开学日期, 结束日期]），无法列出校历")
    if index is not None:
        if not 1 <= index <= len(calendar.terms):
            raise CalendarError(f"没有第{index}个学期：配置文件 [calendar] 共写了{len(calendar.terms)}个学期")
        return calendar.terms[index - 1]
    on = on or dt.date.today()
    for start, end in calendar.terms:
        if on <= end:
            return start, end
    return calendar.terms[-1]


def term_months(calendar: SchoolCalendar, term: tuple[dt.date, dt.date]) -> list[Month]:
    start, end = term
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        weeks = []
        count = 0
        for week in _cal.Calendar().monthdatescalendar(year, month):
            row: list[Day | None] = []
            for day in week:
                if day.month != month or not start <= day <= end:
                    row.append(None)
                    continue
                school = calendar.is_school_day(day)
                count += school
                note = (calendar.workday_name(day) if school else
                        (calendar.day_off_name(day) if day.weekday() < 5 or day in calendar.holidays else "")) or ""
                row.append(Day(day, school, "" if note == "周末" else note))
            if any(row):
                weeks.append(row)
        months.append(Month(year, month, weeks, count))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


LEGEND = "数字＝上课日　(数字)＝工作日放假　数字*＝周末上课（调休）　·＝周末"


def month_lines(month: Month) -> list[str]:
    """A month as text, Monday first, four cells a day (see ``LEGEND``)."""
    lines = [f"{month.label}　上课{month.school_days}天", "".join(f"  {d}" for d in WEEKDAYS)]
    for week in month.weeks:
        cells = []
        for day in week:
            if day is None:
                cells.append("    ")
                continue
            n = day.date.day
            weekend = day.date.weekday() >= 5
            if day.school:
                cells.append(f"{n:>3}" + ("*" if weekend else " "))
            elif weekend and not day.note:
                cells.append("   ·")
            else:
                cells.append(f"({n})".rjust(4))
        lines.append("".join(cells).rstrip())
    return lines


def changes_of(months: list[Month]) -> list[str]:
    """The days that are not plain Monday–Friday school days, with their reason (one line each)."""
    lines = []
    for month in months:
        for week in month.weeks:
            for day in week:
                if day is None or not day.note:
                    continue
                what = "上课" if day.school else "放假"
                lines.append(f"{day.date:%m-%d}（星期{WEEKDAYS[day.date.weekday()]}）{what}：{day.note}")
    return lines


def describe(calendar: SchoolCalendar) -> str:
    """Where the calendar comes from, in one sentence (short enough for a line of 80 columns)."""
    if not calendar.use_national:
        return "按配置文件列出的放假日计算（未使用国家节假日数据）"
    national = calendar.national
    source = national.source if national is not None else PACKAGE
    own = "；本县放假和调休：配置文件 [calendar]" if (calendar.holidays or calendar.workdays
                                               or calendar.breaks) else ""
    return f"法定节假日和调休：{source}{own}"
