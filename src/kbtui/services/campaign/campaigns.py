"""Campaigns of a data folder: several (terms, years), one current; findings are per campaign.

The profile's ``[campaign]`` is the first campaign. Campaign definitions live in ``collection("campaigns")``,
the current one's id in ``collection("campaign_state")`` (document ``current``).

A child record carries on between campaigns. Its per-campaign fields (the finding ``status`` and its
history, evidence, checking levels …; see ``PER_CAMPAIGN_FIELDS``) always hold the *current* campaign's
values, so every other module keeps reading ``record["status"]``. Switching moves them into
``record["findings"][<old id>]`` and brings back the new campaign's ones (empty for a new campaign).
``record["finding_campaign"]`` says which campaign the record's fields belong to, which makes a switch
that was interrupted safe to run again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kbtui.domain import campaign as cp
from kbtui.domain import roles as R
from kbtui.domain.campaign import Campaign, Phase
from kbtui.errors import StoreError
from kbtui.profiles import Profile
from kbtui.services.access import gate
from kbtui.store.edits import Changes

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

CAMPAIGNS = "campaigns"
STATE = "campaign_state"
CURRENT_DOC = "current"

# Fields that belong to one campaign; feature modules append theirs.
PER_CAMPAIGN_FIELDS: list[str] = [
    "status", "status_reason", "status_history", "evidence", "visits",
    "check_level", "check_returned", "check_history",
]


class CampaignError(StoreError):
    """A campaign operation that cannot be done; the message is Chinese."""


def profile_campaign(profile: Profile) -> Campaign:
    return Campaign(profile.campaign_id, profile.title, profile.year, tuple(profile.phases),
                    profile.settings.visit_phase)


def list_campaigns(workspace: Workspace) -> list[Campaign]:
    """Every campaign, the profile's first, then the others by year and id."""
    docs = {d["key"]: d for d in workspace.store.collection(CAMPAIGNS).all()}
    first = profile_campaign(workspace.profile)
    result = [Campaign.from_doc(docs.pop(first.id)) if first.id in docs else first]
    others = sorted((Campaign.from_doc(d) for d in docs.values()), key=lambda c: (c.year, c.id))
    return result + others


def get_campaign(workspace: Workspace, campaign_id: str) -> Campaign:
    for campaign in list_campaigns(workspace):
        if campaign.id == campaign_id:
            return campaign
    names = "、".join(c.id for c in list_campaigns(workspace))
    raise CampaignError(f"没有编号为“{campaign_id}”的排查工作，现有：{names}")


def current_campaign_id(workspace: Workspace) -> str:
    doc = workspace.store.collection(STATE).get(CURRENT_DOC)
    return str(doc["campaign"]) if doc and doc.get("campaign") else workspace.profile.campaign_id


def current_campaign(workspace: Workspace) -> Campaign:
    current = current_campaign_id(workspace)
    try:
        return get_campaign(workspace, current)
    except CampaignError:
        return profile_campaign(workspace.profile)


def _ensure_first(workspace: Workspace) -> None:
    coll = workspace.store.collection(CAMPAIGNS)
    first = profile_campaign(workspace.profile)
    if coll.get(first.id) is None:
        coll.insert(first.as_doc(), workspace.operator)


def require_campaign_admin(workspace: Workspace) -> None:
    """Campaigns are the township's: creating or switching one is for the roles that may
    (``roles.CAMPAIGNS``); a switch moves every child's findings, not only those of one village."""
    allowed = "、".join(r.name for r in R.ROLES.values() if r.may(R.CAMPAIGNS))
    operator = gate.require(workspace, R.CAMPAIGNS, f"新建或切换排查工作（排查工作是全镇的，请联系{allowed}）")
    if operator is not None and operator.towns:
        raise gate.AccessDenied(f"排查工作由区县统一部署，只有{R.DISTRICT_ADMIN}或{R.DISTRICT_BUREAU}可以新建和切换；"
                                f"您只管{operator.scope_text()}")


