"""The disability rules (domain.disability_info, disability_placement, home_delivery): categories, grades,
assessments, rules, and the home-delivery frequency check across weeks, holidays and terms (table tests with
dates)."""
from __future__ import annotations

import datetime as dt

import pytest

from kbtui.domain.disability_info import (
    DisabilityError,
    normalize_category,
    normalize_grade,
    normalize_source,
    source_of,
)
from kbtui.domain.disability_placement import (
    CAN_LEARN_ORDINARY,
    CANNOT_LEARN,
    EXEMPTION,
    HOME_DELIVERY,
    MAINSTREAM,
    NEEDS_HOME_DELIVERY,
    Assessment,
    PlacementOption,
    RuleInput,
    needs_assessment,
    needs_conclusion,
    needs_disability,
    needs_evidence,
    needs_field,
    needs_student_no,
    normalize_conclusion,
)
from kbtui.domain.home_delivery import Calendar, FrequencyRule, current_term_result, delivery_by_term

D = dt.date.fromisoformat

# 鹿角 2024 (seed 002): twice a week, 3 periods each; the autumn term and its holidays from the profile,
# plus the spring term so that checks can run across terms.
LUJIAO = {
    "terms": [["2024-09-01", "2025-01-17"], ["2025-02-17", "2025-07-04"]],
    "holidays": ["2024-09-16", "2024-09-17", "2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04",
                 "2024-10-07", "2025-01-01"],
}
TWICE_3 = FrequencyRule(per_week=2, periods=3)
ONCE_2 = FrequencyRule(per_week=1, periods=2)


def sessions(*dates: str, periods: int = 3) -> list[dict]:
    return [{"date": day, "teacher": "张老师", "periods": periods} for day in dates]


def weekly(start: str, weeks: int, per_week: int = 2, periods: int = 3, skip: tuple[int, ...] = ()) -> list[dict]:
    """``per_week`` sessions (Tuesday, Thursday) in each of ``weeks`` weeks from the Monday ``start``."""
    monday = D(start)
    out = []
    for week in range(weeks):
        if week in skip:
            continue
        for i in range(per_week):
            out.append({"date": (monday + dt.timedelta(days=7 * week + 1 + 2 * i)).isoformat(),
                        "teacher": "张老师", "periods": periods})
    return out


# --- vocabulary ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected",
                         [("智力", "智力"), ("智力残疾", "智力"), ("多重残疾", "多重"), ("聋", "听力")])
def test_category_normalized(raw, expected):
    assert normalize_category(raw) == expected


@pytest.mark.parametrize("raw, expected", [("一级", "一级"), ("2", "二级"), ("3级", "三级"), ("四", "四级")])
def test_grade_normalized(raw, expected):
    assert normalize_grade(raw) == expected


@pytest.mark.parametrize("fn, raw", [(normalize_category, "近视"), (normalize_grade, "五级"),
                                     (normalize_source, "网上"), (normalize_conclusion, "很好")])
def test_unknown_values_refused_in_chinese(fn, raw):
    with pytest.raises(DisabilityError, match="应为"):
        fn(raw)


def test_source_of_falls_back_to_the_disability_list():
    assert source_of({"disability_source": "入户", "sources": ["disability"]}) == "入户"
    assert source_of({"sources": ["police", "disability"]}) == "残联"
    assert source_of({"sources": ["police"]}) == ""


# --- assessment ----------------------------------------------------------------------------------------
OPTIONS = [MAINSTREAM, HOME_DELIVERY, EXEMPTION]


@pytest.mark.parametrize("changes, message", [
    ({"members": ()}, "成员"),
    ({"recommend": "出国"}, "未登记"),
    ({"recommend": EXEMPTION}, "暂不具备学习条件"),
    ({"review_date": "2024-06-01"}, "应晚于"),
])
def test_assessment_validation(changes, message):
    base = dict(child="x", date="2024-06-10", members=("王建国", "刘芳"), conclusion=CAN_LEARN_ORDINARY,
                recommend=MAINSTREAM, review_date="2025-06-10")
    Assessment(**base).validate(OPTIONS)
    with pytest.raises(DisabilityError, match=message):
        Assessment(**{**base, **changes}).validate(OPTIONS)


def test_assessment_round_trip():
    a = Assessment("x", "2024-06-10", ("甲", "乙"), CANNOT_LEARN, EXEMPTION, "2025-06-10", "备注", "k1")
    assert Assessment.from_doc(a.to_doc()) == a


