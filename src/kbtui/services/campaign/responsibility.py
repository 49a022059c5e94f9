"""Giving children their two responsible people (双线): by the profile's rule, or by hand for a selection.

Writes ``responsible_gov`` / ``responsible_edu`` on the child records (journaled as ``assign``), then
brings the visit tasks in step (``services.campaign.tasks.sync_tasks``).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kbtui.domain import responsibility as resp
from kbtui.services.campaign.people import PEOPLE, PeopleError, find_person
from kbtui.services.campaign.tasks import sync_tasks

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


def rules(workspace: Workspace) -> resp.Rules:
    return workspace.profile.settings.responsibility


def select(workspace: Workspace, *, village: str | None = None, group: str | None = None,
           ids: Iterable[str] = (), campaign_only: bool = True) -> list[dict]:
    """Children by explicit ID numbers, or by village (and group) among the campaign's children."""
    ids = [i for i in ids if i]
    if ids:
        found = []
        for id_number in ids:
            record = workspace.store.get(id_number)
            if record is None:
                raise PeopleError(f"找不到身份证号为 {id_number} 的儿童")
            found.append(record)
        return found
    ctx = workspace.context()
    chosen = []
    for record in workspace.store.all():
        if village and record.get("village") != village:
            continue
        if group and record.get("group") != group:
            continue
        if campaign_only and not ctx.classify(record).in_campaign:
            continue
        chosen.append(record)
    return chosen


def _apply(workspace: Workspace, plan: dict[str, dict[str, str]], detail: dict, *, only_empty: bool = False) -> int:
    """Write the plan; with ``only_empty`` a line stays as it is when it has a person by then (given by hand
    by another operator since the plan was made): checked under the store's lock."""
    def assigning(changes: dict[str, str]):
        return lambda current: {k: v for k, v in changes.items()
                                if (current.get(k) or "") != v and not (only_empty and current.get(k))}

    updates = []
    for id_number, changes in plan.items():
        record = workspace.store.get(id_number) or {}
        if any((record.get(k) or "") != v for k, v in changes.items()):
            updates.append((id_number, assigning(changes)))
    changed = workspace.store.apply_many(updates, workspace.operator, action="assign", detail=detail)
    sync_tasks(workspace)
    return changed


def assign_by_hand(workspace: Workspace, records: Iterable[dict], *, gov: str | None = None,
                   edu: str | None = None) -> int:
    """Give the selected children these people (either line may be left as it is). Returns records changed."""
    if not gov and not edu:
        raise PeopleError("请至少指定一名责任人（政府线 --gov 或教育线 --edu）")
    changes: dict[str, str] = {}
    for line, text in ((resp.GOV, gov), (resp.EDU, edu)):
        if not text:
            continue
        person = find_person(workspace, text)
        its_line = resp.line_of(person.get("role"))
        if its_line is not None and its_line != line:
            raise PeopleError(f"{person['name']}（{person['role']}）属于{resp.LINE_LABELS[its_line]}，"
                              f"不能作为{resp.LINE_LABELS[line]}责任人")
        changes[resp.FIELD_OF_LINE[line]] = person["name"]
    plan = {r["id_number"]: dict(changes) for r in records}
    if not plan:
        raise PeopleError("没有选中任何儿童")
    return _apply(workspace, plan, {"how": "hand"})


def plan_by_rule(workspace: Workspace, records: Iterable[dict] | None = None,
                 overwrite: bool = False) -> dict[str, dict[str, str]]:
    """The rule's plan for the campaign's children (or ``records``); without ``overwrite`` a line that
    already has a responsible person is kept."""
    if records is None:
        ctx = workspace.context()
        records = [r for r in workspace.store.all() if ctx.classify(r).in_campaign]
    records = list(records)
    people = workspace.store.collection(PEOPLE).all()
    plan = resp.plan_assignments(records, people, rules(workspace), workspace.profile.schools)
    if not overwrite:
        by_id = {r["id_number"]: r for r in records}
        plan = {i: {k: v for k, v in c.items() if not by_id[i].get(k)} for i, c in plan.items()}
    return {i: c for i, c in plan.items() if c}


def assign_by_rule(workspace: Workspace, records: Iterable[dict] | None = None,
                   overwrite: bool = False) -> dict[str, Any]:
    """Apply the rule; returns ``{changed, unassigned_gov, unassigned_edu}`` (children still without one)."""
    if records is None:
        ctx = workspace.context()
        records = [r for r in workspace.store.all() if ctx.classify(r).in_campaign]
    records = list(records)
    plan = plan_by_rule(workspace, records, overwrite)
    changed = _apply(workspace, plan, {"how": "rule", "model": rules(workspace).model}, only_empty=not overwrite)
    after = [workspace.store.get(r["id_number"]) or r for r in records]
    return {"changed": changed,
            "unassigned_gov": sum(1 for r in after if not r.get("responsible_gov")),
            "unassigned_edu": sum(1 for r in after if not r.get("responsible_edu"))}


def workload(workspace: Workspace) -> list[dict[str, Any]]:
    """Children per responsible person (both lines), for the people screen."""
    counts: dict[tuple[str, str], int] = {}
    for record in workspace.store.all():
        for line, field in resp.FIELD_OF_LINE.items():
            if record.get(field):
                counts[(record[field], line)] = counts.get((record[field], line), 0) + 1
    return [{"person": p, "line": line, "line_label": resp.LINE_LABELS[line], "children": n}
            for (p, line), n in sorted(counts.items())]
