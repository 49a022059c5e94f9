"""School days: weekdays of the term minus the profile's holidays."""
import datetime as dt

import pytest

from kbtui.domain.calendar import CalendarError, SchoolCalendar, add_months
from kbtui.profiles import find_profile, load_profile

D = dt.date
# 2025-09-01 is a Monday; Friday 09-19 is a holiday, and 10-01..10-07 the National Day week.
SECTION = {"term": ["2025-09-01", "2026-01-20"],
           "holidays": ["2025-09-19"] + [f"2025-10-0{i}" for i in range(1, 8)]}
CAL = SchoolCalendar.from_section(SECTION)


@pytest.mark.parametrize("day, school", [
    (D(2025, 8, 29), False),    # before the term
    (D(2025, 9, 1), True),      # Monday, first day
    (D(2025, 9, 6), False),     # Saturday
    (D(2025, 9, 7), False),     # Sunday
    (D(2025, 9, 19), False),    # holiday (Friday)
    (D(2025, 10, 3), False),    # National Day week
    (D(2025, 10, 8), True),     # school resumes
    (D(2026, 1, 20), True),     # last day of the term (Tuesday)
    (D(2026, 1, 21), False),    # after the term
])
def test_is_school_day(day, school):
    assert CAL.is_school_day(day) is school


@pytest.mark.parametrize("start, n, expected", [
    (D(2025, 9, 1), 3, D(2025, 9, 3)),      # Mon, Tue, Wed: the 3rd is Wednesday
    (D(2025, 9, 4), 3, D(2025, 9, 8)),      # Thu, Fri, (weekend), Mon
    (D(2025, 9, 17), 3, D(2025, 9, 22)),    # Wed, Thu, (holiday Fri, weekend), Mon
    (D(2025, 9, 29), 3, D(2025, 10, 8)),    # Mon, Tue, then a week of holidays: waits for school
    (D(2025, 9, 6), 1, D(2025, 9, 8)),      # starting on a Saturday: Monday is the first
    (D(2026, 1, 19), 3, None),              # past the end of the term
])
def test_nth_school_day(start, n, expected):
    assert CAL.nth_school_day(start, n) == expected


def test_counts_and_neighbours():
    assert CAL.count(D(2025, 9, 1), D(2025, 9, 30)) == 21   # 22 weekdays minus 09-19
    assert CAL.next_school_day(D(2025, 9, 30)) == D(2025, 10, 8)
    assert CAL.previous_school_day(D(2025, 10, 8)) == D(2025, 9, 30)


def test_workdays_and_no_term():
    cal = SchoolCalendar.from_section({"holidays": ["2025-10-01"], "workdays": ["2025-09-28"]})
    assert cal.is_school_day(D(2025, 9, 28))            # a Sunday made a school day (调休)
    assert not cal.is_school_day(D(2025, 10, 1))
    assert cal.is_school_day(D(2030, 3, 4))              # without a term every weekday counts


@pytest.mark.parametrize("day, months, expected", [
    (D(2025, 9, 15), 1, D(2025, 10, 15)),
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2025, 12, 10), 1, D(2026, 1, 10)),
    (D(2025, 11, 30), 3, D(2026, 2, 28)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_bad_sections_say_what_is_wrong():
    with pytest.raises(CalendarError, match="结束日期早于开学日期"):
        SchoolCalendar.from_section({"term": ["2025-09-01", "2025-08-01"]})
    with pytest.raises(CalendarError, match="看不懂"):
        SchoolCalendar.from_section({"holidays": ["十月一日"]})


@pytest.mark.parametrize("name", ["shuangcheng-2020", "lujiao-2024", "shuangshan-2024", "shanting-2019",
                                  "yundou-2022"])
def test_every_shipped_profile_has_a_usable_calendar(name):
    cal = SchoolCalendar.from_profile(load_profile(find_profile(name)))
    assert cal.terms and cal.holidays
    start = cal.terms[0][0]
    assert cal.nth_school_day(start, 20) is not None
