"""The school calendar on the real 2025 autumn: national holidays and 调休 from chinese-calendar, the
profile's terms and local days over them, and the escalation ladders' due dates across National Day.

2025: National Day and Mid-Autumn are off from Wednesday 10-01 to Wednesday 10-08; Sunday 09-28 and
Saturday 10-11 are school days (调休).
"""
import datetime as dt
import json
from pathlib import Path

import pytest

from kbtui.domain.calendar import CalendarError
from kbtui.domain.escalation import episodes, refusal_episode, span_of
from kbtui.profiles import available_profiles, load_profile
from kbtui.services import school_calendar as sc
from kbtui_plugins.escalation import legal, lujiao, national, shuangcheng
from tests.conftest import run_cli

D = dt.date
TERM = ["2025-09-01", "2026-01-16"]
CAL = sc.build({"term": TERM})


@pytest.mark.parametrize("day, school, why", [
    (D(2025, 9, 26), True, None),            # Friday
    (D(2025, 9, 27), False, "周末"),          # Saturday
    (D(2025, 9, 28), True, None),            # Sunday, worked in lieu of National Day
    (D(2025, 9, 30), True, None),
    (D(2025, 10, 1), False, "国庆节"),
    (D(2025, 10, 3), False, "国庆节"),
    (D(2025, 10, 6), False, "中秋节"),        # Monday: Mid-Autumn
    (D(2025, 10, 8), False, "国庆节"),        # Wednesday, the last day off
    (D(2025, 10, 9), True, None),            # back on Thursday
    (D(2025, 10, 11), True, None),           # Saturday, worked in lieu
    (D(2025, 10, 12), False, "周末"),
    (D(2026, 1, 1), False, "元旦"),
    (D(2026, 1, 4), True, None),             # Sunday, worked in lieu of New Year's Day
    (D(2026, 1, 19), False, None),           # after the term
])
def test_real_2025_autumn(day, school, why):
    assert CAL.is_school_day(day) is school
    if CAL.in_term(day):
        assert CAL.day_off_name(day) == why


def test_weekend_school_days_say_why_and_months_count():
    assert CAL.workday_name(D(2025, 9, 28)) == "国庆节调休上课"
    assert CAL.workday_name(D(2025, 10, 11)) == "国庆节调休上课"
    assert CAL.workday_name(D(2025, 10, 10)) is None           # a plain Friday
    months = {m.label: m.school_days for m in sc.term_months(CAL, CAL.terms[0])}
    # September: 22 weekdays + Sunday 28th; October: 23 weekdays − 6 days off + Saturday 11th
    assert months["2025年9月"] == 23 and months["2025年10月"] == 18
    changes = sc.changes_of(sc.term_months(CAL, CAL.terms[0]))
    assert "09-28（星期日）上课：国庆节调休上课" in changes and "10-06（星期一）放假：中秋节" in changes


def test_local_days_over_the_national_calendar():
    cal = sc.build({"term": TERM, "holidays": ["2025-11-03"], "workdays": ["2025-11-08"],
                    "breaks": [{"name": "农忙假", "from": "2025-10-20", "to": "2025-10-22"}]})
    assert not cal.is_school_day(D(2025, 11, 3)) and cal.day_off_name(D(2025, 11, 3)) == "县定放假"
    assert cal.is_school_day(D(2025, 11, 8)) and cal.workday_name(D(2025, 11, 8)) == "县定上课"
    assert [cal.is_school_day(D(2025, 10, d)) for d in (20, 21, 22, 23)] == [False, False, False, True]
    assert cal.day_off_name(D(2025, 10, 21)) == "农忙假"
    assert not cal.is_school_day(D(2025, 10, 1))                # the national holidays still apply


def test_a_profile_that_lists_its_holidays_itself_keeps_working():
    # the profiles' hand-made lists (holidays on weekdays only) agree with the national calendar; the
    # national data add the 调休 weekends. ``national = false`` keeps the profile's lists alone.
    listed = {"term": TERM, "holidays": [f"2025-10-0{i}" for i in (1, 2, 3, 6, 7, 8)]}
    assert sc.build(listed).is_school_day(D(2025, 9, 28))
    alone = sc.build({**listed, "national": False})
    assert not alone.is_school_day(D(2025, 9, 28)) and not alone.is_school_day(D(2025, 10, 6))
    assert alone.is_school_day(D(2025, 10, 9)) and sc.describe(alone).startswith("按配置文件")


@pytest.mark.parametrize("name", sorted(available_profiles()))
def test_every_shipped_profile_builds_on_the_national_calendar(name):
    profile = load_profile(available_profiles()[name])
    cal = sc.build(profile.section("calendar"), profile.year)
    assert cal.national is not None and set(cal.years()) <= set(cal.national.years)


