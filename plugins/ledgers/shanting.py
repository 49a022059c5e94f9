"""山亭区 2019 (seed 004): the base database, the special-needs database, the vocational tracking list,
the semester dropout report and the November comparison report.

- ``shanting-base`` 适龄入学儿童基础信息数据库 (ledger): children of ages 6–14 on any of the four departments' lists
  (公安 police, 扶贫 poverty, 残联 disability, 民政 civil), which lists
- ``shanting-special`` 特殊学生信息库 (ledger, title with the date it was refreshed): children of the cohort who are
  disabled, orphans, left behind, from 建档立卡 poor families, economically difficult, or 学困生
- ``shanting-vocational`` 初中学生进入职业学校跟踪台账 (ledger): junior pupils who went to vocational school (situation
  职业学校就读) or graduated (初中已毕业): the school, the tracking, hidden dropout
- ``shanting-semester-dropout`` 义务教育阶段学生辍学情况报告 (report, due end of March and end of October): per school:
  pupils, 疑似辍学, 辍学 by reason, 劝返复学 this semester, dropout rate
- ``shanting-comparison`` 适龄儿童入学情况比对核查报告 (report, due end of November): per 镇街: children of the entry
  age in the base database vs pupils of 一年级 on the school lists

The situation 职业学校就读 (studying, evidence needed) is registered here.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from kbtui import hookimpl
from kbtui.api import (
    DROPOUT_REASONS,
    Kind,
    Ledger,
    LedgerContext,
    Report,
    ReportContext,
    Situation,
    age_on_cutoff,
    by_town,
    count,
    profile_towns,
    rate,
    school_sections,
    total_of,
)
from kbtui.api import ledger_columns as lc
from kbtui_plugins.ledgers import _columns as cols

PREFIX = "{township}{year}年"
VOCATIONAL = Situation(cols.VOCATIONAL, Kind.STUDYING, True,
                       "初中学生（含春季提前）到职业学校就读，须跟踪防止隐性辍学；需职业学校在读证明")
SOURCES = dict(cols.FOUR_DEPARTMENTS)
FIRST_GRADE = "一年级"


# --------------------------------------------------------------------------- who is in the base database

def base_sources(record) -> list[str]:
    return [s for s in (record.get("sources") or ()) if s in SOURCES]


def in_base(record, ctx) -> bool:
    """On one of the four departments' lists, of the ages of the base database (6–14)."""
    return bool(base_sources(record)) and cols.in_age_window(record, ctx)


def _source_mark(source: str):
    return lc.computed(SOURCES[source], lambda record, _ctx: cols.mark(source in (record.get("sources") or ())), 5)


BASE = Ledger(
    id="shanting-base",
    title=PREFIX + "适龄入学儿童基础信息数据库",
    sheet="基础数据库",
    description="公安、扶贫、残联、民政四部门提供的6—14周岁适龄儿童信息汇总，注明来源",
    include=in_base,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(),
        lc.household_address(), lc.guardian(), lc.phone(), lc.family_type(), lc.key_groups(),
        lc.text("残疾类别", "disability_category", 8), lc.text("残疾等级", "disability_grade", 8),
        *(_source_mark(s) for s in SOURCES),
        lc.school(editable=False), lc.grade(editable=False), lc.situation("就学情况", 12),
    ),
)


# --------------------------------------------------------------------------- the special-needs database

def _groups(record) -> list:
    return list(record.get("key_groups") or [])


SPECIAL_CATEGORIES = (
    ("残疾", lambda r: bool(r.get("disability_category")) or "残疾" in _groups(r)),
    ("孤儿", lambda r: "孤儿" in _groups(r) or "事实无人抚养" in _groups(r)),
    ("留守儿童", lambda r: "留守儿童" in _groups(r)),
    ("建档立卡贫困", lambda r: r.get("family_type") in ("脱贫户", "监测户")),
    ("家庭经济困难", lambda r: r.get("family_type") in ("低保户", "特困供养") or "困境儿童" in _groups(r)),
    ("学困生", lambda r: "学困生" in _groups(r)),
)