def new_campaign(workspace: Workspace, campaign_id: str, title: str, year: int, phases: list[Phase] | tuple = (),
                 visit_phase: str | None = None, switch: bool = True) -> Campaign:
    require_campaign_admin(workspace)
    campaign_id = campaign_id.strip()
    if not campaign_id:
        raise CampaignError("排查工作的编号不能为空")
    if any(c.id == campaign_id for c in list_campaigns(workspace)):
        raise CampaignError(f"编号为“{campaign_id}”的排查工作已存在")
    if visit_phase and not cp.find_phase(phases, visit_phase):
        raise CampaignError(f"入户阶段“{visit_phase}”不在所列阶段中")
    _ensure_first(workspace)
    campaign = Campaign(campaign_id, title.strip() or campaign_id, int(year), tuple(phases), visit_phase)
    workspace.store.collection(CAMPAIGNS).insert(campaign.as_doc(), workspace.operator)
    if switch:
        switch_campaign(workspace, campaign_id)
    return campaign


def set_current(workspace: Workspace, campaign_id: str, **extra: Any) -> None:
    workspace.store.collection(STATE).upsert(CURRENT_DOC, {"campaign": campaign_id, **extra}, workspace.operator)


def record_campaign(record: dict, default: str) -> str:
    return str(record.get("finding_campaign") or default)


def switch_changes(record: dict, old_id: str, new_id: str) -> dict[str, Any] | None:
    """The changes that move a record from ``old_id`` to ``new_id`` (None when nothing to do)."""
    if record_campaign(record, old_id) == new_id:
        return None
    findings = {k: dict(v) for k, v in (record.get("findings") or {}).items()}
    kept = {k: record.get(k) for k in PER_CAMPAIGN_FIELDS if record.get(k) not in (None, "", [], {})}
    if kept:
        findings[record_campaign(record, old_id)] = kept
    restored = findings.pop(new_id, {})
    changes: dict[str, Any] = {k: restored.get(k) for k in PER_CAMPAIGN_FIELDS}
    changes["findings"] = findings
    changes["finding_campaign"] = new_id
    return changes


def switch_campaign(workspace: Workspace, campaign_id: str) -> int:
    """Make ``campaign_id`` current; returns how many child records changed.

    All or nothing: every child of the township moves, in one transaction of the unscoped store (a scoped
    store would skip the children outside the operator's scope and leave their findings filed under the
    wrong campaign)."""
    require_campaign_admin(workspace)
    target = get_campaign(workspace, campaign_id)
    old = current_campaign_id(workspace)
    state = workspace.store.collection(STATE).get(CURRENT_DOC) or {}
    if old == target.id and not state.get("switching"):
        return 0
    _ensure_first(workspace)
    source = state.get("switching_from") or old
    # mark first: if interrupted, the next switch knows where the unmoved records come from
    set_current(workspace, target.id, switching=True, switching_from=source)
    store = gate.raw_store(workspace)
    store.refresh()
    updates: list[tuple[str, Changes]] = []
    for record in store.all():
        if record_campaign(record, source) != target.id:
            # worked out under the lock: a visit saved meanwhile moves with the record's other findings
            updates.append((record["id_number"], lambda current: switch_changes(current, source, target.id)))
    changed = store.apply_many(updates, workspace.operator, action="campaign.switch",
                               detail={"from": source, "to": target.id})
    set_current(workspace, target.id, switching=False, switching_from=None)
    return changed


def findings_of(record: dict, campaign_id: str, current_id: str) -> dict[str, Any]:
    """A record's finding fields for any campaign (the current one from the record itself)."""
    if record_campaign(record, current_id) == campaign_id:
        return {k: record.get(k) for k in PER_CAMPAIGN_FIELDS if record.get(k) is not None}
    return dict((record.get("findings") or {}).get(campaign_id) or {})
