"""Early-warning hooks: the factors (预警因素) a child's dropout risk is scored on."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.domain.risk import RiskFactor
    from kbtui.registry import Registry


@hookspec
def kbtui_register_risk_factors(registry: Registry[RiskFactor]) -> None:
    """Add early-warning factors: ``registry.add(factor.id, RiskFactor(...))``.

    A ``RiskFactor`` (``kbtui.domain.risk``) is data: an id, a Chinese label, ``evaluate(child, params)``
    returning a ``Hit(points, reason)`` or None, and its default ``params`` (``weight`` is 1.0 unless given,
    plus the factor's own points and thresholds). ``child`` is a ``ChildFacts``: the record, its situation,
    its absence episodes in school days and the helpers ``absent_days``, ``latest_episode``, ``returns``,
    ``visits``, ``attempts``, ``grade`` — all as of ``child.today``, so that the weekly trend can score past
    weeks — and ``child.ctx`` (the school calendar, ``school_days_back(n)``, ``term()``, ``spring``).
    The profile sets each factor's params in ``[risk.factors.<id>]`` (``enabled = false`` turns it off).
    ``registry.replace(id, factor)`` changes a stock factor on purpose (stock plugins run first).
    """
