"""Escalation ledgers: 疑似辍学学生台账 (``suspected-dropout``), 辍学学生台账 (``dropout``) and the
劝返情况记录 summary (``persuasion``: every child with a case, its persuader and last attempt).

The per-case 劝返情况记录 workbook (every attempt of one case) is ``kbtui case record CASE``
(``kbtui.services.escalation.case_forms.write_case_record``). The case facts printed here are copied onto the child
record by the escalation services (``absence_from``, ``persuader``, ``persuasion``, ``status_reason``);
a caller may also pass ``LedgerContext.extra["cases"]`` (``services.escalation.cases.ledger_extra``).
"""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import DROPOUT, RETURNED, SUSPECTED, Ledger
from kbtui.api import ledger_columns as lc


def _case(record, ctx) -> dict:
    return (ctx.extra.get("cases") or {}).get(record.get("id_number")) or {}


def _marked_on(status: str):
    def value(record, _ctx) -> str:
        for entry in reversed(record.get("status_history") or []):
            if entry.get("status") == status:
                return entry.get("date") or ""
        return ""
    return value


def _field_or_case(key: str, case_key: str):
    def value(record, ctx) -> str:
        return record.get(key) or _case(record, ctx).get(case_key) or ""
    return value


def _situation_is(status: str):
    return lambda record, ctx: ctx.classify(record).situation == status


def _has_case(record, ctx) -> bool:
    return bool(record.get("persuader") or record.get("persuasion") or _case(record, ctx)) and \
        ctx.classify(record).situation in (SUSPECTED, DROPOUT, RETURNED)


def _columns(status: str):
    return (
        lc.village(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.school(editable=False),
        lc.grade(editable=False), lc.guardian(), lc.phone(),
        lc.computed("缺课开始日期", _field_or_case("absence_from", "opened_on"), 12),
        lc.computed(f"标注{status}日期", _marked_on(status), 12),
        lc.computed("原因", _field_or_case("status_reason", "reason"), 14),
        lc.computed("劝返责任人", _field_or_case("persuader", "persuader"), 10),
        lc.computed("劝返情况", _field_or_case("persuasion", "outcome"), 30),
    )


SUSPECTED_LEDGER = Ledger(
    id="suspected-dropout",
    title="{township}{year}年疑似辍学学生台账",
    sheet="疑似辍学",
    description="当前情况为疑似辍学的学生：缺课开始日期、标注日期、原因、劝返责任人和劝返情况",
    include=_situation_is(SUSPECTED),
    sort_key=lc.natural_sort,
    columns=_columns(SUSPECTED),
)

DROPOUT_LEDGER = Ledger(
    id="dropout",
    title="{township}{year}年辍学学生台账",
    sheet="辍学",
    description="当前情况为辍学的学生：缺课开始日期、认定日期、原因、劝返责任人和劝返情况",
    include=_situation_is(DROPOUT),
    sort_key=lc.natural_sort,
    columns=_columns(DROPOUT),
)

PERSUASION_LEDGER = Ledger(
    id="persuasion",
    title="{township}{year}年劝返情况记录汇总",
    sheet="劝返情况",
    description="有劝返案卷的学生（劝返中和已劝返复学）：劝返责任人、最近一次劝返和结果",
    include=_has_case,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.name(), lc.sex(), lc.id_number(), lc.school(editable=False), lc.guardian(), lc.phone(),
        lc.computed("当前情况", lambda record, ctx: ctx.classify(record).situation, 10),
        lc.computed("原因", _field_or_case("status_reason", "reason"), 14),
        lc.computed("劝返责任人", _field_or_case("persuader", "persuader"), 10),
        lc.computed("最近一次劝返", _field_or_case("persuasion", "outcome"), 36),
        lc.computed("复学日期", _marked_on(RETURNED), 12),
    ),
)


@hookimpl
def kbtui_register_ledgers(registry):
    for ledger in (SUSPECTED_LEDGER, DROPOUT_LEDGER, PERSUASION_LEDGER):
        registry.add(ledger.id, ledger)