# --- rules ---------------------------------------------------------------------------------------------
def rule_input(placement=None, assessment=None, child=None, option=None):
    option = option or PlacementOption("测试", "随班就读")
    child = {"disability_category": "智力"} if child is None else child
    return RuleInput(child, placement or {}, assessment, option)


@pytest.mark.parametrize("requirement, good, bad", [
    (needs_field("school"), {"school": "双山小学"}, {"school": " "}),
    (needs_field("teachers"), {"teachers": ["张老师"]}, {"teachers": []}),
    (needs_field("center"), {"fields": {"center": "康复中心"}}, {"fields": {}}),
    (needs_evidence("监护人申请"), {"evidence": ["监护人申请"]}, {"evidence": ["其他"]}),
])
def test_placement_requirements(requirement, good, bad):
    assert requirement.test(rule_input(good))
    assert not requirement.test(rule_input(bad))


def test_conclusion_and_assessment_requirements():
    exempt = needs_conclusion(CANNOT_LEARN)
    assert not exempt.test(rule_input(assessment=None))
    assert not exempt.test(rule_input(assessment={"conclusion": NEEDS_HOME_DELIVERY}))
    assert exempt.test(rule_input(assessment={"conclusion": CANNOT_LEARN}))
    assert not needs_assessment().test(rule_input())
    assert not needs_student_no().test(rule_input(child={}))
    assert not needs_disability().test(rule_input(child={}))


def test_findings_refusals_first_and_common_rules():
    option = PlacementOption("测试", "随班就读", requires=(needs_evidence("甲"), needs_field("school")))
    found = option.findings(rule_input(option=option, child={}))
    assert [f.refuse for f in found] == [True, False, False, False]
    assert {f.rule for f in found} == {"field:school", "evidence:甲", "assessment", "disability"}
    recommended_other = rule_input(option=option, assessment={"recommend": HOME_DELIVERY},
                                   placement={"school": "x", "evidence": ["甲"]})
    assert [f.rule for f in option.findings(recommended_other)] == ["recommend"]


# --- the frequency rule and the calendar --------------------------------------------------------------
def test_rule_and_calendar_from_profile():
    assert FrequencyRule.from_profile({"home_delivery": {"per_week": 2, "periods": 3}}) == TWICE_3
    assert FrequencyRule.from_profile({}) is None
    assert FrequencyRule.from_profile({"home_delivery": {"per_term_hours": 40}}).per_term_hours == 40
    with pytest.raises(DisabilityError, match="per_week"):
        FrequencyRule.from_profile({"home_delivery": {"per_week": "两次"}})
    cal = Calendar.from_profile({"term": ["2024-09-01", "2025-01-17"], "holidays": ["2024-10-01"]})
    assert cal.terms == ((D("2024-09-01"), D("2025-01-17")),) and D("2024-10-01") in cal.holidays
    assert len(Calendar.from_profile(LUJIAO).terms) == 2
    with pytest.raises(DisabilityError, match="结束日期"):
        Calendar.from_profile({"term": ["2025-01-17", "2024-09-01"]})
    assert TWICE_3.describe() == "每周2次、每次3课时"


@pytest.mark.parametrize("start, on, weeks", [
    ("2024-09-02", "2024-09-07", 0),     # Saturday: the first week has not ended
    ("2024-09-02", "2024-09-08", 1),     # Sunday: one whole week
    ("2024-09-02", "2024-09-15", 2),
    ("2024-09-04", "2024-09-15", 1),     # plan starts on a Wednesday: that week is not due
    ("2024-08-01", "2024-09-08", 1),     # plan before the term: counted from the term start
    ("2024-09-02", "2024-09-22", 3),     # 中秋 Mon+Tue are holidays, the week still has school days
    ("2024-09-02", "2024-10-13", 6),     # National Day week (one school day) is still due
    ("2024-09-02", "2025-01-17", 20),    # the term ends on a Friday: its last week is due
    ("2024-09-02", "2025-02-16", 20),    # winter vacation: nothing more is due
    ("2024-09-02", "2025-02-23", 1),     # spring term: counted afresh
])
def test_weeks_due(start, on, weeks):
    results = delivery_by_term(TWICE_3, Calendar.from_profile(LUJIAO), D(start), [], D(on))
    current = current_term_result(results, D(on))
    assert current.weeks == weeks
    assert current.expected_sessions == 2 * weeks and current.expected_periods == 6 * weeks


