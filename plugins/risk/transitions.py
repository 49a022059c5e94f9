"""Early-warning factors at the grade transitions.

- ``primary_to_junior`` (小升初): sixth-graders in the spring term and first-year junior pupils in the first
  weeks of the autumn term — the move to junior school is where pupils are lost (鹿角 2024: 衔接好学生转入、
  转出学校的各个环节).
- ``junior3_spring``: 初三 in the spring term, when pupils leave early for work or vocational school.
- ``vocational``: junior pupils gone to vocational school (山亭 2019, seed 004: 避免学生进入中职学校后的
  “隐性辍学”), more when the tracking notes say the pupil is no longer there.
"""
from kbtui import hookimpl
from kbtui.api import Hit, RiskFactor, words_in

VOCATIONAL = "职业学校就读"


def primary_to_junior(child, params):
    grade = child.grade()
    if grade == 6 and child.ctx.spring:
        return Hit(params["points"], "六年级下学期，即将小升初")
    term = child.ctx.term()
    if grade == 7 and not child.ctx.spring and term is not None \
            and (child.today - term[0]).days < params["weeks"] * 7:
        return Hit(params["points"], f"初一新生（开学{params['weeks']}周内）")
    return None


def junior3_spring(child, params):
    if child.grade() == 9 and child.ctx.spring:
        return Hit(params["points"], "初三下学期：防止提前离校打工或春季转入职业学校")
    return None


def vocational(child, params):
    record = child.record
    if child.situation != VOCATIONAL and not record.get("vocational_school"):
        return None
    tracking = record.get("vocational_tracking") or ""
    found = words_in(tracking, params["words"])
    school = record.get("vocational_school") or "职业学校"
    if found:
        return Hit(params["hidden"], f"在{school}就读，跟踪情况“{tracking}”：疑似隐性辍学")
    return Hit(params["points"], f"在{school}就读，须跟踪防止隐性辍学")


FACTORS = (
    RiskFactor("primary_to_junior", "小升初", primary_to_junior, {"points": 15, "weeks": 6},
               "春季学期的六年级学生、秋季开学 weeks 周内的七年级（初一）学生",
               "鹿角镇2024（衔接好学生转入、转出学校的各个环节）"),
    RiskFactor("junior3_spring", "初三春季", junior3_spring, {"points": 15},
               "春季学期的九年级（初三）学生", "山亭区2019（春季提前到职业学校学习的初三学生）"),
    RiskFactor("vocational", "职业学校跟踪", vocational,
               {"points": 20, "hidden": 40, "words": ["流失", "未到校", "未在校", "不在校", "离校", "辍学", "打工"]},
               "到职业学校就读的初中学生计 points 分；跟踪情况写有 words 中的词（疑似隐性辍学）计 hidden 分",
               "山亭区2019（避免学生进入中职学校后的“隐性辍学”）"),
)


@hookimpl
def kbtui_register_risk_factors(registry):
    for factor in FACTORS:
        registry.add(factor.id, factor)
