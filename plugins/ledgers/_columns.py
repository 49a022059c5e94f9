"""Columns and tests shared by the seed ledgers and reports (熨斗, 双城, 山亭, national, statistics).

Not a plugin itself (the leading underscore keeps it out of plugin discovery). Ledger columns are
:mod:`kbtui.domain.ledger_columns` columns; report columns are :mod:`kbtui.domain.report` columns.
"""
from __future__ import annotations

from typing import Any

from kbtui import api
from kbtui.api import LedgerContext, Record, birth_date
from kbtui.api import ledger_columns as lc

#: A situation this plugin family registers (山亭 hidden dropout tracking; 双城 category 8).
VOCATIONAL = "职业学校就读"
GRADUATED = "初中已毕业"
PROBLEMS = ("失学", "疑似辍学", "辍学")
NO_REGISTRY = ("区域内就读无学籍", "省内外就读无学籍")
FOUR_DEPARTMENTS = (("police", "公安"), ("poverty", "扶贫"), ("disability", "残联"), ("civil", "民政"))

_CORE = api.StatusRegistry()


def kind_of(label: str, ctx: LedgerContext) -> api.Kind | None:
    """The kind of a situation: from the workspace's statuses when the context has them (reports), else
    the core vocabulary plus the situations of the stock plugins."""
    statuses = getattr(ctx, "statuses", None)
    kind = statuses.kind_of(label) if statuses is not None else _CORE.kind_of(label)
    if kind is None and (label in lc.STUDYING_ENROLLED or label == VOCATIONAL):
        return api.Kind.STUDYING
    return kind


def situation(record: Record, ctx: LedgerContext) -> str:
    return ctx.classify(record).situation


def situation_is(*labels: str):
    return lambda record, ctx: ctx.classify(record).situation in labels


def is_studying(record: Record, ctx: LedgerContext) -> bool:
    """In school in some form (with or without 学籍), or back at school (劝返复学)."""
    return kind_of(situation(record, ctx), ctx) in (api.Kind.STUDYING, api.Kind.RESOLVED)


def in_campaign(record: Record, ctx: LedgerContext) -> bool:
    return ctx.classify(record).in_campaign


def in_age_window(record: Record, ctx: LedgerContext) -> bool:
    """Born within the local cohort's ages, whichever list the child is on."""
    born = birth_date(record)
    return born is not None and ctx.profile.cohorts["local"].window.contains(born)


def last_entry(record: Record) -> dict:
    history = record.get("status_history") or []
    return history[-1] if history else {}


def visitors(header: str = "调查人", width: int = 10) -> lc.FieldColumn:
    """Who visited last (from the finding's history), or what was written in the ledger (排查人)."""
    def value(record: Record, _ctx) -> str:
        entry = last_entry(record)
        people = entry.get("visitors") or ([entry["by"]] if entry.get("by") else [])
        return "、".join(str(p) for p in people) or str(record.get("surveyor") or "")
    return lc.computed(header, value, width)


def visit_date(header: str = "核实日期", width: int = 11) -> lc.FieldColumn:
    return lc.computed(header, lambda record, _ctx: str(last_entry(record).get("date") or ""), width)


def evidence(header: str = "佐证材料", width: int = 18) -> lc.FieldColumn:
    """The evidence kept for the finding (descriptions), for not-dropout cases."""
    def value(record: Record, _ctx) -> str:
        items = record.get("evidence") or []
        return "、".join(dict.fromkeys(str(e.get("description") or "") for e in items if isinstance(e, dict))) \
            .strip("、")
    return lc.computed(header, value, width)


def responsible(header: str = "责任人", width: int = 10) -> lc.FieldColumn:
    """Education-line and government-line responsible persons (or the persuader of a case)."""
    def value(record: Record, _ctx) -> str:
        names = [record.get("responsible_edu"), record.get("responsible_gov"), record.get("persuader")]
        return "、".join(dict.fromkeys(str(n) for n in names if n))
    return lc.computed(header, value, width)


def measure(header: str = "采取措施", width: int = 20) -> lc.FieldColumn:
    """The measure taken for the child (free text, filled in on paper and imported back)."""
    return lc.text(header, "measure", width, editable=True)


def yes_no(header: str, test, width: int = 6) -> lc.FieldColumn:
    return lc.computed(header, lambda record, ctx: "是" if test(record, ctx) else "否", width)


def mark(value: Any) -> str:
    return "√" if value else ""
