"""services.disability.placements: every stock placement rule (refused or flagged), the situation and history the
placement sets, home-delivery sessions, and the actions ``placement check`` lists."""
from __future__ import annotations

import datetime as dt

import pytest

from kbtui.domain.disability_placement import (
    CAN_LEARN_ORDINARY,
    CANNOT_LEARN,
    DISTANCE,
    EXEMPTION,
    HOME_DELIVERY,
    INSTITUTION,
    MAINSTREAM,
    NEEDS_HOME_DELIVERY,
    NEEDS_SPECIAL_SCHOOL,
    SPECIAL_CLASS,
    SPECIAL_SCHOOL,
)
from kbtui.domain.idcard import make_id
from kbtui.profiles import find_profile
from kbtui.services.disability import placement_check as pc
from kbtui.services.disability import placements as pl
from kbtui.services.disability.placements import PlacementError
from kbtui.services.workspace import Workspace

D = dt.date.fromisoformat
TODAY = D("2025-01-20")


def child(n: int, **extra) -> dict:
    born = dt.date(2014, 3, 1) + dt.timedelta(days=n)
    record = {"id_number": make_id("500243", born, 2 * n + 1), "name": f"儿童{n}", "sex": "男",
              "birth_date": born.isoformat(), "village": "周家村", "sources": ["police"],
              "disability_category": "智力", "disability_grade": "二级", "key_groups": ["残疾"],
              "responsible_edu": "周老师"}
    record.update(extra)
    return record


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """鹿角 2024: home delivery twice a week, 3 periods; ten disabled children of the cohort."""
    workspace = Workspace.create(tmp_path / "data", find_profile("lujiao-2024"), "tester")
    workspace.store.insert_many([child(n) for n in range(10)] + [child(20, disability_category=None,
                                                                        key_groups=[], name="普通儿童")], "tester")
    return workspace


def ids(ws) -> list[str]:
    return sorted(r["id_number"] for r in ws.store.all() if r.get("disability_category"))


def assess(ws, i, conclusion=CAN_LEARN_ORDINARY, recommend=None, review="2025-06-30", date="2024-06-10"):
    return pl.assess(ws, i, date=date, members="王建国、刘芳、陈医生", conclusion=conclusion,
                     recommend=recommend, review=review)


FULL = {
    MAINSTREAM: dict(school="鹿角中心校"),
    SPECIAL_CLASS: dict(school="鹿角中心校"),
    SPECIAL_SCHOOL: dict(school="县特殊教育学校", evidence=["特殊教育学校入学通知书"]),
    HOME_DELIVERY: dict(school="鹿角中心校", teachers="张老师、李老师", plan="个别化教育计划", start="2024-09-02",
                          evidence=["送教上门协议书"]),
    DISTANCE: dict(school="鹿角中学", teachers="王老师"),
    INSTITUTION: dict(school="县儿童福利院", evidence=["机构教学班接收证明"]),
    EXEMPTION: dict(review="2025-06-30", evidence=["监护人申请"]),
}
CONCLUSION = {MAINSTREAM: CAN_LEARN_ORDINARY, SPECIAL_CLASS: CAN_LEARN_ORDINARY,
              SPECIAL_SCHOOL: NEEDS_SPECIAL_SCHOOL, HOME_DELIVERY: NEEDS_HOME_DELIVERY,
              DISTANCE: NEEDS_HOME_DELIVERY, INSTITUTION: NEEDS_SPECIAL_SCHOOL, EXEMPTION: CANNOT_LEARN}
SITUATION = {MAINSTREAM: "随班就读", SPECIAL_CLASS: "特教班就读", SPECIAL_SCHOOL: "特校就读",
             HOME_DELIVERY: "送教上门", DISTANCE: "远程教育", INSTITUTION: "机构教学班就读",
             EXEMPTION: "免予入学"}


def test_seven_stock_options_in_order(ws):
    assert [o.name for o in pl.options(ws)] == [MAINSTREAM, SPECIAL_CLASS, SPECIAL_SCHOOL, HOME_DELIVERY,
                                                DISTANCE, INSTITUTION, EXEMPTION]


