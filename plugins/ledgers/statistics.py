"""The statistics table (控辍保学统计表) for any profile: per village, the cohort, 在校, each not-dropout
kind, 失学, 疑似辍学, 辍学, 待核实, and the rates 入学率 and 巩固率, with how they are computed written
under the table.

Every child of the campaign's cohorts is counted once, in the row of the village of his 户籍 (``village``),
in exactly one column of the balance::

    学龄人口 = 在校 + 不属于失学辍学（小计） + 失学 + 疑似辍学 + 辍学 + 待核实

The kind of each situation comes from the workspace's statuses (``Kind``), so a situation added by a
plugin is counted where its kind says. :func:`statistics_columns` and :data:`STATISTICS` are reused by the
熨斗 附件3 (``yundou-stats``), a variant with 在校 by kind and subtotals per school.
"""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import Kind, Report, ReportContext, count, rate, total_of
from kbtui_plugins.ledgers import _columns as cols

STUDYING = "在校"
NOT_DROPOUT = "不属于失学辍学"
PROBLEM = "失学辍学"
PROBLEM_KEYS = {"失学": "out_of_school", "疑似辍学": "suspected", "辍学": "dropout"}

NOTES = (
    "注：1. 统计范围为{township}{year}年排查范围内的适龄儿童，按户籍所在村（社区）统计；"
    "学龄人口＝在校＋不属于失学辍学＋"
    "失学＋疑似辍学＋辍学＋待核实（待核实为尚未入户核实或核实未结束的儿童）。",
    "2. 入学率＝（在校人数＋疑似辍学人数＋辍学人数）÷（学龄人口－不属于失学辍学人数）×100%，"
    "即应入学儿童中已入学的比例；"
    "失学和待核实的儿童计入分母、不计入分子。",
    "3. 巩固率＝在校人数÷（在校人数＋疑似辍学人数＋辍学人数）×100%，即已入学儿童中仍在校的比例。",
    "4. 在校含在籍在校、随班就读、特校就读、送教上门、外地就读、无学籍就读和劝返复学；"
    "不属于失学辍学的各类情况均须有佐证材料。"
    "比率保留两位小数；合计行为各村之和。",
)


def _labels(ctx: ReportContext) -> tuple[list[str], list[str], list[str]]:
    statuses = ctx.statuses
    studying = statuses.labels(Kind.STUDYING) + statuses.labels(Kind.RESOLVED)
    not_dropout = statuses.labels(Kind.NOT_DROPOUT)
    problems = [p for p in PROBLEM_KEYS if p in statuses] + \
        [p for p in statuses.labels(Kind.PROBLEM) if p not in PROBLEM_KEYS]
    return studying, not_dropout, problems


def _counted(ctx: ReportContext) -> set[str]:
    studying, not_dropout, problems = _labels(ctx)
    return set(studying) | set(not_dropout) | set(problems)


def _pending(record, ctx: ReportContext) -> bool:
    """Anything not in another column: derived situations waiting for a visit, unknown labels."""
    return ctx.classify(record).situation not in _counted(ctx)


def statistics_columns(ctx: ReportContext, *, studying_by_kind: bool = False) -> tuple:
    """The columns of the statistics table, built from the registered situations.

    ``studying_by_kind``: 在校 split by situation (随班就读、外地就读 …) under a 在校 band, with a 小计."""
    studying, not_dropout, problems = _labels(ctx)
    out = [count("学龄人口", "cohort", lambda record, ctx: True, 6)]
    if studying_by_kind:
        kinds = [count(label, f"studying:{label}", cols.situation_is(label), 6, group=STUDYING) for label in studying]
        out += [total_of("小计", "studying", [k.key for k in kinds], 6, group=STUDYING), *kinds]
    else:
        out.append(count(STUDYING, "studying", cols.situation_is(*studying), 6))
    kinds = [count(label, f"not_dropout:{label}", cols.situation_is(label), 5, group=NOT_DROPOUT)
             for label in not_dropout]
    out += [total_of("小计", "not_dropout", [k.key for k in kinds], 6, group=NOT_DROPOUT), *kinds]
    out += [count(label, PROBLEM_KEYS.get(label, f"problem:{label}"), cols.situation_is(label), 6, group=PROBLEM)
            for label in problems]
    out.append(count("待核实", "pending", _pending, 6))
    entered = ["studying"] + [PROBLEM_KEYS[p] for p in ("疑似辍学", "辍学") if p in problems]
    out += [rate("入学率（%）", "enrolment_rate", entered, ["cohort"], ["not_dropout"], 8),
            rate("巩固率（%）", "retention_rate", ["studying"], entered, (), 8)]
    return tuple(out)


STATISTICS = Report(
    id="statistics",
    title="{township}{year}年义务教育控辍保学统计表",
    columns=statistics_columns,
    include=cols.in_campaign,
    notes=NOTES,
    sheet="统计表",
    description="按村统计学龄人口、在校、不属于失学辍学（分类）、失学、疑似辍学、辍学、待核实，入学率和巩固率",
)


def responsibility_sections(ctx: ReportContext) -> list[tuple[str, list[str]]]:
    """Subtotals per school from the profile's ``[responsibility]`` (school → its villages)."""
    table = ctx.profile.settings.responsibility.school_villages
    return [(f"{school}小计", [str(v) for v in villages]) for school, villages in table.items()]


@hookimpl
def kbtui_register_reports(registry) -> None:
    registry.add(STATISTICS.id, STATISTICS)