def test_a_week_of_holidays_is_not_due():
    golden_week = dict(LUJIAO, holidays=["2024-09-30", "2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04"])
    on = D("2024-10-13")
    plain = current_term_result(delivery_by_term(ONCE_2, Calendar.from_profile(LUJIAO), D("2024-09-02"), [], on), on)
    golden = current_term_result(delivery_by_term(ONCE_2, Calendar.from_profile(golden_week), D("2024-09-02"), [], on),
                                 on)
    assert (plain.weeks, golden.weeks) == (6, 5)


CAL = Calendar.from_profile(LUJIAO)


@pytest.mark.parametrize("label, rule, start, delivered, on, expected", [
    # label, rule, plan start, sessions, check date, (sessions, periods, expected sessions, behind)
    ("on schedule", TWICE_3, "2024-09-02", weekly("2024-09-02", 4), "2024-09-29", (8, 24, 8, False)),
    ("one week missed", TWICE_3, "2024-09-02", weekly("2024-09-02", 4, skip=(2,)), "2024-09-29", (6, 18, 8, True)),
    ("made up later in the term", TWICE_3, "2024-09-02",
     weekly("2024-09-02", 4, skip=(1,)) + sessions("2024-09-28", "2024-09-29"), "2024-09-29", (8, 24, 8, False)),
    ("periods short", TWICE_3, "2024-09-02", weekly("2024-09-02", 2, periods=2), "2024-09-15", (4, 8, 4, True)),
    ("current week not yet due", TWICE_3, "2024-09-02", weekly("2024-09-02", 2), "2024-09-19", (4, 12, 4, False)),
    ("once a week", ONCE_2, "2024-09-02", weekly("2024-09-02", 3, per_week=1, periods=2), "2024-09-22",
     (3, 6, 3, False)),
    ("sessions before the plan start ignored", ONCE_2, "2024-09-09",
     sessions("2024-09-03", periods=2) + weekly("2024-09-09", 1, per_week=1, periods=2), "2024-09-15",
     (1, 2, 1, False)),
    ("autumn surplus does not cover spring", ONCE_2, "2024-09-02",
     weekly("2024-09-02", 20, per_week=3, periods=2), "2025-03-02", (0, 0, 2, True)),
    ("spring on schedule", ONCE_2, "2024-09-02",
     weekly("2025-02-17", 2, per_week=1, periods=2), "2025-03-02", (2, 4, 2, False)),
    ("vacation: the last term's final count", ONCE_2, "2024-09-02",
     weekly("2024-09-02", 19, per_week=1, periods=2), "2025-02-01", (19, 38, 20, True)),
    ("plan started in the spring", TWICE_3, "2025-03-03", weekly("2025-03-03", 1), "2025-03-09", (2, 6, 2, False)),
])
def test_delivery_table(label, rule, start, delivered, on, expected):
    results = delivery_by_term(rule, CAL, D(start), delivered, D(on))
    current = current_term_result(results, D(on))
    sessions_, periods_, expected_sessions, behind = expected
    assert (current.sessions, current.periods, current.expected_sessions, current.behind) == \
        (sessions_, periods_, expected_sessions, behind), label


def test_per_term_hours_pro_rated():
    rule = FrequencyRule(per_week=1, periods=2, per_term_hours=80)     # 80 periods over 20 weeks: 4 a week
    on = D("2024-09-29")                                                 # 4 weeks due: 16 periods
    delivered = weekly("2024-09-02", 4, per_week=1, periods=2)           # 8 periods: enough sessions, too few hours
    current = current_term_result(delivery_by_term(rule, CAL, D("2024-09-02"), delivered, on), on)
    assert (current.term_weeks, current.expected_sessions, current.expected_periods) == (20, 4, 16)
    assert current.behind and current.missing_sessions == 0 and current.missing_periods == 8
    assert "少8课时" in current.describe()
    hours_only = FrequencyRule(per_term_hours=80)
    enough = weekly("2024-09-02", 4, per_week=2, periods=2)
    current = current_term_result(delivery_by_term(hours_only, CAL, D("2024-09-02"), enough, on), on)
    assert (current.expected_sessions, current.expected_periods, current.behind) == (0, 16, False)


def test_no_term_covers_the_date_before_any_term():
    results = delivery_by_term(ONCE_2, CAL, D("2024-09-02"), [], D("2024-08-20"))
    assert results == [] and current_term_result(results, D("2024-08-20")) is None


def test_describe_in_chinese():
    current = current_term_result(
        delivery_by_term(TWICE_3, CAL, D("2024-09-02"), weekly("2024-09-02", 1), D("2024-09-15")), D("2024-09-15"))
    assert current.describe() == ("2024-09-01至2025-01-17学期，截至2024-09-15共2个教学周：应送4次12课时，"
                                  "实送2次6课时，少2次、6课时")
