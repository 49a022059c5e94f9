"""The demo's people register, its visitors and its visit tasks (``kbtui demo``; the makers are listed in
``services.demo``): the register made before the children, the demo's visits named after its people."""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from kbtui.domain import responsibility as resp
from kbtui.services.campaign import people as people_service
from kbtui.services.campaign import responsibility, tasks
from kbtui.services.campaign.campaigns import current_campaign
from kbtui.services.demo import DEMO_VISIT, SURNAMES

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

DEMO_GIVEN = "春华 国平 明亮 秀英 建军 丽娟 志勇 红梅 海燕 德福 玉兰 文斌 晓东 桂芳 永刚 春燕 小平 卫东".split()


def prepare_demo_people(workspace: Workspace, plan, rng) -> None:
    """Demo register, stored before the children: town leaders, two cadres per village, a principal and
    teachers per school; the children get their responsible people by the profile's rule in memory, so
    that the county-sized demo is stored once instead of being rewritten by an assignment."""
    profile = workspace.profile
    used: set[str] = set()

    def name() -> str:
        while True:
            candidate = rng.choice(SURNAMES) + rng.choice(DEMO_GIVEN)
            if candidate not in used:
                used.add(candidate)
                return candidate

    def phone() -> str:
        return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"

    people = [people_service.make_person(name(), "镇领导", profile.township, phone()),
              people_service.make_person(name(), "教育专干", profile.township, phone())]
    for village in plan.villages:
        people += [people_service.make_person(name(), "村干部", village, phone()) for _ in range(2)]
    teachers_per_school = max(3, len(plan.records) // (150 * max(1, len(profile.schools))))
    for school in profile.schools:
        people.append(people_service.make_person(name(), "校长", school, phone()))
        people += [people_service.make_person(name(), "教师", school, phone()) for _ in range(teachers_per_school)]
    people = workspace.store.collection(people_service.PEOPLE).insert_many(people, workspace.operator)
    ctx = workspace.context()
    campaign_children = [r for r in plan.records if ctx.classify(r).in_campaign]
    assignments = resp.plan_assignments(campaign_children, people, responsibility.rules(workspace),
                                        profile.schools)
    by_id = {r["id_number"]: r for r in campaign_children}
    for id_number, fields in assignments.items():
        by_id[id_number].update(fields)


def name_demo_visitors(workspace: Workspace, plan, rng) -> None:
    """The demo's visits made by people of its register, like real ones: the child's 双线 responsible
    people (a cadre of the village when the child has none) as 走访人 and the ledgers' 排查人, recorded by
    the operator who made the demo (not a login called "demo" in 核查's 走访人 column)."""
    cadres: dict[str, list[str]] = {}
    for person in workspace.store.collection(people_service.PEOPLE).all():
        if person.get("role") == "村干部":
            cadres.setdefault(person.get("unit") or "", []).append(person["name"])
    for record in plan.records:
        history = record.get("status_history") or []
        if not history or history[-1].get("by") != DEMO_VISIT:
            continue
        visitors = [name for name in (record.get("responsible_gov"), record.get("responsible_edu")) if name]
        village_cadres = cadres.get(record.get("village") or "")
        if not visitors and village_cadres:        # (no draw from rng: the rest of the demo stays as it was)
            visitors = [village_cadres[zlib.crc32(record["id_number"].encode()) % len(village_cadres)]]
        history[-1] = {**history[-1], "by": workspace.operator, "visitors": visitors}
        if visitors:
            record["surveyor"] = "、".join(visitors)


def make_demo_tasks(workspace: Workspace, plan, rng) -> None:
    """The visit tasks: open for the children still to visit, done for those the demo visited."""
    tasks.sync_tasks(workspace)
    _demo_done_tasks(workspace)


def _demo_done_tasks(workspace: Workspace) -> None:
    """Visit tasks already done: one per campaign child whose finding the demo recorded on a visit."""
    campaign = current_campaign(workspace)
    ctx = workspace.context()
    done = []
    for record in workspace.store.all():
        history = record.get("status_history") or []
        if not ctx.classify(record).in_campaign or not history or history[-1].get("how") != "入户":
            continue         # (only the demo's own visits are stored yet)
        visit = history[-1]
        done.append({"key": tasks.task_key(campaign.id, record["id_number"]), "campaign": campaign.id,
                     "kind": tasks.VISIT, "id_number": record["id_number"], "name": record.get("name") or "",
                     **tasks.place_of(record),
                     "situation": record.get("status"), "state": tasks.DONE, "created": visit["date"],
                     "done_at": visit["date"], "done_by": visit.get("by") or workspace.operator,
                     "done_how": visit.get("how", "入户"), "visitors": list(visit.get("visitors") or []),
                     "gov": record.get("responsible_gov") or "", "edu": record.get("responsible_edu") or ""})
    workspace.store.collection(tasks.TASKS).insert_many(done, workspace.operator)