def special_categories(record) -> list[str]:
    return [name for name, test in SPECIAL_CATEGORIES if test(record)]


def _is_special(record, ctx) -> bool:
    """Of the cohort or in the base database (a child only on the 残联 or 民政 list counts too)."""
    return (cols.in_campaign(record, ctx) or in_base(record, ctx)) and bool(special_categories(record))


@dataclasses.dataclass(frozen=True)
class DatedLedger(Ledger):
    """A ledger whose title ends with the date it was refreshed (the day it is produced)."""

    def title_for(self, ctx: LedgerContext) -> str:
        day = ctx.today
        return f"{super().title_for(ctx)}（{day.year}年{day.month}月{day.day}日更新）"


def _category_mark(name, test):
    return lc.computed(name, lambda record, _ctx: cols.mark(test(record)), 5)


SPECIAL = DatedLedger(
    id="shanting-special",
    title=PREFIX + "特殊学生信息库",
    sheet="特殊学生信息库",
    description="每学期开学两周内更新：残疾、孤儿、留守儿童、建档立卡贫困、家庭经济困难、学困生等特殊需要学生",
    include=_is_special,
    sort_key=lambda record: (record.get("school") or "", *lc.natural_sort(record)),
    columns=(
        lc.village(), lc.school(editable=False), lc.grade(editable=False),
        lc.class_name(editable=False), lc.name(), lc.sex(), lc.id_number(), lc.age(),
        *(_category_mark(name, test) for name, test in SPECIAL_CATEGORIES),
        lc.computed("特殊需要类别", lambda record, _ctx: "、".join(special_categories(record)), 14),
        lc.situation("就学情况", 12), lc.guardian(), lc.phone(), cols.measure("控辍保学措施"),
        cols.responsible(), cols.visit_date(),
    ),
)


# --------------------------------------------------------------------------- vocational tracking

HIDDEN_DROPOUT_WORDS = ("流失", "未到校", "未在校", "辍学", "不在校", "离校")


def _vocational_school(record, _ctx) -> str:
    if record.get("vocational_school"):
        return str(record["vocational_school"])
    return str(record.get("status_note") or "") if record.get("status") == cols.VOCATIONAL else ""


def _hidden_dropout(record, _ctx) -> str:
    tracking = str(record.get("vocational_tracking") or "")
    return "是" if any(word in tracking for word in HIDDEN_DROPOUT_WORDS) else ""


def _is_vocational(record, ctx) -> bool:
    return ctx.classify(record).situation in (cols.VOCATIONAL, cols.GRADUATED) or bool(record.get("vocational_school"))


VOCATIONAL_LEDGER = Ledger(
    id="shanting-vocational",
    title=PREFIX + "初中学生进入职业学校跟踪台账",
    sheet="职业学校跟踪",
    description="提前（春季）到职业学校就读的初中学生和初中毕业生：职业学校、跟踪情况，防止隐性辍学",
    include=_is_vocational,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(),
        lc.text("原初中学校", "school", 16), lc.computed("去向", cols.situation, 12),
        lc.FieldColumn("职业学校", _vocational_school, 18, "vocational_school", True, lc.clean_text),
        lc.text("入学时间", "vocational_since", 10, editable=True),
        lc.text("跟踪情况", "vocational_tracking", 20, editable=True),
        lc.computed("是否隐性辍学", _hidden_dropout, 8), cols.visit_date("最近核实日期"),
        cols.responsible("跟踪责任人"), lc.guardian(), lc.phone(), lc.note(),
    ),
)

LEDGERS = (BASE, SPECIAL, VOCATIONAL_LEDGER)


# --------------------------------------------------------------------------- the semester dropout report

def semester(day: dt.date) -> tuple[str, dt.date, dt.date, dt.date]:
    """(name, first day, last day, report due) of the semester ``day`` falls in."""
    if 2 <= day.month <= 7:
        return "春季学期", dt.date(day.year, 2, 1), dt.date(day.year, 7, 31), dt.date(day.year, 3, 31)
    year = day.year if day.month >= 8 else day.year - 1
    return "秋季学期", dt.date(year, 8, 1), dt.date(year + 1, 1, 31), dt.date(year, 10, 31)


