"""Visit tasks: one per child of the current campaign whose situation needs a visit (待核实, 缓学待核实,
在籍未在校 …), assigned to the child's two responsible people (双线).

Tasks are stored in ``collection("tasks")`` (key ``<campaign>:<id_number>:visit``) for what the records
cannot say: when a task was made, its own due date, who closed it and when. The report also reads the
records themselves, so it is right even before ``sync_tasks`` ran: a child whose situation still needs a
visit is an open task; a child whose finding was recorded (by a visit, an import or an edit) closes it.

Late: an open task whose due date — its own, else the deadline of the campaign's visit phase
(双山 上门入户排查 9/20) — has passed.

A home visit can also be planned for any child (``plan_visit``: the early-warning list's 安排家访, key
``<campaign>:<id_number>:planned-visit``): it has its own due date and visitor, shows in the report among the
visit tasks (情况 预警家访), and closes when a visit of the child is recorded.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kbtui.domain import campaign as cp
from kbtui.domain import roles as R
from kbtui.domain import status as st
from kbtui.domain.responsibility import EDU, GOV, LINE_LABELS
from kbtui.domain.sorting import place_key
from kbtui.errors import StaleEditError, StoreError
from kbtui.services.access import gate
from kbtui.services.campaign.campaigns import current_campaign
from kbtui.services.campaign.people import list_people
from kbtui.services.children.places import Place, find_village, village_label

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

TASKS = "tasks"
VISIT = "visit"
PLANNED = "planned-visit"
PLANNED_SITUATION = "预警家访"
OPEN = "open"
DONE = "done"
UNASSIGNED = "（未分配）"


def needs_visit(situation: str, statuses: st.StatusRegistry) -> bool:
    return statuses.kind_of(situation) == st.Kind.PENDING


def task_key(campaign_id: str, id_number: str, kind: str = VISIT) -> str:
    return f"{campaign_id}:{id_number}:{kind}"


def _due_of(doc: dict | None, default: dt.datetime | None) -> dt.datetime | None:
    if doc and doc.get("due"):
        return dt.datetime.fromisoformat(doc["due"])
    return default


def sync_tasks(workspace: Workspace, records: Iterable[dict] | None = None) -> dict[str, int]:
    """Create the missing visit tasks of the current campaign and keep open tasks' assignees and state in
    step with the records. Returns counts ``{created, updated, closed, reopened}``.

    Nothing is stored for a role that may not change data (督导, 县复核) nor on a read-only data folder:
    ``task_report`` reads the records themselves, so they still see every task."""
    counts = {"created": 0, "updated": 0, "closed": 0, "reopened": 0}
    if not gate.allowed(workspace, R.WRITE) or getattr(workspace.store, "read_only", False):
        return counts
    campaign = current_campaign(workspace)
    ctx = workspace.context()
    coll = workspace.store.collection(TASKS)
    docs = {d["id_number"]: d for d in coll.find(campaign=campaign.id, kind=VISIT)}
    if records is None:
        # the records read after the tasks: a task closed by a visit is never older than the visit's record
        workspace.store.refresh()
        records = workspace.store.all()
    new_docs = []
    now = dt.datetime.now().isoformat(timespec="seconds")
    for record in records:
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        id_number = record["id_number"]
        wanted = needs_visit(c.situation, workspace.statuses)
        assignees = {"gov": record.get("responsible_gov") or "", "edu": record.get("responsible_edu") or ""}
        doc = docs.get(id_number)
        if doc is None:
            if wanted:
                new_docs.append({"key": task_key(campaign.id, id_number), "campaign": campaign.id, "kind": VISIT,
                                 "id_number": id_number, "name": record.get("name") or "", **place_of(record),
                                 "situation": c.situation, "state": OPEN, "created": now, **assignees})
            continue
        changes: dict[str, Any] = {}
        if doc.get("state") == OPEN and not wanted:
            changes.update(state=DONE, done_at=now, done_by=record.get("_by") or "", done_how="登记")
        elif doc.get("state") == DONE and wanted:
            changes.update(state=OPEN, done_at=None, done_by=None, done_how=None, situation=c.situation)
        if (changes.get("state") or doc.get("state")) == OPEN:
            changes.update({k: v for k, v in assignees.items() if doc.get(k) != v})
            changes.update({k: record.get(k) or "" for k in ("village", "group", "name")
                            if doc.get(k) != (record.get(k) or "")})
        if record.get("town") and doc.get("town") != record["town"]:
            changes["town"] = record["town"]        # a district's task is kept in its town's village file
        if not changes:
            continue
        try:
            coll.update(doc["key"], changes, workspace.operator, expected_version=doc.get("_v"))
        except StaleEditError:
            continue        # closed by a visit (or changed otherwise) since it was read: left as it is now
        counts[{DONE: "closed", OPEN: "reopened"}.get(changes.get("state") or "", "updated")] += 1
    # a task made meanwhile (by a visit, or another sync) is left as it is
    counts["created"] = len(coll.insert_many(new_docs, workspace.operator, skip_existing=True))
    return counts


def close_visit_task(workspace: Workspace, id_number: str, *, date: str | None = None, how: str = "入户",
                     visitors: Iterable[str] = ()) -> dict | None:
    """Close the child's visit task of the current campaign (called when a visit is recorded); made closed
    when the child had none. One locked write: a task closed by someone else meanwhile stays as they closed it."""
    campaign = current_campaign(workspace)
    key = task_key(campaign.id, id_number)
    fields = {"state": DONE, "done_at": date or dt.date.today().isoformat(), "done_by": workspace.operator,
              "done_how": how, "visitors": list(visitors)}

    def close(current: dict | None) -> dict:
        if current is None:
            record = workspace.store.get(id_number) or {}
            return {"campaign": campaign.id, "kind": VISIT, "id_number": id_number,
                    "name": record.get("name") or "", **place_of(record), "gov": record.get("responsible_gov") or "",
                    "edu": record.get("responsible_edu") or "",
                    "created": dt.datetime.now().isoformat(timespec="seconds"), **fields}
        return {} if current.get("state") == DONE else fields

    coll = workspace.store.collection(TASKS)
    planned = coll.get(task_key(campaign.id, id_number, PLANNED))
    if planned is not None and planned.get("state") == OPEN:
        coll.update(planned["key"], lambda current: fields if current.get("state") == OPEN else {},
                    workspace.operator)
    return coll.upsert(key, close, workspace.operator)


def plan_visit(workspace: Workspace, id_number: str, due: dt.date | dt.datetime, *, visitor: str = "", reason: str = "",
               note: str = "") -> dict:
    """Plan a home visit of one child by ``due`` (its visitor, and why: e.g. the child's risk factors).
    A planned visit still open is re-planned (new date, visitor, reason); one done is planned anew."""
    record = workspace.store.get(id_number)
    if record is None:
        raise StoreError(f"找不到身份证号为 {id_number} 的儿童")
    campaign = current_campaign(workspace)
    value = due.isoformat(timespec="minutes") if isinstance(due, dt.datetime) else \
        dt.datetime.combine(due, dt.time(23, 59)).isoformat(timespec="minutes")
    now = dt.datetime.now().isoformat(timespec="seconds")
    plan = {"due": value, "visitor": visitor.strip() or record.get("responsible_edu") or
            record.get("responsible_gov") or "", "reason": reason, "note": note.strip(),
            "planned_by": workspace.operator,
            "gov": record.get("responsible_gov") or "", "edu": record.get("responsible_edu") or "",
            "name": record.get("name") or "", **place_of(record)}

    def planned(current: dict | None) -> dict:
        if current is None or current.get("state") != OPEN:
            return {"campaign": campaign.id, "kind": PLANNED, "id_number": id_number, "state": OPEN,
                    "created": now, "done_at": None, "done_by": None, "done_how": None, **plan}
        return plan

    return workspace.store.collection(TASKS).upsert(task_key(campaign.id, id_number, PLANNED), planned,
                                                    workspace.operator)


def planned_visits(workspace: Workspace) -> dict[str, dict]:
    """The planned home visits of the current campaign, by ID number (open and done)."""
    campaign = current_campaign(workspace)
    return {d["id_number"]: d for d in workspace.store.collection(TASKS).find(campaign=campaign.id, kind=PLANNED)}


def set_due(workspace: Workspace, id_numbers: Iterable[str], due: dt.date | dt.datetime | None) -> int:
    """Give tasks their own due date (None: back to the visit phase's deadline). Returns tasks changed."""
    sync_tasks(workspace)
    campaign = current_campaign(workspace)
    coll = workspace.store.collection(TASKS)
    if isinstance(due, dt.datetime):
        value = due.isoformat(timespec="minutes")
    elif isinstance(due, dt.date):
        value = dt.datetime.combine(due, dt.time(23, 59)).isoformat(timespec="minutes")
    else:
        value = None
    changed = 0
    for id_number in id_numbers:
        doc = coll.get(task_key(campaign.id, id_number))
        if doc is None:
            raise StoreError(f"身份证号为 {id_number} 的儿童没有走访任务")
        if doc.get("due") != value:
            coll.update(doc["key"], {"due": value}, workspace.operator, base=doc)
            changed += 1
    return changed


def place_of(record: dict) -> dict[str, str]:
    """The village and group a task is filed under, and in a district the child's town (``store.sharded``)."""
    place = {"village": record.get("village") or "", "group": record.get("group") or ""}
    if record.get("town"):
        place["town"] = record["town"]
    return place


def _row(record: dict, doc: dict | None, situation: str, state: str, due: dt.datetime | None,
         today: dt.date | dt.datetime) -> dict[str, Any]:
    """One task of the report: an open task's people are the record's, a done one's those it was done for."""
    late = state == OPEN and cp.is_late(due, today)
    gov = (record.get("responsible_gov") if state == OPEN or not doc else doc.get("gov")) or ""
    edu = (record.get("responsible_edu") if state == OPEN or not doc else doc.get("edu")) or ""
    row = {"id_number": record["id_number"], "name": record.get("name") or "",
           "village": record.get("village") or "", "group": record.get("group") or "", "situation": situation,
           "gov": gov, "edu": edu, "due": due.isoformat(timespec="minutes") if due else None,
           "state": "late" if late else state, "late": late,
           "done_at": (doc or {}).get("done_at") if state == DONE else None,
           "done_by": (doc or {}).get("done_by") if state == DONE else None}
    if record.get("town"):                          # a district's child: its village is its town's
        row["town"] = record["town"]
    if doc and doc.get("kind") == PLANNED:
        row["visitor"] = doc.get("visitor") or ""
    return row


def _person_name(text: str | None) -> str | None:
    return text.partition("@")[0] if text else None


def task_report(workspace: Workspace, today: dt.date | dt.datetime, *, person: str | None = None, overdue: bool = False,
                village: str | None = None, records: Iterable[dict] | None = None,
                town: str | None = None) -> dict[str, Any]:
    """Visit tasks of the current campaign with per-person and per-village counts (read only).

    Returns ``{campaign, deadline, tasks: [...], by_person: [...], by_village: [...], by_town: [...], totals: {...}}``
    (``by_town``: a district's subtotals per town);
    every count dict has ``assigned`` (tasks), ``done``, ``open``, ``late``. ``person`` keeps the tasks of
    one person (either line), ``overdue`` only late ones, ``village`` one village — the counts follow the
    filters except ``overdue``. A village nobody lives in, or a person not in the register, is refused
    (StoreError) rather than shown as an empty list.
    """
    place = find_village(workspace, village, StoreError, town)       # town: a district's (--town)
    if person and not any(p.get("name") == _person_name(person) for p in list_people(workspace)):
        raise StoreError(f"人员名单中没有“{person}”（kbtui people list 查看人员名单）")
    campaign = current_campaign(workspace)
    deadline = cp.visit_deadline(campaign)
    ctx = workspace.context(today if not isinstance(today, dt.datetime) else today.date())
    docs = visit_docs(workspace, campaign.id)
    planned = planned_visits(workspace)
    name = _person_name(person)
    rows = task_rows(records if records is not None else workspace.store.all(), ctx, docs, planned, deadline, today,
                     workspace.statuses, name=name, place=place)
    rows.sort(key=lambda r: (not r["late"], r["state"] == DONE, place_key(r)))
    counts = TaskCounts.of(rows, name, workspace.profile.district is not None)
    shown = [r for r in rows if r["late"]] if overdue else rows
    return {"campaign": campaign.id, "deadline": deadline.isoformat(timespec="minutes") if deadline else None,
            "tasks": shown, **counts.summary(), "by_town": _by_town(workspace, rows)}


def visit_docs(workspace: Workspace, campaign_id: str) -> dict[str, dict]:
    """The visit tasks of a campaign, by ID number."""
    return {d["id_number"]: d for d in workspace.store.collection(TASKS).find(campaign=campaign_id, kind=VISIT)}


def campaign_tasks(workspace: Workspace, campaign_id: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """``visit_docs`` and ``planned_visits`` of a campaign, read in one pass over the tasks."""
    visits: dict[str, dict] = {}
    planned: dict[str, dict] = {}
    for doc in workspace.store.collection(TASKS).find(campaign=campaign_id):
        kind = doc.get("kind")
        if kind == VISIT:
            visits[doc["id_number"]] = doc
        elif kind == PLANNED:
            planned[doc["id_number"]] = doc
    return visits, planned


def task_rows(records: Iterable[dict], ctx: Any, docs: dict[str, dict], planned: dict[str, dict],
              deadline: dt.datetime | None, today: dt.date | dt.datetime, statuses: st.StatusRegistry, *,
              name: str | None = None, place: Place | None = None) -> list[dict[str, Any]]:
    """The report's rows of these children (unsorted): a visit task for each campaign child who needs one or
    has one, a planned visit for each child planned; only ``name``'s (either line) and ``place``'s if given."""
    rows = []
    for record in records:
        id_number = record["id_number"]
        found = []
        doc = docs.get(id_number)
        c = ctx.classify(record)
        wanted = c.in_campaign and needs_visit(c.situation, statuses)
        if wanted or doc is not None:
            found.append(_row(record, doc, c.situation, OPEN if wanted else DONE, _due_of(doc, deadline), today))
        plan = planned.get(id_number)
        if plan is not None:
            found.append(_row(record, plan, PLANNED_SITUATION, plan.get("state") or OPEN, _due_of(plan, None), today))
        for row in found:
            if name and name not in (row["gov"], row["edu"], row.get("visitor")):
                continue
            if place is not None and not place.holds(row):
                continue
            rows.append(row)
    return rows


def _blank() -> dict[str, int]:
    return {"assigned": 0, "done": 0, "open": 0, "late": 0}


def _add_into(mine: dict[Any, dict[str, int]], theirs: dict[Any, dict[str, int]]) -> None:
    for key, counts in theirs.items():
        target = mine.get(key)
        if target is None:
            mine[key] = dict(counts)
        else:
            for k, n in counts.items():
                target[k] += n


@dataclass
class TaskCounts:
    """The report's counts (totals, by village, by person and line): sums over rows, so the counts of
    several sets of children add up (``services.campaign.tasks_kept`` keeps them per village file)."""
    totals: dict[str, int] = field(default_factory=lambda: {**_blank(), "unassigned": 0})
    villages: dict[str, dict[str, int]] = field(default_factory=dict)
    people: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[dict[str, Any]], name: str | None = None, district: bool = False) -> TaskCounts:
        """The counts of ``rows``; ``district``: villages by their label with the town (城头镇新村)."""
        counts = cls()
        totals, people, villages = counts.totals, counts.people, counts.villages
        for row in rows:
            keys = ("assigned", "done" if row["state"] == DONE else "open") + (("late",) if row["late"] else ())
            where = village_label(row, district)
            targets = [totals, villages.setdefault(where, {**_blank(), "unassigned": 0})]
            for line in (GOV, EDU):
                who = row[line] or UNASSIGNED
                if name and who != name:
                    continue
                targets.append(people.setdefault((who, line), _blank()))
            for target in targets:
                for k in keys:
                    target[k] += 1
            if not row["gov"] and not row["edu"]:
                totals["unassigned"] += 1
                villages[where]["unassigned"] += 1
        return counts

    def add(self, other: TaskCounts) -> None:
        for k, n in other.totals.items():
            self.totals[k] += n
        _add_into(self.villages, other.villages)
        _add_into(self.people, other.people)

    def summary(self) -> dict[str, Any]:
        """``by_person``, ``by_village`` and ``totals`` as ``task_report`` returns them."""
        by_person = [{"person": who, "line": line, "line_label": LINE_LABELS[line], **counts}
                     for (who, line), counts in sorted(self.people.items(),
                                                       key=lambda kv: (kv[0][0] == UNASSIGNED, kv[0]))]
        by_village = [{"village": v, **counts} for v, counts in sorted(self.villages.items())]
        return {"by_person": by_person, "by_village": by_village, "totals": dict(self.totals)}

    def as_json(self) -> dict[str, Any]:
        return {"totals": self.totals, "villages": self.villages,
                "people": [[who, line, counts] for (who, line), counts in self.people.items()]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskCounts:
        return cls({str(k): int(n) for k, n in data["totals"].items()},
                   {str(v): {str(k): int(n) for k, n in c.items()} for v, c in data["villages"].items()},
                   {(str(who), str(line)): {str(k): int(n) for k, n in c.items()} for who, line, c in data["people"]})


def _by_town(workspace: Workspace, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A district's task counts per town (the subtotals of its villages), in the profile's order of towns;
    [] in a township."""
    district = workspace.profile.district
    if district is None:
        return []
    towns: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = towns.setdefault(row.get("town") or "（未定乡镇）",
                                  {"assigned": 0, "done": 0, "open": 0, "late": 0, "unassigned": 0})
        keys = ("assigned", "done" if row["state"] == DONE else "open") + (("late",) if row["late"] else ()) + \
            (() if row["gov"] or row["edu"] else ("unassigned",))
        for k in keys:
            counts[k] += 1
    order = {t: i for i, t in enumerate(district.town_names)}
    ranked = sorted(towns.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return [{"town": t, **counts} for t, counts in ranked]


__all__ = ["sync_tasks", "close_visit_task", "plan_visit", "planned_visits", "set_due", "task_report",
           "needs_visit", "visit_docs", "campaign_tasks", "task_rows", "TaskCounts"]
