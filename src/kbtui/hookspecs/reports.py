"""Report hooks: forms that are not one row per child (counts per village or school, with totals)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.domain.report import Report
    from kbtui.registry import Registry


@hookspec
def kbtui_register_reports(registry: Registry[Report]) -> None:
    """Add reports (报表): ``registry.add(report.id, report)``; ``registry.replace`` overrides one.

    A ``Report`` (``kbtui.domain.report``) is data: an id, a title template (as a ledger's), the children
    it counts (``include(record, ctx)``), how they are grouped into rows (``group_by(record, ctx)``, the
    fixed rows ``groups(ctx)``, subtotal ``sections(ctx)``), columns (``count``, ``rate``, ``total_of`` or
    any ``ReportColumn``) and ``notes`` printed under the table. ``ctx`` is a ``ReportContext``:
    ``ctx.classify(record)``, ``ctx.kind(record)``, ``ctx.statuses``, ``ctx.ledgers``, ``ctx.profile``.
    Totals are checked to add up and exported as ``=SUM(...)`` formulas. The profile chooses which reports
    apply (``[reports] enabled = [...]``). Derive a variant of a stock report with ``report.but(...)``,
    ``report.renamed({...})``, ``report.with_columns(...)`` and ``registry.replace``.
    """
