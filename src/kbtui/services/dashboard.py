"""What the 总览 dashboard shows: the current campaign's phases against today, counts, and progress by village.

The phases and title come from the *current* campaign (``services.campaign.campaigns.current_campaign``: the
profile's ``[campaign]`` until ``kbtui campaign new/switch`` makes another one current).
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kbtui.services.campaign.campaigns import current_campaign
from kbtui.services.children.counts import ChildCounts, count_children, counts_cache
from kbtui.services.children.stats import town_progress
from kbtui.services.workspace_memo import attached

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


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


def campaign_heading(workspace: Workspace, today: dt.date) -> tuple[str, list[PhaseState]]:
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


def dashboard_of(workspace: Workspace, today: dt.date, counts: ChildCounts) -> Dashboard:
    title, phases = campaign_heading(workspace, today)
    return Dashboard(
        title=title, today=today, phases=phases,
        children=counts.children, in_campaign=counts.in_campaign, pending=counts.pending,
        by_status=dict(counts.by_status.most_common()), by_village=counts.by_village(),
        progress=counts.progress(), pending_by_village=counts.pending_by_village())


def dashboard(workspace: Workspace, today: dt.date) -> Dashboard:
    """Everything the dashboard shows, every child counted afresh (the reference for ``cached_dashboard``)."""
    return dashboard_of(workspace, today, count_children(workspace.store.all(), workspace.context(today)))


def cached_dashboard(workspace: Workspace, today: dt.date) -> Dashboard:
    """What ``dashboard`` shows, recounting only the village files changed since the last time (the store
    is refreshed first, so another operator's saves are in)."""
    return dashboard_of(workspace, today, counts_cache(workspace).current())


def dashboard_before_load(workspace: Workspace, today: dt.date) -> Dashboard | None:
    """The dashboard from the counts kept on disk when no village file changed since (before the children
    are read at start-up), else None."""
    counts = counts_cache(workspace).before_load()
    return None if counts is None else dashboard_of(workspace, today, counts)


class PanelBodies:
    """The bodies of the dashboard's plugin panels, each kept with the store's data version (the
    signature of every data file: ``ChildStore.data_version``) and the day it was made for. A panel
    renders from the workspace and the day, so while neither changed its body is shown again instead of
    being computed afresh (F2 back to the dashboard); any save, by this operator or another, makes the
    next showing render it again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[tuple, Any]] = {}

    def body(self, workspace: Workspace, panel_id: str, today: dt.date, render: Callable[[Any, dt.date], Any],
             *, fresh: bool = False) -> Any:
        """``render(workspace, today)``, or what it gave for the same data and day (``fresh``: always
        render; a failing render raises and nothing is kept)."""
        version = (workspace.store.data_version(), today)      # read before rendering
        with self._lock:
            kept = self._kept.get(panel_id)
        if kept is not None and not fresh and kept[0] == version:
            return kept[1]
        body = render(workspace, today)
        with self._lock:
            self._kept[panel_id] = (version, body)
        return body


def panel_bodies(workspace: Workspace) -> PanelBodies:
    return attached(workspace, "dashboard-panels", PanelBodies)


def towns_progress(workspace: Workspace, today: dt.date) -> dict[str, tuple[int, int]]:
    """Per town of a district: (children of the campaign whose situation is known, children of the campaign)."""
    return town_progress(workspace.store.all(), workspace.context(today))
