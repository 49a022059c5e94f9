"""Where the current campaign is, for the dashboard and ``kbtui campaign status``: its phases, visit tasks,
checking levels and missing evidence in one overview."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kbtui.domain import campaign as cp
from kbtui.domain import checking
from kbtui.services.campaign import campaigns
from kbtui.services.campaign import tasks as tasks_mod
from kbtui.services.intake import checks as checks_mod

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


def campaign_overview(workspace: Workspace, today: dt.date | dt.datetime) -> dict[str, Any]:
    """Where the current campaign is, for the dashboard and ``kbtui campaign status``.

    ``phases``: every phase with ``state`` (done/current/upcoming), ``state_label`` and ``days_left``;
    ``current_phase`` / ``days_left`` of the phase being worked on (None when all are over);
    ``overdue_phases``: names of phases whose deadline passed; ``visit_deadline``;
    ``tasks``: assigned / done / open / late visit tasks, ``late_by_village``;
    ``checking``: findings per checking level (and 退回); ``evidence_missing``: not-dropout findings
    without evidence.
    """
    campaign = campaigns.current_campaign(workspace)
    day = today.date() if isinstance(today, dt.datetime) else today
    statuses = cp.phase_statuses(campaign.phases, today)
    current = next((s for s in statuses if s.state == cp.CURRENT), None)
    records = list(workspace.store.all())
    summary = tasks_mod.task_report(workspace, day, records=records)
    deadline = cp.visit_deadline(campaign)
    evidence_missing = sum(1 for r in records if checks_mod.missing_evidence(r, workspace.statuses))
    return {
        "campaign": {"id": campaign.id, "title": campaign.title, "year": campaign.year},
        "campaigns": len(campaigns.list_campaigns(workspace)),
        "today": day.isoformat(),
        "phases": [s.as_dict() for s in statuses],
        "current_phase": current.name if current else None,
        "days_left": current.days_left if current else None,
        "overdue_phases": [s.name for s in statuses if s.state == cp.DONE],
        "visit_deadline": deadline.isoformat(timespec="minutes") if deadline else None,
        "tasks": summary["totals"],
        "late_by_village": {v["village"]: v["late"] for v in summary["by_village"] if v["late"]},
        "checking": checking.level_counts(r for r in records if r.get("status")),
        "evidence_missing": evidence_missing,
    }
