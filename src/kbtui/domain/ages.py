"""Age windows: "ages a..b on the cutoff day of year Y" as an inclusive birth-date range."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Cutoff:
    """The day on which age is counted (Aug 31 of the campaign year by default)."""

    year: int
    month: int = 8
    day: int = 31

    @functools.cached_property
    def date(self) -> dt.date:          # asked for every child classified
        return dt.date(self.year, self.month, self.day)

    @classmethod
    def parse(cls, year: int, text: str = "08-31") -> Cutoff:
        month, day = (int(part) for part in text.split("-"))
        dt.date(year, month, day)  # raises on an impossible day
        return cls(year, month, day)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def _day_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 -> Feb 28
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class AgeWindow:
    """Children aged ``low``..``high`` inclusive on the cutoff day."""

    low: int
    high: int
    cutoff: Cutoff

    @functools.cached_property
    def born_from(self) -> dt.date:
        # Oldest child: turns high+1 the day after the cutoff.
        return _day_after(_shift_years(self.cutoff.date, -(self.high + 1)))

    @functools.cached_property
    def born_to(self) -> dt.date:
        # Youngest child: turns `low` on the cutoff day itself.
        return _shift_years(self.cutoff.date, -self.low)

    def contains(self, birth: dt.date) -> bool:
        return self.born_from <= birth <= self.born_to

    def describe(self) -> str:
        return (f"{self.low}–{self.high}周岁（{self.born_from:%Y年%-m月%-d日}—"
                f"{self.born_to:%Y年%-m月%-d日}出生）")
