"""The work the early-warning list turns into, each change through the (scoped) store, which journals it:

- ``assign_helper``: 结对帮扶, one helper per child and campaign in ``collection("pairings")`` (key
  ``<campaign>:<id_number>``, with the history of helpers);
- ``plan_visit``: a home visit by a date (``services.campaign.tasks.plan_visit``: it shows among the visit tasks);
- ``open_early_case``: the child's case (一生一案) before any ladder opens it (``services.escalation.cases.open_case``).

Read-only roles and read-only data folders are refused in Chinese before anything is read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kbtui.domain import roles as R
from kbtui.services.access import gate
from kbtui.services.access.operators import AccessDenied
from kbtui.services.campaign import tasks
from kbtui.services.campaign.campaigns import current_campaign_id
from kbtui.services.campaign.people import PeopleError, find_person
from kbtui.services.escalation import cases
from kbtui.services.lookup import EscalationError
from kbtui.services.risk.risk import PAIRINGS, child_risk, find_child, pairing_key

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


def _may_write(workspace: Workspace, doing: str) -> None:
    gate.require(workspace, R.WRITE, doing)
    if getattr(workspace.store, "read_only", False):
        raise EscalationError("数据目录是只读的，不能保存")


def refusal(workspace: Workspace, doing: str) -> str | None:
    """Why the operator may not do ``doing`` here (a read-only role or data folder), or None: asked before a
    form is opened, so nobody types a form only to be refused."""
    try:
        _may_write(workspace, doing)
    except (AccessDenied, EscalationError) as err:
        return str(err)
    return None


def helper_of(workspace: Workspace, id_number: str) -> dict | None:
    doc = workspace.store.collection(PAIRINGS).get(pairing_key(current_campaign_id(workspace), id_number))
    return doc if doc and doc.get("helper") else None


def assign_helper(workspace: Workspace, id_number: str, helper: str, *, note: str = "",
                  on: dt.date | None = None) -> dict:
    """结对帮扶: ``helper`` (a name, or 姓名@单位 from the people register) supports the child one-on-one.
    A new helper replaces the current one; the history keeps every helper. ``helper`` "" ends the pairing."""
    _may_write(workspace, "安排结对帮扶")
    record = find_child(workspace, id_number)
    helper = "".join(str(helper or "").split())
    person: dict = {}
    if helper:
        try:
            person = find_person(workspace, helper)
        except PeopleError:
            person = {}            # not in the register: a name is enough
    day = (on or dt.date.today()).isoformat()
    name = person.get("name") or helper.partition("@")[0]
    entry = {"helper": name, "unit": person.get("unit") or helper.partition("@")[2], "role": person.get("role") or "",
             "since": day, "by": workspace.operator, "note": note.strip()}
    campaign = current_campaign_id(workspace)

    def pair(current: dict | None) -> dict[str, Any]:
        if not name and not (current or {}).get("helper"):
            raise EscalationError(f"{record.get('name', '')} 没有结对帮扶人：请填写帮扶人（姓名，人员名单中重名时写 "
                                  "姓名@单位）")
        if current and current.get("helper") == name and current.get("unit") == entry["unit"] and not note:
            return {}
        history = [*((current or {}).get("history") or []), {**entry, "helper": name or "（结束帮扶）"}]
        base = {"campaign": campaign, "id_number": record["id_number"], "name": record.get("name") or ""}
        if not name:
            return {**base, "helper": "", "unit": "", "role": "", "ended": day, "history": history}
        return {**base, **{k: entry[k] for k in ("helper", "unit", "role", "since", "note")},
                "phone": person.get("phone") or "", "ended": None, "history": history}

    return workspace.store.collection(PAIRINGS).upsert(pairing_key(campaign, record["id_number"]), pair,
                                                       workspace.operator)


def plan_visit(workspace: Workspace, id_number: str, due: dt.date, *, visitor: str = "", note: str = "",
               today: dt.date | None = None) -> dict:
    """安排家访: a home visit by ``due`` (default visitor: the helper, else the child's teacher or cadre),
    with the child's risk factors as its reason."""
    _may_write(workspace, "安排家访")
    record = find_child(workspace, id_number)
    today = today or dt.date.today()
    if due < today:
        raise EscalationError(f"家访期限 {due} 早于今天（{today}）")
    entry = child_risk(workspace, record["id_number"], today)
    reason = entry.factors_text("、")
    helper = helper_of(workspace, record["id_number"])
    return tasks.plan_visit(workspace, record["id_number"], due,
                            visitor=visitor or (helper or {}).get("helper") or "", reason=reason, note=note)


def open_early_case(workspace: Workspace, id_number: str, *, today: dt.date | None = None, persuader: str = "",
                    reason: str = "", support: Iterable[str] = ()) -> dict:
    """提前立案: the child's case (一生一案) opened from the warning list, before any ladder does; the helper
    is its persuader unless another is given."""
    _may_write(workspace, "提前立案")
    record = find_child(workspace, id_number)
    today = today or dt.date.today()
    entry = child_risk(workspace, record["id_number"], today)
    how = f"预警提前立案（{entry.level}，{entry.result.score}分：{entry.factors_text('、')}）" \
        if entry.result.listed else "预警提前立案"
    helper = helper_of(workspace, record["id_number"])
    return cases.open_case(workspace, record["id_number"], on=today, reason=reason, support=support,
                           persuader=persuader or (helper or {}).get("helper") or "", how=how)
