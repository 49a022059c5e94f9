"""Table tests: each shipped ladder walked day by day on a calendar with a weekend and holidays.

Calendar: term from Monday 2025-09-01; Friday 09-19 is a holiday and 10-01..10-07 the National Day
week. Each row: the absences recorded, the ladder, and the date each rung is reached (None: never).
"""
import datetime as dt

import pytest

from kbtui.domain.calendar import SchoolCalendar
from kbtui.domain.escalation import (
    DROPOUT,
    SUSPECTED,
    Ladder,
    Rung,
    Threshold,
    Unit,
    episode_on,
    episodes,
    refusal_episode,
    span_of,
    stronger_mark,
)
from kbtui_plugins.escalation import legal, lujiao, national, shuangcheng

D = dt.date
CAL = SchoolCalendar.from_section({
    "term": ["2025-09-01", "2026-01-20"],
    "holidays": ["2025-09-19"] + [f"2025-10-0{i}" for i in range(1, 8)],
})


def walk(ladder: Ladder, docs: list[dict], expected: dict[str, D | None], first: D, last: D) -> None:
    """On every day from ``first`` to ``last``: the rungs reached so far are exactly the expected ones,
    and a child who is back is on no episode (climbs no further)."""
    found = episodes([s for s in (span_of(d, CAL) for d in docs) if s], CAL)
    day = first
    while day <= last:
        episode = episode_on(found, day)
        reached = {r.rung.id: r.date for r in ladder.reached_by(episode, day)} if episode else {}
        want = {rung: when for rung, when in expected.items() if when is not None and when <= day}
        if episode is not None:       # back at school (or not yet absent): nothing climbs that day
            assert reached == want, (day, reached, want)
        day += dt.timedelta(days=1)
    # and the full reach table (whatever today is)
    all_reached = {r.rung.id: r.date for ep in found for r in ladder.reached(ep)}
    assert all_reached == {k: v for k, v in expected.items() if v is not None}


SHUANGCHENG = [
    # absent from Monday 09-15, not back: 3rd school day Wed 09-17; 7th Wed 09-24 (Fri 09-19 is a holiday);
    # one month 10-15; 45 calendar days 10-29
    ([{"start": "2025-09-15"}],
     {"teacher-3": D(2025, 9, 17), "teacher-7": D(2025, 9, 24), "principal-7": D(2025, 9, 24),
      "principal-month": D(2025, 10, 15), "report": D(2025, 10, 29)}),
    # back on Wednesday 09-17 (absent Mon, Tue): no rung
    ([{"start": "2025-09-15", "returned_on": "2025-09-17"}],
     {"teacher-3": None, "teacher-7": None, "principal-7": None, "principal-month": None, "report": None}),
    # absent three days (Mon–Wed), back Thursday: only the 3-day rung
    ([{"start": "2025-09-15", "days": 3}],
     {"teacher-3": D(2025, 9, 17), "teacher-7": None, "principal-7": None, "principal-month": None,
      "report": None}),
    # back on 09-25: the 7-day rungs were reached the day before
    ([{"start": "2025-09-15", "until": "2025-09-24"}],
     {"teacher-3": D(2025, 9, 17), "teacher-7": D(2025, 9, 24), "principal-7": D(2025, 9, 24),
      "principal-month": None, "report": None}),
    # absent Mon 09-29, Tue 09-30, then a week of holidays: the 3rd school day is 10-08
    ([{"start": "2025-09-29"}],
     {"teacher-3": D(2025, 10, 8), "teacher-7": D(2025, 10, 14), "principal-7": D(2025, 10, 14),
      "principal-month": D(2025, 10, 29), "report": D(2025, 11, 12)}),
    # Mon–Tue on leave (excused), then absent without leave from Wed 09-17: counting starts on 09-17
    ([{"start": "2025-09-15", "days": 2, "excused": True}, {"start": "2025-09-17"}],
     {"teacher-3": D(2025, 9, 22), "teacher-7": D(2025, 9, 26), "principal-7": D(2025, 9, 26),
      "principal-month": D(2025, 10, 17), "report": D(2025, 10, 31)}),
    # back on 10-15 exactly one month after: the month rung is not reached
    ([{"start": "2025-09-15", "returned_on": "2025-10-15"}],
     {"teacher-3": D(2025, 9, 17), "teacher-7": D(2025, 9, 24), "principal-7": D(2025, 9, 24),
      "principal-month": None, "report": None}),
]


@pytest.mark.parametrize("docs, expected", SHUANGCHENG)
def test_shuangcheng_day_by_day(docs, expected):
    walk(shuangcheng.LADDER, docs, expected, D(2025, 9, 12), D(2025, 11, 20))


LUJIAO = [
    # Thursday 09-18 without leave: 48 hours = the 2nd school day, Monday 09-22 (Friday is a holiday)
    ([{"start": "2025-09-18"}],
     {"report-48h": D(2025, 9, 22), "dual-line": D(2025, 9, 23), "written-report": D(2025, 10, 18)}),
    # on leave Thursday, absent without leave from Monday 09-22: the 2nd counted day is Tuesday
    ([{"start": "2025-09-18", "days": 1, "excused": True}, {"start": "2025-09-22"}],
     {"report-48h": D(2025, 9, 23), "dual-line": D(2025, 9, 24), "written-report": D(2025, 10, 22)}),
    # 24 hours only (one school day), then back
    ([{"start": "2025-09-18", "hours": 24}],
     {"report-48h": None, "dual-line": None, "written-report": None}),
    # recorded as 48 hours of absence: reaches the report on its 2nd school day, then back
    ([{"start": "2025-09-18", "hours": 48}],
     {"report-48h": D(2025, 9, 22), "dual-line": None, "written-report": None}),
    # a whole absence on leave never climbs
    ([{"start": "2025-09-18", "excused": True}],
     {"report-48h": None, "dual-line": None, "written-report": None}),
]