def _semester_vars(ctx: ReportContext) -> dict:
    name, first, _last, due = semester(ctx.today)
    school_year = f"{first.year}—{first.year + 1}学年" if name == "秋季学期" else f"{first.year - 1}—{first.year}学年"
    return {"semester": f"{school_year}{name}", "due": f"{due.year}年{due.month}月{due.day}日"}


def _school_row(record, ctx: ReportContext) -> str:
    school = str(record.get("school") or "")
    return school if school in ctx.profile.schools else "其他学校、外地就读或无学籍"


def _dropout_like(record, ctx) -> bool:
    return ctx.classify(record).situation in ("疑似辍学", "辍学")


def _reason_is(reason: str):
    def test(record, ctx) -> bool:
        if not _dropout_like(record, ctx):
            return False
        given = str(record.get("status_reason") or "")
        if reason == "其他":
            return given not in DROPOUT_REASONS or given == "其他"
        return given == reason
    return test


def _returned_this_semester(record, ctx: ReportContext) -> bool:
    if ctx.classify(record).situation != "劝返复学":
        return False
    _name, first, last, _due = semester(ctx.today)
    for entry in reversed(record.get("status_history") or []):
        if entry.get("status") == "劝返复学":
            try:
                return first <= dt.date.fromisoformat(str(entry.get("date"))) <= last
            except ValueError:
                return False
    return False


def _semester_columns(ctx: ReportContext) -> tuple:
    reasons = [count(reason, f"reason:{reason}", _reason_is(reason), 6, group="疑似辍学、辍学原因")
               for reason in DROPOUT_REASONS]
    return (
        count("在校生", "studying", cols.is_studying, 7),
        count("疑似辍学", "suspected", cols.situation_is("疑似辍学"), 6, group="辍学情况"),
        count("辍学", "dropout", cols.situation_is("辍学"), 6, group="辍学情况"),
        total_of("小计", "dropout_total", ["suspected", "dropout"], 6, group="辍学情况"),
        *reasons,
        count("本学期劝返复学", "returned", _returned_this_semester, 8),
        rate("辍学率（%）", "dropout_rate", ["suspected", "dropout"], ["studying", "suspected", "dropout"]),
    )


SEMESTER_DROPOUT = Report(
    id="shanting-semester-dropout",
    title=PREFIX.replace("{year}年", "") + "义务教育阶段学生辍学情况报告（{semester}）",
    subtitle="报送区教体局截止日期：{due}（每年3月底、10月底前各报一次）",
    title_vars=_semester_vars,
    columns=_semester_columns,
    include=lambda record, ctx: cols.in_campaign(record, ctx) and (cols.is_studying(record, ctx)
                                                                     or _dropout_like(record, ctx)),
    group_by=_school_row,
    label_header="学校",
    label_width=18,
    groups=lambda ctx: list(ctx.profile.schools),
    sections=school_sections,          # the district's schools by town (学区), with subtotals
    notes=(
        "注：1. 在校生含劝返复学的学生；辍学率＝（疑似辍学人数＋辍学人数）÷（在校生人数＋疑似辍学人数＋辍学人数）"
        "×100%，保留两位小数。",
        "2. 各原因人数之和等于疑似辍学与辍学人数之和（原因未填或不在所列原因中的计入“其他”）。",
        "3. 每名辍学学生的基本情况、辍学原因、劝返措施和劝返结果见辍学学生台账、疑似辍学学生台账（一人一案）。",
    ),
    sheet="辍学情况",
    description="每年3月底、10月底前报区教体局：各校在校生、疑似辍学、辍学（分原因）、本学期劝返复学和辍学率",
)


# --------------------------------------------------------------------------- the November comparison

def _entry_age(record, ctx) -> bool:
    return age_on_cutoff(record, ctx.profile.cutoff) == ctx.profile.cohorts["local"].window.low


def _base_entrant(record, ctx) -> bool:
    return in_base(record, ctx) and _entry_age(record, ctx)