@pytest.mark.parametrize("option", list(FULL))
def test_complete_placement_sets_situation_history_and_summary(ws, option):
    i = ids(ws)[0]
    assess(ws, i, CONCLUSION[option], recommend=option)
    if option in (HOME_DELIVERY, DISTANCE):
        ws.store.update(i, {"student_no": "G" + i}, "tester")
    decision = pl.place(ws, i, option, date="2024-09-02", today=TODAY, **FULL[option])
    assert decision.flags == [], [f.message for f in decision.flags]
    record = ws.store.get(i)
    assert record["status"] == SITUATION[option]
    assert record["status_history"][-1] == {"status": SITUATION[option], "date": "2024-09-02", "by": "tester",
                                            "how": "专家委员会评估安置", "note": f"安置方式：{option}"}
    assert record["placement"]["option"] == option and record["assessment"]["recommend"] == option
    if option != EXEMPTION:
        assert record["school"] == FULL[option]["school"]
    assert ws.store.journal  # journaled through the store


# option, what is left out, refused?, message fragment
RULES = [
    (MAINSTREAM, "school", True, "就读学校"),
    (SPECIAL_CLASS, "school", True, "特教班"),
    (SPECIAL_SCHOOL, "school", True, "特殊教育学校"),
    (SPECIAL_SCHOOL, "evidence", False, "特殊教育学校入学通知书"),
    (HOME_DELIVERY, "school", True, "送教学校"),
    (HOME_DELIVERY, "teachers", True, "送教教师"),
    (HOME_DELIVERY, "plan", True, "教学计划"),
    (HOME_DELIVERY, "evidence", False, "送教上门协议书"),
    (HOME_DELIVERY, "student_no", False, "学籍"),
    (DISTANCE, "school", True, "学籍学校"),
    (DISTANCE, "teachers", False, "辅导教师"),
    (INSTITUTION, "school", True, "福利或康复机构"),
    (INSTITUTION, "evidence", False, "机构教学班接收证明"),
    (EXEMPTION, "conclusion", True, "暂不具备学习条件"),
    (EXEMPTION, "review", False, "复评日期"),
    (EXEMPTION, "evidence", False, "监护人申请"),
]


@pytest.mark.parametrize("option, missing, refused, fragment", RULES)
def test_each_stock_rule(ws, option, missing, refused, fragment):
    i = ids(ws)[0]
    if missing == "conclusion":
        assess(ws, i, NEEDS_HOME_DELIVERY, review=None)
    else:
        assess(ws, i, CONCLUSION[option], recommend=option, review=None if missing == "review" else "2025-06-30")
    if missing != "student_no":
        ws.store.update(i, {"student_no": "G" + i}, "tester")
    kwargs = {k: v for k, v in FULL[option].items() if k != missing}
    if refused:
        with pytest.raises(PlacementError, match=fragment):
            pl.place(ws, i, option, today=TODAY, **kwargs)
        assert ws.store.get(i).get("status") is None
        assert pl.current_placement(ws, i) is None
    else:
        decision = pl.place(ws, i, option, today=TODAY, **kwargs)
        assert [f.message for f in decision.flags if fragment in f.message], decision.flags
        assert any(fragment in a.message for a in pc.check(ws, TODAY) if a.id_number == i)


def test_exemption_without_any_assessment_is_refused(ws):
    with pytest.raises(PlacementError, match="不能安置为“免予入学”.*暂不具备学习条件"):
        pl.place(ws, ids(ws)[0], EXEMPTION, review="2025-06-30", evidence=["监护人申请"])


def test_common_rules_flag_missing_assessment_disability_and_other_recommendation(ws):
    a, b, c = ids(ws)[:3]
    no_assessment = pl.place(ws, a, MAINSTREAM, school="鹿角中心校")
    assert [f.rule for f in no_assessment.flags] == ["assessment"]
    assess(ws, b, NEEDS_SPECIAL_SCHOOL)                     # recommends 特殊教育学校
    other = pl.place(ws, b, MAINSTREAM, school="鹿角中心校")
    assert [f.rule for f in other.flags] == ["recommend"]
    ws.store.update(c, {"disability_category": None}, "tester")
    assess(ws, c)
    assert [f.rule for f in pl.place(ws, c, MAINSTREAM, school="x").flags] == ["disability"]


def test_unknown_option_field_and_date_refused(ws):
    i = ids(ws)[0]
    with pytest.raises(PlacementError, match="没有名为“出国”的安置方式.*随班就读"):
        pl.place(ws, i, "出国")
    with pytest.raises(PlacementError, match="没有字段 center"):
        pl.place(ws, i, MAINSTREAM, school="x", fields={"center": "y"})
    with pytest.raises(PlacementError, match="安置日期"):
        pl.place(ws, i, MAINSTREAM, school="x", date="明天")
    with pytest.raises(PlacementError, match="找不到"):
        pl.place(ws, "500243201401010000", MAINSTREAM, school="x")


