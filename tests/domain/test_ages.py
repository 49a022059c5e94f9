"""Age windows with the seeds' own numbers."""
import datetime as dt

import pytest

from kbtui.domain.ages import AgeWindow, Cutoff, age_on


@pytest.mark.parametrize("place, year, low, high, born_from, born_to", [
    ("双山 2024 本镇籍 6–16周岁", 2024, 6, 15, dt.date(2008, 9, 1), dt.date(2018, 8, 31)),
    ("双山 2024 非本镇籍 6–12周岁", 2024, 6, 12, dt.date(2011, 9, 1), dt.date(2018, 8, 31)),
    ("熨斗 2022 6–15 含15", 2022, 6, 15, dt.date(2006, 9, 1), dt.date(2016, 8, 31)),
    ("山亭 2019 6–14", 2019, 6, 14, dt.date(2004, 9, 1), dt.date(2013, 8, 31)),
])
def test_seed_windows(place, year, low, high, born_from, born_to):
    window = AgeWindow(low, high, Cutoff(year))
    assert (window.born_from, window.born_to) == (born_from, born_to), place
    assert window.contains(born_from) and window.contains(born_to)
    assert not window.contains(born_from - dt.timedelta(days=1))
    assert not window.contains(born_to + dt.timedelta(days=1))


@pytest.mark.parametrize("birth, day, age", [
    (dt.date(2018, 8, 31), dt.date(2024, 8, 31), 6),    # turns 6 on the cutoff day
    (dt.date(2018, 9, 1), dt.date(2024, 8, 31), 5),
    (dt.date(2008, 9, 1), dt.date(2024, 8, 31), 15),
    (dt.date(2008, 8, 31), dt.date(2024, 8, 31), 16),
    (dt.date(2016, 2, 29), dt.date(2022, 2, 28), 5),
])
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


def test_cutoff_parse_and_describe():
    cutoff = Cutoff.parse(2024, "08-31")
    assert cutoff.date == dt.date(2024, 8, 31)
    assert AgeWindow(6, 15, cutoff).describe() == "6–15周岁（2008年9月1日—2018年8月31日出生）"
    with pytest.raises(ValueError):
        Cutoff.parse(2024, "02-30")