@pytest.mark.parametrize("docs, expected", LUJIAO)
def test_lujiao_day_by_day(docs, expected):
    walk(lujiao.LADDER, docs, expected, D(2025, 9, 15), D(2025, 11, 5))


NATIONAL = [
    # more than a week: the 6th school day (Monday 09-15); more than a month: 10-08
    ([{"start": "2025-09-08"}], {"suspected": D(2025, 9, 15), "dropout": D(2025, 10, 8)}),
    # back on the 6th school day: nothing
    ([{"start": "2025-09-08", "returned_on": "2025-09-15"}], {"suspected": None, "dropout": None}),
    # back the day after: 疑似辍学 only
    ([{"start": "2025-09-08", "returned_on": "2025-09-16"}], {"suspected": D(2025, 9, 15), "dropout": None}),
    # leave with approval on Wed–Thu inside the absence: those days do not count
    ([{"start": "2025-09-08"}, {"start": "2025-09-10", "until": "2025-09-11", "excused": True}],
     {"suspected": D(2025, 9, 17), "dropout": D(2025, 10, 8)}),
    # two records back to back (Mon–Fri, then from Monday) make one episode
    ([{"start": "2025-09-08", "days": 5}, {"start": "2025-09-15"}],
     {"suspected": D(2025, 9, 15), "dropout": D(2025, 10, 8)}),
    # a gap (back on Friday 09-12) starts a new count from Monday 09-15
    ([{"start": "2025-09-08", "days": 4}, {"start": "2025-09-15"}],
     {"suspected": D(2025, 9, 23), "dropout": D(2025, 10, 15)}),
]


@pytest.mark.parametrize("docs, expected", NATIONAL)
def test_national_day_by_day(docs, expected):
    walk(national.LADDER, docs, expected, D(2025, 9, 5), D(2025, 11, 20))


@pytest.mark.parametrize("refused, back, expected", [
    (D(2025, 10, 20), None,
     {"order": D(2025, 10, 20), "supervision": D(2025, 11, 7), "liability": D(2025, 12, 8)}),
    (D(2025, 10, 20), D(2025, 11, 7), {"order": D(2025, 10, 20), "supervision": None, "liability": None}),
    (D(2025, 10, 20), D(2025, 11, 8),
     {"order": D(2025, 10, 20), "supervision": D(2025, 11, 7), "liability": None}),
    # refused on the first day of the holiday week: calendar days still run
    (D(2025, 10, 1), None,
     {"order": D(2025, 10, 1), "supervision": D(2025, 10, 19), "liability": D(2025, 11, 19)}),
])
def test_legal_day_by_day(refused, back, expected):
    episode = refusal_episode(CAL, refused, back)
    day = refused - dt.timedelta(days=3)
    while day <= D(2025, 12, 31):
        reached = {r.rung.id: r.date for r in legal.LADDER.reached_by(episode, day)} \
            if episode.away_on(day) else {}
        want = {k: v for k, v in expected.items() if v is not None and v <= day}
        if episode.away_on(day):
            assert reached == want, day
        day += dt.timedelta(days=1)
    assert {r.rung.id: r.date for r in legal.LADDER.reached(episode)} == \
        {k: v for k, v in expected.items() if v is not None}


def test_legal_documents_and_deadlines():
    order = legal.LADDER.rung("order")
    assert order.document == "责令限期改正通知书" and order.notice_days == 15 and order.role == "镇政府"
    assert legal.LADDER.rung("supervision").document == "督促监护令"
    assert legal.LADDER.rung("supervision").role == "司法所"
    assert legal.LADDER.trigger == "refusal"


def test_due_dates_follow_the_deadline():
    found = episodes([span_of({"start": "2025-09-15"}, CAL)], CAL)
    reached = {r.rung.id: r for r in shuangcheng.LADDER.reached(found[0])}
    assert reached["teacher-3"].due == D(2025, 9, 18)
    assert reached["principal-month"].due == D(2025, 10, 18)


def test_thresholds_and_ladder_editing():
    assert Threshold(48, Unit.HOURS).school_days == 2
    assert Threshold(49, Unit.HOURS).school_days == 3
    assert Threshold(1, "months").label == "1个月"
    with pytest.raises(ValueError):
        Threshold(0, Unit.SCHOOL_DAYS)
    extra = Rung("village-5", "村干部5日", Threshold(5, Unit.SCHOOL_DAYS), "村干部上门", "村委会")
    changed = shuangcheng.LADDER.with_rung(extra, after="teacher-3")
    assert [r.id for r in changed.rungs][:3] == ["teacher-3", "village-5", "teacher-7"]
    faster = changed.with_rung(Rung("teacher-3", "班主任2日", Threshold(2), "电话联系", "班主任"))
    assert faster.rung("teacher-3").threshold.value == 2 and len(faster.rungs) == 6
    assert not faster.without_rung("village-5").has_rung("village-5")
    with pytest.raises(KeyError, match="没有步骤"):
        faster.rung("nope")
    with pytest.raises(ValueError, match="重复"):
        Ladder("x", "x", (extra, extra))


def test_marks_never_downgrade():
    assert stronger_mark(None, SUSPECTED) and stronger_mark("在籍在校", SUSPECTED)
    assert stronger_mark(SUSPECTED, DROPOUT)
    assert not stronger_mark(DROPOUT, SUSPECTED) and not stronger_mark(SUSPECTED, SUSPECTED)