def test_assessment_rules(ws):
    i = ids(ws)[0]
    with pytest.raises(PlacementError, match="成员"):
        pl.assess(ws, i, date="2024-06-10", members="", conclusion=CAN_LEARN_ORDINARY)
    with pytest.raises(PlacementError, match="评估结论"):
        pl.assess(ws, i, date="2024-06-10", members="甲", conclusion="良好")
    with pytest.raises(PlacementError, match="只有评估结论"):
        pl.assess(ws, i, date="2024-06-10", members="甲", conclusion=NEEDS_HOME_DELIVERY, recommend=EXEMPTION)
    doc = pl.assess(ws, i, date="2024年6月10日", members=["甲、乙", "丙"], conclusion="暂不具备")
    assert (doc["date"], doc["members"], doc["recommend"]) == ("2024-06-10", ["甲", "乙", "丙"], EXEMPTION)
    older = pl.assess(ws, i, date="2023-06-10", members="甲", conclusion=CAN_LEARN_ORDINARY)
    assert ws.store.get(i)["assessment"]["key"] == doc["key"] != older["key"]   # the latest stays on the record


def test_a_new_placement_closes_the_previous_one(ws):
    i = ids(ws)[0]
    assess(ws, i, NEEDS_HOME_DELIVERY)
    first = pl.place(ws, i, HOME_DELIVERY, date="2024-09-02", **{k: v for k, v in FULL[HOME_DELIVERY].items()})
    second = pl.place(ws, i, MAINSTREAM, date="2025-02-17", school="鹿角中心校")
    history = pl.placement_history(ws, i)
    assert [(p["option"], p["active"], p.get("ended")) for p in history] == [
        (HOME_DELIVERY, False, "2025-02-17"), (MAINSTREAM, True, None)]
    assert pl.current_placement(ws, i)["key"] == second.doc["key"] != first.doc["key"]
    record = ws.store.get(i)
    assert [h["status"] for h in record["status_history"]] == ["送教上门", "随班就读"]
    assert record["home_delivery"] is None


def test_disability_on_the_record(ws):
    i = sorted(r["id_number"] for r in ws.store.all() if not r.get("disability_category"))[0]
    with pytest.raises(PlacementError, match="先填写残疾类别"):
        pl.set_disability(ws, i, grade="二级")
    record = pl.set_disability(ws, i, category="肢体残疾", grade="3", certificate="X1", source="入户排查")
    assert (record["disability_category"], record["disability_grade"], record["disability_source"]) == \
        ("肢体", "三级", "入户")
    assert "残疾" in record["key_groups"]
    with pytest.raises(PlacementError, match="残疾等级"):
        pl.set_disability(ws, i, grade="五级")


# --- home-delivery sessions --------------------------------------------------------------------------------
@pytest.fixture
def delivered(ws):
    i = ids(ws)[0]
    ws.store.update(i, {"student_no": "G" + i}, "tester")
    assess(ws, i, NEEDS_HOME_DELIVERY)
    pl.place(ws, i, HOME_DELIVERY, date="2024-08-30", **FULL[HOME_DELIVERY])
    return i


def test_session_rules(ws, delivered):
    i = delivered
    with pytest.raises(PlacementError, match="不是送教上门"):
        pl.log_session(ws, ids(ws)[1], date="2024-09-03", teacher="张老师", periods=3)
    with pytest.raises(PlacementError, match="早于送教开始日期"):
        pl.log_session(ws, i, date="2024-09-01", teacher="张老师", periods=3)
    with pytest.raises(PlacementError, match="晚于今天"):
        pl.log_session(ws, i, date="2024-09-10", teacher="张老师", periods=3, today=D("2024-09-09"))
    with pytest.raises(PlacementError, match="正整数"):
        pl.log_session(ws, i, date="2024-09-03", teacher="张老师", periods="三")
    with pytest.raises(PlacementError, match="1 到 12"):
        pl.log_session(ws, i, date="2024-09-03", teacher="张老师", periods=0)
    with pytest.raises(PlacementError, match="送教教师"):
        pl.log_session(ws, i, date="2024-09-03", teacher=" ", periods=3)
    pl.log_session(ws, i, date="2024.9.3", teacher="张老师", periods="3", content="识字")
    with pytest.raises(PlacementError, match="不能重复登记"):
        pl.log_session(ws, i, date="2024-09-03", teacher="张老师", periods=3)
    pl.log_session(ws, i, date="2024-09-05", teacher="李老师", periods=2)
    assert ws.store.get(i)["home_delivery"] == {"sessions": 2, "periods": 5, "last": "2024-09-05"}
    assert [s["date"] for s in pl.sessions_of(ws, i)] == ["2024-09-03", "2024-09-05"]


