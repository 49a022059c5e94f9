"""What the 总览 dashboard shows: the current campaign's phases against today, counts, and progress by village.

The phases and title come from the *current* campaign (``services.campaign.campaigns.current_campaign``: the
profile's ``[campaign]`` until ``kbtui campaign new/switch`` makes another one current).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kbtui.domain import status as st
from kbtui.services.children.stats import campaign_stats, town_progress, village_progress
from kbtui.services.campaign.campaigns import current_campaign


@dataclass(frozen=True)
class PhaseState:
    name: str
    end: dt.datetime
    days_left: int          # negative when overdue
    done: bool              # the deadline has passed

    @property
    def label(self) -> str:
        """截止 9月6日（剩 3 天）/（今天截止）/（已过 2 天）"""
        when = f"{self.end.month}月{self.end.day}日"
        if self.end.time() != dt.time(23, 59):
            when += f" {self.end:%H:%M}"
        if self.days_left > 0:
            return f"截止 {when}（剩 {self.days_left} 天）"
        if self.days_left == 0:
            return f"截止 {when}（今天截止）"
        return f"截止 {when}（已过 {-self.days_left} 天）"


def phase_states(source, today: dt.date) -> list[PhaseState]:
    """The phases of ``source`` (a profile, a campaign, or a sequence of phases) against ``today``."""
    phases = getattr(source, "phases", source)
    return [PhaseState(p.name, p.end, (p.end.date() - today).days, p.end.date() < today) for p in phases]


def campaign_heading(workspace, today: dt.date) -> tuple[str, list[PhaseState]]:
    """The current campaign's title and its phases against ``today`` (cheap: no child is read)."""
    campaign = current_campaign(workspace)
    return campaign.title, phase_states(campaign, today)


def current_phase(states: list[PhaseState]) -> PhaseState | None:
    """The first phase whose deadline has not passed (None when the campaign is over)."""
    return next((s for s in states if s.days_left >= 0), None)


@dataclass
class Dashboard:
    title: str
    today: dt.date
    phases: list[PhaseState]
    children: int
    in_campaign: int
    pending: int
    by_status: dict[str, int]
    by_village: dict[str, int]
    progress: dict[str, tuple[int, int]]
    pending_by_village: dict[str, int]


def dashboard(workspace, today: dt.date) -> Dashboard:
    """Everything the dashboard shows (classifies every child: run it in a worker at county scale)."""
    ctx = workspace.context(today)
    records = list(workspace.store.all())
    stats = campaign_stats(records, ctx, {})
    pending_by_village: dict[str, int] = {}
    for record in records:
        c = ctx.classify(record)
        if c.in_campaign and c.situation in (st.PENDING_VISIT, st.DEFERRAL_CHECK):
            village = record.get("village") or "（未分村）"
            pending_by_village[village] = pending_by_village.get(village, 0) + 1
    title, phases = campaign_heading(workspace, today)
    return Dashboard(
        title=title, today=today, phases=phases,
        children=stats["children"], in_campaign=stats["in_campaign"], pending=stats["pending"],
        by_status=stats["by_status"], by_village=stats["by_village"],
        progress=village_progress(records, ctx), pending_by_village=pending_by_village)


def sees_several_towns(workspace) -> bool:
    """A district's operator seeing more than one town (the bureau, or an admin of several towns)."""
    if workspace.profile.district is None:
        return False
    towns = getattr(getattr(workspace, "account", None), "towns", ()) or ()
    return len(towns) != 1


def towns_progress(workspace, today: dt.date) -> dict[str, tuple[int, int]]:
    """Per town of a district: (children of the campaign whose situation is known, children of the campaign)."""
    return town_progress(workspace.store.all(), workspace.context(today))
