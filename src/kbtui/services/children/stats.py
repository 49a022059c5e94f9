"""Counts for the dashboard and ``kbtui stats``."""
from __future__ import annotations

from collections.abc import Iterable

from kbtui.domain.child import Record
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.services.children.counts import ChildCounts, count_children


def campaign_stats(records: Iterable[Record], ctx: LedgerContext, ledgers: dict[str, Ledger],
                   counts: ChildCounts | None = None) -> dict:
    """``counts``: the children's counts if already made (``CountsCache``), else counted from ``records``."""
    records = list(records)
    if counts is None:
        counts = count_children(records, ctx)
    return {
        "children": counts.children,
        "in_campaign": counts.in_campaign,
        "pending": counts.pending,
        "by_status": dict(counts.by_status.most_common()),
        "by_village": counts.by_village(),
        "by_cohort": dict(counts.by_cohort),
        "ledgers": {lid: sum(1 for r in records if ledger.include(r, ctx)) for lid, ledger in ledgers.items()},
    }


def village_progress(records: Iterable[Record], ctx: LedgerContext) -> dict[str, tuple[int, int]]:
    """Per village: (children of the campaign whose situation is known, children of the campaign)."""
    return count_children(records, ctx).progress()