def _first_grade_pupil(record) -> bool:
    return "school" in (record.get("sources") or ()) and record.get("grade") == FIRST_GRADE


def _new_pupil_not_in_base(record, ctx) -> bool:
    return _first_grade_pupil(record) and not in_base(record, ctx)


def _base_and(test):
    return lambda record, ctx: _base_entrant(record, ctx) and test(record, ctx)


def _in_first_grade(record, ctx) -> bool:
    return _first_grade_pupil(record) and cols.is_studying(record, ctx)


def _studying_elsewhere(record, ctx) -> bool:
    return cols.is_studying(record, ctx) and not _first_grade_pupil(record)


def _other_not_dropout(record, ctx) -> bool:
    label = ctx.classify(record).situation
    return cols.kind_of(label, ctx) == Kind.NOT_DROPOUT and label not in ("延缓入学", "免予入学")


def _not_enrolled(record, ctx) -> bool:
    return cols.kind_of(ctx.classify(record).situation, ctx) == Kind.PROBLEM


def _unexplained(record, ctx) -> bool:
    return not (cols.is_studying(record, ctx) or cols.kind_of(ctx.classify(record).situation, ctx)
                in (Kind.NOT_DROPOUT, Kind.PROBLEM))


COMPARISON = Report(
    id="shanting-comparison",
    title=PREFIX + "适龄儿童入学情况比对核查报告",
    columns=(
        count("基础数据库适龄儿童", "base", _base_entrant, 9),
        count("一年级在读", "first_grade", _base_and(_in_first_grade), 7, group="已入学"),
        count("其他就读", "elsewhere", _base_and(_studying_elsewhere), 7, group="已入学"),
        count("延缓入学", "deferred", _base_and(cols.situation_is("延缓入学")), 6, group="未入学"),
        count("免予入学", "exempt", _base_and(cols.situation_is("免予入学")), 6, group="未入学"),
        count("其他不属于失学辍学", "other_not_dropout", _base_and(_other_not_dropout), 8, group="未入学"),
        count("失学辍学", "not_enrolled", _base_and(_not_enrolled), 6, group="未入学"),
        count("待核实", "unexplained", _base_and(_unexplained), 6, group="未入学"),
        rate("入学率（%）", "enrolment_rate", ["first_grade", "elsewhere"], ["base"],
             ["deferred", "exempt", "other_not_dropout"], 8),
        count("一年级新生中不在基础数据库的", "new_not_in_base", _new_pupil_not_in_base, 10),
    ),
    include=lambda record, ctx: _base_entrant(record, ctx) or _new_pupil_not_in_base(record, ctx),
    group_by=by_town,
    groups=profile_towns,
    label_header="镇（街道）",
    notes=(
        "注：1. 基础数据库适龄儿童为四部门（公安、扶贫、残联、民政）名单中截至{year}年8月31日满6周岁的儿童；"
        "新生为各校学籍名单中一年级的学生。",
        "2. 基础数据库适龄儿童＝一年级在读＋其他就读＋延缓入学＋免予入学＋其他不属于失学辍学＋失学辍学＋待核实；"
        "其他就读指在外地、特殊教育学校、送教上门或其他年级就读。",
        "3. 入学率＝（一年级在读＋其他就读）÷（基础数据库适龄儿童－延缓入学－免予入学－其他不属于失学辍学）×100%，"
        "保留两位小数。",
        "4. 未按时入学、未申请延缓入学或免予入学的儿童须逐一核实去向；每年11月底前区教育局比对核查并全区通报。",
    ),
    sheet="比对核查",
    description="11月底前：基础数据库中入学年龄儿童与一年级新生名单比对，逐一落实去向",
)

REPORTS = (SEMESTER_DROPOUT, COMPARISON)


@hookimpl
def kbtui_register_statuses(registry) -> None:
    registry.add(VOCATIONAL)


@hookimpl
def kbtui_register_ledgers(registry) -> None:
    for ledger in LEDGERS:
        registry.add(ledger.id, ledger)


@hookimpl
def kbtui_register_reports(registry) -> None:
    for report in REPORTS:
        registry.add(report.id, report)