def test_a_year_the_package_does_not_know_must_be_listed():
    with pytest.raises(CalendarError) as err:
        sc.build({"term": ["2026-09-01", "2027-01-15"]})
    message = str(err.value)
    assert "2027年" in message and "[calendar]" in message and "holidays" in message and "2004—2026" in message
    # once the profile lists 2027's days, 2027 works from the profile's lists (Monday–Friday otherwise)
    cal = sc.build({"term": ["2026-09-01", "2027-01-15"], "holidays": ["2027-01-01"]})
    assert not cal.is_school_day(D(2027, 1, 1)) and cal.is_school_day(D(2027, 1, 4))
    assert not cal.is_school_day(D(2026, 10, 1))             # 2026 still from the national calendar


def test_bad_breaks_say_what_is_wrong():
    with pytest.raises(CalendarError, match="breaks"):
        sc.build({"term": TERM, "breaks": [{"name": "农忙假", "from": "2025-10-20"}]})
    with pytest.raises(CalendarError, match="早于"):
        sc.build({"term": TERM, "breaks": [{"from": "2025-10-22", "to": "2025-10-20"}]})
    with pytest.raises(CalendarError, match="national"):
        sc.build({"term": TERM, "national": "是"})


# --------------------------------------------------------------------------- the ladders across the week

def reached(ladder, docs):
    found = episodes([s for s in (span_of(d, CAL) for d in docs) if s], CAL)
    return {r.rung.id: (r.date, r.due) for r in ladder.reached(found[0])}


@pytest.mark.parametrize("ladder, docs, expected", [
    # 双城 from Thursday 09-25: the 3rd school day is Sunday 09-28 (调休); the 7th Friday 10-10
    (shuangcheng.LADDER, [{"start": "2025-09-25"}],
     {"teacher-3": (D(2025, 9, 28), D(2025, 9, 29)), "teacher-7": (D(2025, 10, 10), D(2025, 10, 11)),
      "principal-7": (D(2025, 10, 10), D(2025, 10, 12)), "principal-month": (D(2025, 10, 25), D(2025, 10, 28)),
      "report": (D(2025, 11, 8), D(2025, 11, 11))}),
    # 双城 from Monday 09-29: Mon, Tue, then Thursday 10-09 is the 3rd; Saturday 10-11 counts (7th: Tue 10-14)
    (shuangcheng.LADDER, [{"start": "2025-09-29"}],
     {"teacher-3": (D(2025, 10, 9), D(2025, 10, 10)), "teacher-7": (D(2025, 10, 14), D(2025, 10, 15)),
      "principal-7": (D(2025, 10, 14), D(2025, 10, 16)), "principal-month": (D(2025, 10, 29), D(2025, 11, 1)),
      "report": (D(2025, 11, 12), D(2025, 11, 15))}),
    # 鹿角 from Friday 09-26: 48 hours is the 2nd school day, Sunday 09-28
    (lujiao.LADDER, [{"start": "2025-09-26"}],
     {"report-48h": (D(2025, 9, 28), D(2025, 9, 28)), "dual-line": (D(2025, 9, 29), D(2025, 10, 1)),
      "written-report": (D(2025, 10, 26), D(2025, 10, 29))}),
    # 鹿角 from Tuesday 09-30: the 2nd school day is Thursday 10-09, the 3rd Friday 10-10
    (lujiao.LADDER, [{"start": "2025-09-30"}],
     {"report-48h": (D(2025, 10, 9), D(2025, 10, 9)), "dual-line": (D(2025, 10, 10), D(2025, 10, 12)),
      "written-report": (D(2025, 10, 30), D(2025, 11, 2))}),
    # national from Monday 09-22: the 6th school day (more than a week) is Sunday 09-28
    (national.LADDER, [{"start": "2025-09-22"}],
     {"suspected": (D(2025, 9, 28), D(2025, 9, 29)), "dropout": (D(2025, 10, 22), D(2025, 10, 25))}),
    # on leave Sunday 09-28 (the 调休 day), absent without leave from Monday: counting starts on 09-29
    (national.LADDER, [{"start": "2025-09-28", "days": 1, "excused": True}, {"start": "2025-09-29"}],
     {"suspected": (D(2025, 10, 13), D(2025, 10, 14)), "dropout": (D(2025, 10, 29), D(2025, 11, 1))}),
])
def test_ladders_across_national_day(ladder, docs, expected):
    assert reached(ladder, docs) == expected


def test_the_legal_ladder_runs_on_calendar_days_through_the_holidays():
    episode = refusal_episode(CAL, D(2025, 10, 1), None)
    found = {r.rung.id: (r.date, r.due) for r in legal.LADDER.reached(episode)}
    assert found == {"order": (D(2025, 10, 1), D(2025, 10, 4)), "supervision": (D(2025, 10, 19), D(2025, 10, 24)),
                     "liability": (D(2025, 11, 19), D(2025, 11, 29))}


