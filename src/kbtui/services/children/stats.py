"""Counts for the dashboard and ``kbtui stats``."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from kbtui.domain import status as st
from kbtui.domain.child import Record
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.services.children.counts import ChildCounts, count_children


def campaign_stats(records: Iterable[Record], ctx: LedgerContext, ledgers: dict[str, Ledger],
                   counts: ChildCounts | None = None) -> dict:
    """``counts``: the children's counts if already made (``CountsCache``), else counted from ``records``."""
    records = list(records)
    if counts is None:
        counts = count_children(records, ctx)
    return {**_by_town(records, ctx),
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


NO_TOWN = "（未定乡镇）"


def _by_town(records: Iterable[Record], ctx: LedgerContext) -> dict[str, Any]:
    """A district's ``by_town`` (children, in campaign, pending, by village), in the profile's order of
    towns; {} for a township."""
    district = ctx.profile.district
    if district is None:
        return {}
    by_town: dict[str, dict] = {}
    for record in records:
        c = ctx.classify(record)
        town = by_town.setdefault(record.get("town") or NO_TOWN,
                                  {"children": 0, "in_campaign": 0, "pending": 0, "by_village": Counter()})
        town["children"] += 1
        town["in_campaign"] += c.in_campaign
        town["pending"] += c.in_campaign and c.situation in (st.PENDING_VISIT, st.DEFERRAL_CHECK)
        town["by_village"][record.get("village") or "（未分村）"] += 1
    order = {name: i for i, name in enumerate(district.town_names)}
    return {"by_town": {name: {**t, "by_village": dict(sorted(t["by_village"].items()))}
                        for name, t in sorted(by_town.items(), key=lambda kv: order.get(kv[0], len(order)))}}


def town_progress(records: Iterable[Record], ctx: LedgerContext) -> dict[str, tuple[int, int]]:
    """A district's progress per town (children of the campaign whose situation is known, children of the
    campaign), in the profile's order of towns."""
    progress: dict[str, list[int]] = {}
    for record in records:
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        done_total = progress.setdefault(record.get("town") or NO_TOWN, [0, 0])
        done_total[1] += 1
        if c.situation not in (st.PENDING_VISIT, st.DEFERRAL_CHECK):
            done_total[0] += 1
    order = {name: i for i, name in enumerate(ctx.profile.district.town_names if ctx.profile.district else [])}
    return {v: (d, t) for v, (d, t) in sorted(progress.items(), key=lambda kv: order.get(kv[0], len(order)))}
