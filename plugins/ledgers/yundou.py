"""熨斗镇 2022 (seed 001): 附件1, 附件2, 附件3 and the 筛查预警清单.

- ``yundou-survey`` 附件1 义务教育阶段适龄儿童少年摸底调查和就读情况名单: every child of ages 6–15 living in the
  villages, found on any list or by the survey, by village
- ``yundou-rural`` 附件2 农村义务教育阶段学龄人口台账: every child of the platform's rural list (the cohort:
  ``[cohorts.local] source = "poverty"``), verified one by one
- ``yundou-stats`` 附件3 农村义务教育阶段学龄人口台账统计表 (a report): counts per village of 附件2's children: in
  school by kind, not dropout by kind, 失学, 疑似辍学, 辍学, subtotals per school, total
- ``yundou-warning`` 义务教育控辍保学筛查预警清单: children of the cohort out of school (失学、疑似辍学、辍学) or at
  risk (在籍未在校、休学、无学籍就读), with the reason and the responsible person

附件3 is the stock statistics table (``statistics``) with 在校 split by kind and subtotals per school from the
profile's ``[responsibility]`` (熨斗初级中学 and 熨斗镇中心小学 each cover their villages): a variant made
with ``Report.but``, the way a county derives its own.
"""
from __future__ import annotations

from kbtui import api, hookimpl
from kbtui.api import Ledger
from kbtui.api import ledger_columns as lc
from kbtui_plugins.ledgers import _columns as cols
from kbtui_plugins.ledgers.statistics import STATISTICS, responsibility_sections, statistics_columns

PREFIX = "{township}{year}年"
AT_RISK = ("在籍未在校", "休学", *cols.NO_REGISTRY)


def _found_in_villages(record, ctx) -> bool:
    """附件1: ages 6–15, living in one of the villages, on any list or with a survey finding."""
    return bool(record.get("village")) and cols.in_age_window(record, ctx) and \
        bool(record.get("sources") or record.get("status"))


def _survey_situation(record, ctx) -> str:
    """附件1 lists children outside the platform's list too: their situation is 待核实 until found."""
    text = lc.situation_text(record, ctx)
    return api.PENDING_VISIT if text == api.OUTSIDE_COHORT else text


def _warning_kind(record, ctx) -> str:
    label = ctx.classify(record).situation
    if label in cols.PROBLEMS:
        return "失学辍学"
    if label in AT_RISK:
        return "辍学风险"
    return ""


def _on_warning_list(record, ctx) -> bool:
    return lc.is_local_cohort(record, ctx) and bool(_warning_kind(record, ctx))


SURVEY = Ledger(
    id="yundou-survey",
    title=PREFIX + "义务教育阶段适龄儿童少年摸底调查和就读情况名单",
    sheet="附件1",
    description="附件1：各村6—15周岁适龄儿童少年逐户摸底调查和就读情况（任何名单上有或入户发现的）",
    include=_found_in_villages,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(),
        lc.guardian(), lc.phone(), lc.family_type(), lc.school(), lc.grade(),
        lc.FieldColumn("就读情况", _survey_situation, 16, "status", True, lc.parse_situation),
        cols.visitors("调查人"), lc.note(),
    ),
)

RURAL = Ledger(
    id="yundou-rural",
    title=PREFIX + "农村义务教育阶段学龄人口台账",
    sheet="附件2",
    description="附件2：乡村振兴大数据平台农村6—15周岁人口逐人核实的入学就学情况",
    include=lc.is_local_cohort,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(),
        lc.family_type(), cols.yes_no("是否在校", cols.is_studying), lc.school(), lc.grade(),
        lc.situation("核实情况"), cols.evidence("不属于失学辍学佐证材料"), cols.visitors("核实人"),
        cols.visit_date(), lc.note(),
    ),
)

WARNING = Ledger(
    id="yundou-warning",
    title=PREFIX + "义务教育控辍保学筛查预警清单",
    sheet="筛查预警清单",
    description="学龄人口中失学辍学或有辍学风险（在籍未在校、休学、无学籍就读）的儿童：原因、帮扶措施、责任人",
    include=_on_warning_list,
    sort_key=lambda record: (0 if record.get("status") in cols.PROBLEMS else 1, *lc.natural_sort(record)),
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.age(), lc.family_type(),
        lc.school(editable=False), lc.grade(editable=False),
        lc.computed("预警类别", _warning_kind, 8), lc.situation("当前情况", 12), lc.reason("原因"),
        cols.measure("帮扶措施"), cols.responsible(), lc.guardian(), lc.phone(), lc.note(),
    ),
)

LEDGERS = (SURVEY, RURAL, WARNING)

STATS = STATISTICS.but(
    id="yundou-stats",
    title=PREFIX + "农村义务教育阶段学龄人口台账统计表",
    columns=lambda ctx: statistics_columns(ctx, studying_by_kind=True),
    include=lc.is_local_cohort,
    sections=responsibility_sections,
    sheet="附件3",
    description="附件3：按村统计附件2的学龄人口、在校（分类）、不属于失学辍学（分类）、失学辍学，分校小计和全镇合计",
)


@hookimpl
def kbtui_register_ledgers(registry) -> None:
    for ledger in LEDGERS:
        registry.add(ledger.id, ledger)


@hookimpl
def kbtui_register_reports(registry) -> None:
    registry.add(STATS.id, STATS)
