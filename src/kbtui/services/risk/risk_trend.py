"""The early-warning list week by week, and what the dashboard shows of it.

The counts are recomputed as of the end of each past week from the dated history (absences, returns, visits,
attempts; record fields such as the family type as they are now): no stored snapshots, and the operator's
scope applies as to the list itself.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kbtui.domain.risk import RiskScore
from kbtui.services.children.places import village_label
from kbtui.services.risk.risk import Survey

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

TREND_WEEKS = 8
UNVILLAGED = "（未分村）"


def week_ends(today: dt.date, weeks: int = TREND_WEEKS) -> list[dt.date]:
    """The Sundays ending the ``weeks - 1`` weeks before this one, then ``today`` (this week so far)."""
    sunday = today - dt.timedelta(days=today.weekday() + 1)
    past = [sunday - dt.timedelta(weeks=n) for n in range(weeks - 2, -1, -1)]
    return past + [today]


def weekly_trend(workspace: Workspace, today: dt.date | None = None, weeks: int = TREND_WEEKS) -> list[dict[str, Any]]:
    """Counts by level at the end of each of the last ``weeks`` weeks (the last one: today), oldest first:
    ``[{"date": "2025-10-12", "counts": {"高": 2, …}, "total": 5}, …]``."""
    today = today or dt.date.today()
    return _trend(Survey(workspace, today), today, weeks)[0]


def _trend(survey: Survey, today: dt.date, weeks: int) -> tuple[list[dict[str, Any]], list[tuple[dict, RiskScore]]]:
    """The trend and, from its last point, today's scores."""
    result: list[dict[str, Any]] = []
    scored: list[tuple[dict, RiskScore]] = []
    for day in week_ends(today, weeks):
        scored = survey.score_on(day)
        counts = {name: 0 for name, _t in survey.settings.levels}
        for _record, found in scored:
            if found.level is not None:
                counts[found.level] += 1
        result.append({"date": day.isoformat(), "counts": counts, "total": sum(counts.values())})
    return result, scored


@dataclass(frozen=True)
class Overview:
    """What the dashboard shows of the list (laid out by the TUI): today's counts by level, the villages
    with the most children listed (village, listed, of them at the highest level), the weekly trend."""

    total: int
    scored: int
    counts: dict[str, int]
    highest: str
    villages: list[tuple[str, int, int]]
    trend: list[dict[str, Any]]


def overview(workspace: Workspace, today: dt.date | None = None, weeks: int = TREND_WEEKS) -> Overview:
    """Today's counts by level and village (most listed first) and the trend of the last ``weeks`` weeks,
    every child scored afresh (the reference for ``services.risk.risk_kept.kept_overview``)."""
    today = today or dt.date.today()
    survey = Survey(workspace, today)
    days: list[tuple[str, dict[str, dict[str, int]]]] = []
    scored: list[tuple[dict, RiskScore]] = []
    for day in week_ends(today, weeks):
        scored = survey.score_on(day)
        days.append((day.isoformat(), village_levels(scored, workspace.profile.district is not None)))
    return overview_of(survey.settings.levels, len(scored), days)


def village_levels(scored: Iterable[tuple[dict, RiskScore]], district: bool = False) -> dict[str, dict[str, int]]:
    """village (``（未分村）`` for none; ``城头镇新村`` in a ``district``) → level → children listed at it (levels
    without any left out)."""
    found: dict[str, dict[str, int]] = {}
    for record, result in scored:
        if result.level is not None:
            levels = found.setdefault(village_label(record, district) or UNVILLAGED, {})
            levels[result.level] = levels.get(result.level, 0) + 1
    return found


def overview_of(levels: tuple[tuple[str, int], ...], scored: int,
                days: list[tuple[str, dict[str, dict[str, int]]]]) -> Overview:
    """The overview from each week's end (oldest first, the last one today) and the children listed at
    each level in each village on it (``village_levels``, or those of several village files added up)."""
    names = [name for name, _t in levels]
    trend: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for iso, villages in days:
        counts = dict.fromkeys(names, 0)
        for per_level in villages.values():
            for name, n in per_level.items():
                counts[name] += n
        trend.append({"date": iso, "counts": counts, "total": sum(counts.values())})
    highest = names[0]
    today = {village: {name: per_level.get(name, 0) for name in names} for village, per_level in days[-1][1].items()}
    top = sorted(today.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return Overview(sum(counts.values()), scored, counts, highest,
                    [(v, sum(c.values()), c[highest]) for v, c in top], trend)


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One block character per value, from the smallest to the largest (readable without colour)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARK[3 if high else 0] * len(values)
    return "".join(SPARK[round((v - low) * (len(SPARK) - 1) / (high - low))] for v in values)


def _cells(text: str) -> int:
    """Terminal cells of a text (a Chinese character takes two)."""
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text)


def trend_lines(trend: list[dict[str, Any]]) -> list[str]:
    """The weekly totals and those of the highest level, each as a sparkline with its numbers, then the
    weeks and the change (the dates on a line of their own: at 80 columns a line of eight 5-digit counts
    still fits a dashboard panel)."""
    totals = [w["total"] for w in trend]
    first, last = trend[0]["date"], trend[-1]["date"]
    heading = f"近{len(trend)}周预警人数"
    lines = [f"{heading} {sparkline(totals)}  {' '.join(str(t) for t in totals)}"]
    highest = next(iter(trend[0]["counts"]), None)
    if highest is not None:
        top = [w["counts"][highest] for w in trend]
        label = f"其中{highest}风险"
        label += " " * max(0, _cells(heading) - _cells(label))
        lines.append(f"{label} {sparkline(top)}  {' '.join(str(t) for t in top)}")
    weeks = f"{first[5:]} 至 {last[5:]}"
    if len(totals) > 1:
        change = totals[-1] - totals[-2]
        weeks += "，比上周" + (f"增加 {change} 人" if change > 0 else f"减少 {-change} 人" if change else "持平")
    lines.append(weeks)
    return lines
