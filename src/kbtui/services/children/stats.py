"""Counts for the dashboard and ``kbtui stats``."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from kbtui.domain import status as st
from kbtui.domain.child import Record
from kbtui.domain.ledger import Ledger, LedgerContext


def campaign_stats(records: Iterable[Record], ctx: LedgerContext, ledgers: dict[str, Ledger]) -> dict:
    records = list(records)
    by_status: Counter[str] = Counter()
    by_village: Counter[str] = Counter()
    by_cohort: Counter[str] = Counter()
    pending = 0
    for record in records:
        c = ctx.classify(record)
        by_status[c.situation] += 1
        by_village[record.get("village") or "（未分村）"] += 1
        by_cohort[c.cohort or "outside"] += 1
        if c.in_campaign and c.situation in (st.PENDING_VISIT, st.DEFERRAL_CHECK):
            pending += 1
    return {
        "children": len(records),
        "in_campaign": sum(n for k, n in by_cohort.items() if k != "outside"),
        "pending": pending,
        "by_status": dict(by_status.most_common()),
        "by_village": dict(sorted(by_village.items())),
        "by_cohort": dict(by_cohort),
        "ledgers": {lid: sum(1 for r in records if ledger.include(r, ctx)) for lid, ledger in ledgers.items()},
    }


def village_progress(records: Iterable[Record], ctx: LedgerContext) -> dict[str, tuple[int, int]]:
    """Per village: (children of the campaign whose situation is known, children of the campaign)."""
    progress: dict[str, list[int]] = {}
    for record in records:
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        done_total = progress.setdefault(record.get("village") or "（未分村）", [0, 0])
        done_total[1] += 1
        if c.situation not in (st.PENDING_VISIT, st.DEFERRAL_CHECK):
            done_total[0] += 1
    return {v: (d, t) for v, (d, t) in sorted(progress.items())}
