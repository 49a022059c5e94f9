"""Ledger columns for disabled children, computed from the summaries kept on the child record (current
placement, latest assessment, home-delivery totals), and the cohort test ledgers use."""
from __future__ import annotations

from typing import Any

from kbtui.domain.child import Record, display
from kbtui.domain.disability_info import Doc
from kbtui.domain.disability_placement import placement_value
from kbtui.domain.ledger import Column, LedgerContext


def placement_of(record: Record) -> Doc:
    """The summary of the child's current placement kept on the record (empty if none)."""
    value = record.get("placement")
    return value if isinstance(value, dict) else {}


def assessment_of(record: Record) -> Doc:
    value = record.get("assessment")
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def placement_column(header: str, key: str, width: int = 12) -> Column:
    """A ledger column showing one field of the child's current placement (``school``, ``teachers``,
    ``plan``, ``start``, ``date``, ``option`` or a field an option declares in ``fields``)."""
    return Column(header, lambda record, _ctx: _text(placement_value(placement_of(record), key)), width)


def assessment_column(header: str, key: str, width: int = 12) -> Column:
    """A ledger column showing one field of the child's latest assessment (``date``, ``conclusion``,
    ``recommend``, ``review_date``, ``members``)."""
    return Column(header, lambda record, _ctx: _text(assessment_of(record).get(key)), width)


def delivery_column(header: str, key: str, width: int = 10) -> Column:
    """A ledger column from the home-delivery totals kept on the record (``sessions``, ``periods``, ``last``)."""
    return Column(header, lambda record, _ctx: _text((record.get("home_delivery") or {}).get(key)), width)


def record_column(header: str, key: str, width: int = 12) -> Column:
    """A column showing one record field (its ``key`` lets exports mask ID-like and phone fields)."""
    return Column(header, lambda record, _ctx: display(record, key), width, key)


def age_column(header: str = "年龄", width: int = 6) -> Column:
    return Column(header, lambda record, ctx: _text(ctx.classify(record).age), width)


def situation_column(header: str = "就学情况", width: int = 10) -> Column:
    return Column(header, lambda record, ctx: ctx.classify(record).situation, width)


def in_cohort(record: Record, ctx: LedgerContext) -> bool:
    return ctx.classify(record).in_campaign


__all__ = ["age_column", "assessment_column", "assessment_of", "delivery_column", "in_cohort",
           "placement_column", "placement_of", "record_column", "situation_column"]