def test_check_behind_then_caught_up(ws, delivered):
    i = delivered
    for day in ("2024-09-03", "2024-09-05", "2024-09-10"):
        pl.log_session(ws, i, date=day, teacher="张老师", periods=3)
    behind = [a for a in pc.check(ws, D("2024-09-15")) if a.id_number == i]
    assert [a.kind for a in behind] == [pc.BEHIND]
    assert "应送4次12课时，实送3次9课时，少1次、3课时" in behind[0].message
    assert behind[0].responsible == "鹿角中心校 张老师、李老师"
    pl.log_session(ws, i, date="2024-09-12", teacher="李老师", periods=3)
    assert not [a for a in pc.check(ws, D("2024-09-15")) if a.id_number == i]
    view = pc.child_view(ws, i, D("2024-09-15"))
    assert view["compliance"] == pc.COMPLIANT and not view["delivery"]["behind"]


def test_profile_without_rule_has_no_frequency_check(tmp_path):
    workspace = Workspace.create(tmp_path / "d", find_profile("shanting-2019"), "tester")
    workspace.store.insert_many([child(1, birth_date="2010-03-02", id_number=make_id("370406", D("2010-03-02"), 3))],
                                "tester")
    i = workspace.store.ids()[0]
    workspace.store.update(i, {"student_no": "G" + i}, "tester")
    pl.assess(workspace, i, date="2019-06-10", members="甲", conclusion=NEEDS_HOME_DELIVERY)
    pl.place(workspace, i, HOME_DELIVERY, **FULL[HOME_DELIVERY])
    item = pc.disabled_children(workspace, D("2019-12-01"))[0]
    assert item.delivery.rule is None and not item.delivery.behind
    assert "未规定送教频次" in item.delivery.describe()


def test_check_lists_every_kind_of_action(ws, delivered):
    a, b, c, e, f = [i for i in ids(ws) if i != delivered][:5]
    pl.place(ws, a, MAINSTREAM, school="鹿角中心校")                                       # no assessment
    assess(ws, b, review="2024-12-31")
    pl.place(ws, b, MAINSTREAM, school="鹿角中心校")                                       # review passes
    assess(ws, c, NEEDS_SPECIAL_SCHOOL)                                                  # assessed, not placed
    ws.store.update(e, {"status": "户籍迁出"}, "tester")                                    # accounted for
    assess(ws, f)
    pl.place(ws, f, MAINSTREAM, school="鹿角中心校")                                       # fine
    kinds = {}
    for action in pc.check(ws, TODAY):
        kinds.setdefault(action.id_number, []).append(action.kind)
    assert kinds[a] == [pc.NO_ASSESSMENT]
    assert kinds[b] == [pc.REVIEW_DUE]
    assert kinds[c] == [pc.NO_PLACEMENT]
    assert e not in kinds and f not in kinds
    assert kinds[delivered] == [pc.BEHIND]
    untouched = [i for i in ids(ws) if i not in (a, b, c, e, f, delivered)]
    assert all(kinds[i] == [pc.NO_PLACEMENT] for i in untouched)
    message = next(x for x in pc.check(ws, TODAY) if x.id_number == untouched[0])
    assert message.responsible == "周老师" and "专家委员会" in message.message
    summary = pc.summary(ws, TODAY)
    assert summary["children"] == 10 and summary["by_compliance"][pc.NOT_NEEDED] == 1
    assert not any(r.get("name") == "普通儿童" for r in (i.record for i in pc.disabled_children(ws, TODAY)))


def test_children_outside_the_cohort_are_not_listed(ws):
    i = ids(ws)[0]
    ws.store.update(i, {"birth_date": "2005-01-01"}, "tester")          # 19 on the cutoff day
    assert i not in {a.id_number for a in pc.check(ws, TODAY)}


def test_roster_holds_exemptions(ws):
    i = ids(ws)[0]
    assess(ws, i, CANNOT_LEARN)
    pl.place(ws, i, EXEMPTION, **FULL[EXEMPTION])
    [(record, doc, assessment)] = pc.roster(ws)
    assert record["id_number"] == i and doc["option"] == EXEMPTION
    assert assessment["conclusion"] == CANNOT_LEARN
    assert ws.store.get(i)["status"] == "免予入学"