# --------------------------------------------------------------------------- through the CLI

def profile_2025(tmp_path: Path, calendar: str) -> Path:
    """The 鹿角 profile moved to the 2025 autumn term."""
    text = (Path(available_profiles()["lujiao-2024"]).read_text(encoding="utf-8")
            .replace('id = "2024"', 'id = "2025"').replace("year = 2024", "year = 2025"))
    start = text.index("[calendar]")
    end = text.index("\n[", start + 1)
    path = tmp_path / "lujiao-2025.toml"
    path.write_text(text[:start] + calendar + text[end:], encoding="utf-8")
    return path


def test_calendar_show_prints_the_term_month_by_month(tmp_path):
    profile = profile_2025(tmp_path, '[calendar]\nterm = ["2025-09-01", "2026-01-16"]\n'
                                     '[[calendar.breaks]]\nname = "农忙假"\nfrom = "2025-11-03"\nto = "2025-11-04"\n')
    data = tmp_path / "data"
    assert run_cli("init", "--profile", str(profile), data_dir=data).exit_code == 0
    out = run_cli("calendar", "show", "--on", "2025-10-01", data_dir=data)
    assert out.exit_code == 0, out.output
    text = out.output
    assert "2025-09-01 至 2026-01-16" in text and "chinesecalendar" in text
    assert "2025年9月　上课23天" in text and "2025年10月　上课18天" in text and "2025年11月　上课18天" in text
    assert "09-28（星期日）上课：国庆节调休上课" in text and "10-11（星期六）上课：国庆节调休上课" in text
    assert "10-06（星期一）放假：中秋节" in text and "11-03（星期一）放假：农忙假" in text
    october = text[text.index("2025年10月"):text.index("2025年11月")]
    assert " (1) (2) (3)" in october and " (6) (7) (8)  9  10  11*" in october
    data_json = json.loads(run_cli("calendar", "show", "--on", "2025-10-01", "--json", data_dir=data).stdout)
    october_days = next(m for m in data_json["months"] if m["month"] == "2025-10")["days"]
    assert "2025-10-11" in october_days and "2025-10-08" not in october_days
    assert data_json["school_days"] == sum(m["school_days"] for m in data_json["months"])


def test_calendar_show_refuses_an_unlisted_year_in_chinese(tmp_path):
    profile = profile_2025(tmp_path, '[calendar]\nterm = ["2026-09-01", "2027-01-15"]\n')
    data = tmp_path / "data"
    assert run_cli("init", "--profile", str(profile), data_dir=data).exit_code == 0
    out = run_cli("calendar", "show", data_dir=data)
    assert out.exit_code == 1
    assert "错误：2027年的放假和调休安排不在内置的国家节假日数据中" in out.output
    assert "Traceback" not in out.output
    # and the escalation commands say the same instead of counting wrong days
    due = run_cli("escalation", "due", "--on", "2026-10-09", data_dir=data)
    assert due.exit_code == 1 and "2027年" in due.output
    out = run_cli("calendar", "show", "--term", "3", data_dir=data)
    assert out.exit_code == 1


def test_escalation_due_across_national_day_through_the_cli(tmp_path):
    from kbtui.domain.idcard import make_id

    profile = profile_2025(tmp_path, '[calendar]\nterm = ["2025-09-01", "2026-01-16"]\n')
    data = tmp_path / "data"
    assert run_cli("init", "--profile", str(profile), data_dir=data).exit_code == 0
    kid = make_id("500243", D(2014, 5, 1), 11)
    from kbtui.services.workspace import Workspace

    ws = Workspace.open(data, "tester")
    ws.store.insert({"id_number": kid, "name": "冉小军", "village": "周家村", "school": "鹿角中心校",
                     "grade": "五年级", "responsible_edu": "陈老师"}, "tester")
    assert run_cli("absence", "add", kid, "--from", "2025-09-30", data_dir=data).exit_code == 0
    due = json.loads(run_cli("escalation", "due", "--on", "2025-10-09", "--json", data_dir=data).stdout)
    assert [(a["rung"], a["reached"], a["due"]) for a in due] == [("report-48h", "2025-10-09", "2025-10-09")]
    due = json.loads(run_cli("escalation", "due", "--on", "2025-10-11", "--json", data_dir=data).stdout)
    assert {(a["rung"], a["reached"], a["due"], a["overdue"]) for a in due} == {
        ("report-48h", "2025-10-09", "2025-10-09", True), ("dual-line", "2025-10-10", "2025-10-12", False)}
