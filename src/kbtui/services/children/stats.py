"""Counts for the dashboard and ``kbtui stats``."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from kbtui.domain import status as st
from kbtui.domain.child import Record
from kbtui.domain.ledger import Ledger, LedgerContext


def campaign_stats(records: Iterable[Record], ctx: LedgerContext, ledgers: dict[str, Ledger]) -> dict:
    records = list(records)
    by_status: Counter[str] = Counter()
    by_village: Counter[str] = Counter()
    by_cohort: Counter[str] = Counter()
    district = ctx.profile.district is not None
    by_town: dict[str, dict] = {}
    pending = 0
    for record in records:
        c = ctx.classify(record)
        by_status[c.situation] += 1
        by_village[record.get("village") or "（未分村）"] += 1
        by_cohort[c.cohort or "outside"] += 1
        waiting = c.in_campaign and c.situation in (st.PENDING_VISIT, st.DEFERRAL_CHECK)
        if waiting:
            pending += 1
        if district:
            town = by_town.setdefault(record.get("town") or NO_TOWN,
                                      {"children": 0, "in_campaign": 0, "pending": 0, "by_village": Counter()})
            town["children"] += 1
            town["in_campaign"] += c.in_campaign
            town["pending"] += waiting
            town["by_village"][record.get("village") or "（未分村）"] += 1
    towns = {}
    if district:
        order = {name: i for i, name in enumerate(ctx.profile.district.town_names)}
        towns = {"by_town": {name: {**t, "by_village": dict(sorted(t["by_village"].items()))}
                             for name, t in sorted(by_town.items(), key=lambda kv: order.get(kv[0], len(order)))}}
    return {**towns,
        "children": len(records),
        "in_campaign": sum(n for k, n in by_cohort.items() if k != "outside"),
        "pending": pending,
        "by_status": dict(by_status.most_common()),
        "by_village": dict(sorted(by_village.items())),
        "by_cohort": dict(by_cohort),
        "ledgers": {lid: sum(1 for r in records if ledger.include(r, ctx)) for lid, ledger in ledgers.items()},
    }


NO_TOWN = "（未定乡镇）"


def village_progress(records: Iterable[Record], ctx: LedgerContext, key: str = "village",
                     empty: str = "（未分村）") -> dict[str, tuple[int, int]]:
    """Per village (or per town: ``key="town"``): (children of the campaign whose situation is known,
    children of the campaign)."""
    progress: dict[str, list[int]] = {}
    for record in records:
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        done_total = progress.setdefault(record.get(key) or empty, [0, 0])
        done_total[1] += 1
        if c.situation not in (st.PENDING_VISIT, st.DEFERRAL_CHECK):
            done_total[0] += 1
    return {v: (d, t) for v, (d, t) in sorted(progress.items())}


def town_progress(records: Iterable[Record], ctx: LedgerContext) -> dict[str, tuple[int, int]]:
    """A district's progress per town, in the profile's order of towns."""
    progress = village_progress(records, ctx, "town", NO_TOWN)
    order = {name: i for i, name in enumerate(ctx.profile.district.town_names if ctx.profile.district else [])}
    return dict(sorted(progress.items(), key=lambda kv: order.get(kv[0], len(order))))
