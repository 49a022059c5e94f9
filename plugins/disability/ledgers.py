"""Ledgers for disabled children: 适龄残疾儿童少年入学安置台账, 送教上门学生台账 (its session record is
``kbtui placement sessions``) and 免予入学名册. Columns read the summaries kept on the child record."""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.domain import disability as d
from kbtui.domain.ledger import Column, Ledger

_BASE = (
    d.record_column("姓名", "name", 8),
    d.record_column("性别", "sex", 4),
    d.record_column("身份证号", "id_number", 20),
    d.age_column(),
    d.record_column("村（社区）", "village", 10),
    d.record_column("残疾类别", "disability_category", 8),
    d.record_column("残疾等级", "disability_grade", 8),
    d.record_column("残疾证号", "disability_certificate", 22),
)


def _is_disabled_in_cohort(record, ctx) -> bool:
    return bool(record.get("disability_category")) and d.in_cohort(record, ctx)


def _option_is(*names):
    return lambda record, _ctx: d.placement_of(record).get("option") in names


def _responsible(record, _ctx) -> str:
    return record.get("responsible_edu") or record.get("responsible_gov") or ""


PLACEMENT_LEDGER = Ledger(
    id="disability-placement",
    title="{township}{year}年适龄残疾儿童少年入学安置台账",
    sheet="入学安置",
    description="本镇适龄残疾儿童少年：残疾情况、专家委员会评估、安置方式",
    include=_is_disabled_in_cohort,
    columns=_BASE + (
        Column("残疾信息来源", lambda record, _ctx: d.source_of(record), 8),
        d.assessment_column("评估日期", "date", 11),
        d.assessment_column("评估结论", "conclusion", 14),
        d.assessment_column("建议安置方式", "recommend", 12),
        d.placement_column("安置方式", "option", 12),
        d.placement_column("安置学校（机构）", "school", 16),
        d.placement_column("安置日期", "date", 11),
        d.placement_column("复评日期", "review_date", 11),
        d.situation_column("就学情况"),
        Column("责任人", _responsible, 8),
        d.record_column("备注", "note", 16),
    ),
)

HOME_DELIVERY_LEDGER = Ledger(
    id="home-delivery",
    title="{township}{year}年送教上门学生台账",
    sheet="送教上门",
    description="送教上门的学生、送教学校、教师、计划和送教次数（送教记录见 kbtui placement sessions）",
    include=_option_is(d.HOME_DELIVERY),
    columns=_BASE + (
        d.record_column("监护人", "guardian", 8),
        d.record_column("联系电话", "guardian_phone", 12),
        d.placement_column("送教学校", "school", 14),
        d.record_column("学籍号", "student_no", 20),
        d.placement_column("送教教师", "teachers", 12),
        d.placement_column("教学计划", "plan", 20),
        d.placement_column("开始日期", "start", 11),
        d.delivery_column("已送次数", "sessions", 8),
        d.delivery_column("已送课时", "periods", 8),
        d.delivery_column("最近送教", "last", 11),
    ),
)

EXEMPTION_ROSTER = Ledger(
    id="exemption-roster",
    title="{township}{year}年适龄残疾儿童少年免予入学名册",
    sheet="免予入学",
    description="经残疾人教育专家委员会评估认定暂不具备学习条件、免予入学的儿童",
    include=_option_is(d.EXEMPTION),
    columns=_BASE + (
        d.record_column("监护人", "guardian", 8),
        d.record_column("联系电话", "guardian_phone", 12),
        d.assessment_column("评估日期", "date", 11),
        d.assessment_column("专家委员会成员", "members", 20),
        d.assessment_column("评估结论", "conclusion", 14),
        d.placement_column("认定日期", "date", 11),
        d.placement_column("复评日期", "review_date", 11),
        d.record_column("备注", "note", 16),
    ),
)

LEDGERS = (PLACEMENT_LEDGER, HOME_DELIVERY_LEDGER, EXEMPTION_ROSTER)


@hookimpl
def kbtui_register_ledgers(registry):
    for ledger in LEDGERS:
        registry.add(ledger.id, ledger)
