"""Ledgers for disabled children: 适龄残疾儿童少年入学安置台账, 送教上门学生台账 (with a second sheet 送教记录:
every session of each child's current home-delivery placement) and 免予入学名册. Columns read the summaries
kept on the child record; the 送教记录 sheet reads the ``delivery_sessions`` collection."""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import Column, Ledger, SheetColumn, SheetSpec
from kbtui.api import disability as d

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


def _session_rows(records, ctx):
    """送教记录: per child (in the ledger's order), each session of its current placement, by date."""
    by_child: dict[str, list[dict]] = {}
    for session in ctx.collection(d.SESSIONS_COLLECTION):
        by_child.setdefault(session.get("id_number") or "", []).append(session)
    for record in records:
        current = d.placement_of(record).get("key")
        sessions = [s for s in by_child.get(record.get("id_number") or "", [])
                    if not current or s.get("placement") == current]
        for s in sorted(sessions, key=lambda s: (s.get("date") or "", s.get("_at") or "")):
            yield [record.get("name") or "", record.get("id_number") or "", s.get("date") or "",
                   s.get("teacher") or "", s.get("periods") or "", s.get("content") or ""]


SESSION_SHEET = SheetSpec(
    title="送教记录",
    heading="{township}{year}年送教上门送教记录",
    columns=(SheetColumn("姓名", 8, "name"), SheetColumn("身份证号", 20, "id_number"),
             SheetColumn("送教日期", 11), SheetColumn("送教教师", 10), SheetColumn("课时", 6),
             SheetColumn("送教内容", 40)),
    rows=_session_rows,
    collections=(d.SESSIONS_COLLECTION,),
)

HOME_DELIVERY_LEDGER = Ledger(
    id="home-delivery",
    title="{township}{year}年送教上门学生台账",
    sheet="送教上门",
    description="送教上门的学生、送教学校、教师、计划和送教次数；第二张表为每次送教的记录",
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
    extra_sheets=(SESSION_SHEET,),
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
