"""专项督导检查 (双山): a random, reproducible sample of households by family type, the printable
spot-check list, the spot-check results against the earlier findings, and the mismatches.

Sizes come from the profile's ``[spotcheck]`` (family type → households), e.g. 脱贫户 5, 监测户 5,
一般农户 10. The same seed over the same children gives the same sample. The draw is stored per campaign
in ``collection("spotchecks")``; results in ``collection("spotcheck_results")`` (key
``<campaign>:<身份证号>``). A spot-check result does not change the child's situation: a mismatch is
for the campaign team to follow up (visit again, correct the finding).
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import roles as R
from kbtui.domain.ledger import SheetColumn
from kbtui.domain.responsibility import household_key
from kbtui.domain.sorting import place_key, value_key
from kbtui.errors import StoreError
from kbtui.services.access import access, gate
from kbtui.services.campaign.campaigns import current_campaign, current_campaign_id
from kbtui.services.campaign.visits import finding_problem

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

DRAWS = "spotchecks"
RESULTS = "spotcheck_results"

# the columns of list_rows; the keyed ones are masked in exports for roles that may not see them
_COLUMNS = (SheetColumn("序号", 6), SheetColumn("家庭类型", 10), SheetColumn("村（社区）", 12),
            SheetColumn("村民小组", 8), SheetColumn("监护人", 10), SheetColumn("联系电话", 14, "guardian_phone"),
            SheetColumn("儿童姓名", 10), SheetColumn("身份证号", 21, "id_number"), SheetColumn("排查结果", 14),
            SheetColumn("督查结果", 14), SheetColumn("督查人", 10), SheetColumn("备注", 20))
LIST_COLUMNS = tuple((c.header, c.width) for c in _COLUMNS)


class SpotcheckError(StoreError):
    """A spot-check that cannot be done; the message is Chinese."""


def sizes(workspace: Workspace) -> dict[str, int]:
    """Households to draw per family type (the profile's ``[spotcheck]``)."""
    return dict(workspace.profile.settings.spotcheck_sizes)


def _campaign_id(workspace: Workspace) -> str:
    return current_campaign_id(workspace)


def households(workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Households of the campaign's children by family type (the household's most common type)."""
    ctx = workspace.context()
    members: dict[tuple, list[dict]] = defaultdict(list)
    for record in workspace.store.all():
        if ctx.classify(record).in_campaign:
            members[household_key(record)].append(record)
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in sorted(members):
        children = sorted(members[key], key=lambda r: r["id_number"])
        types = Counter(r["family_type"] for r in children if r.get("family_type"))
        family_type = types.most_common(1)[0][0] if types else ""
        first = children[0]
        by_type[family_type].append({
            "village": key[0], "group": key[1], "guardian": first.get("guardian") or "",
            "phone": first.get("guardian_phone") or "", "family_type": family_type,
            "children": [r["id_number"] for r in children], **({"town": key[3]} if key[3] else {})})
    return dict(by_type)


def draw(workspace: Workspace, seed: int, wanted: dict[str, int] | None = None,
         replace: bool = False) -> dict[str, Any]:
    """Draw the sample for the current campaign. Same seed and same children → same households.

    The list covers the whole township, so only operators whose scope is the whole township may draw it
    (a village cadre's draw would replace it with households of one village)."""
    operator = gate.require(workspace, R.WRITE, "抽取督查名单")
    if operator is not None and operator.role_info.scope != R.ALL:
        raise SpotcheckError(f"督查名单覆盖全镇，只有镇级操作员（镇管理员、教育专干）可以抽取；"
                             f"您的角色是{operator.role}")
    if operator is not None and operator.towns:
        raise SpotcheckError(f"督查名单覆盖全区，只有区县管理员或区县教育局可以抽取；您只管{operator.scope_text()}")
    wanted = wanted if wanted is not None else sizes(workspace)
    if not wanted:
        raise SpotcheckError("配置文件没有 [spotcheck]（各家庭类型抽查户数），无法抽取督查名单")
    pool = households(workspace)
    rng = random.Random(seed)
    chosen: list[dict[str, Any]] = []
    shortfall = {}
    for family_type, size in wanted.items():
        candidates = pool.get(family_type, [])
        if len(candidates) < size:
            shortfall[family_type] = size - len(candidates)
        picked = rng.sample(candidates, min(size, len(candidates)))
        chosen.extend(sorted(picked, key=lambda h: (h["village"], value_key(h["group"]), h["guardian"])))
    campaign = _campaign_id(workspace)
    doc = {"key": campaign, "campaign": campaign, "seed": seed, "sizes": wanted, "households": chosen,
           "shortfall": shortfall, "drawn_at": dt.datetime.now().isoformat(timespec="seconds")}

    def drawn(current: dict | None) -> dict[str, Any]:
        if current is not None and not replace:
            raise SpotcheckError("本次排查已经抽取过督查名单；如需重新抽取请加 --replace（原名单作废）")
        return doc

    return workspace.store.collection(DRAWS).upsert(campaign, drawn, workspace.operator)


def current_draw(workspace: Workspace) -> dict[str, Any] | None:
    return workspace.store.collection(DRAWS).get(_campaign_id(workspace))


def drawn_ids(workspace: Workspace) -> list[str]:
    found = current_draw(workspace)
    return [i for h in (found or {}).get("households", []) for i in h["children"]]


def _situation(workspace: Workspace, record: dict) -> str:
    return workspace.context().classify(record).situation


def screen_rows(workspace: Workspace) -> list[list[Any]]:
    """``list_rows`` for showing on screen: ID and phone numbers masked unless the role needs them."""
    return [access.mask_row(workspace, list(_COLUMNS), row, purpose="list") for row in list_rows(workspace)]


def list_rows(workspace: Workspace) -> list[list[Any]]:
    """One row per drawn child within the operator's scope (columns as ``LIST_COLUMNS``), numbers in full."""
    found = current_draw(workspace)
    if not found:
        raise SpotcheckError("还没有抽取督查名单，请先执行 kbtui spotcheck draw")
    results = {r["id_number"]: r for r in workspace.store.collection(RESULTS).find(campaign=found["campaign"])}
    rows, n = [], 0
    ctx = workspace.context()
    for household in found["households"]:
        for id_number in household["children"]:
            record = workspace.store.get(id_number)
            if record is None:       # outside the operator's scope: not even the household is shown
                continue
            result = results.get(id_number, {})
            n += 1
            rows.append([n, household["family_type"], household["village"], household["group"],
                         household["guardian"], household["phone"], record.get("name") or "", id_number,
                         ctx.classify(record).situation if record.get("birth_date") else "",
                         result.get("status") or "", result.get("by") or "", result.get("note") or ""])
    return rows


def export_list(workspace: Workspace, path: str | Path, today: dt.date | None = None) -> int:
    """The printable spot-check list (Excel form) of the children within the operator's scope, ID and phone
    numbers masked for roles that may not see them, journaled; returns the number of children listed."""
    from kbtui.excel.writer import write_form  # heavy: imported where used

    campaign = current_campaign(workspace)
    found = current_draw(workspace) or {}
    counts = Counter(h["family_type"] for h in found.get("households", []))
    subtitle = "抽查：" + "，".join(f"{t} {n} 户" for t, n in counts.items()) + f"（随机种子 {found.get('seed')}）"
    title = f"{campaign.title}专项督导检查名单"
    rows = [access.mask_row(workspace, list(_COLUMNS), row) for row in list_rows(workspace)]

    def write(properties: dict[str, str]) -> int:
        return write_form(path, title=title, unit=workspace.profile.township, date=today or dt.date.today(),
                          columns=LIST_COLUMNS, rows=rows, sheet_title="督查名单", subtitle=subtitle,
                          properties=properties)

    return access.export_file(workspace, title, path, write, properties={"subject": "专项督导检查名单"},
                              detail={"campaign": found.get("campaign"), "seed": found.get("seed")})


def record_result(workspace: Workspace, id_number: str, status: str, *, note: str = "", date: str | None = None,
                  by: str | None = None) -> dict[str, Any]:
    """Record what the spot-check found for one child, next to the earlier finding."""
    problem = finding_problem(workspace, status)
    if problem:
        raise SpotcheckError(problem)
    record = workspace.store.get(id_number)
    if record is None:
        raise SpotcheckError(f"找不到身份证号为 {id_number} 的儿童")
    campaign = _campaign_id(workspace)
    earlier = _situation(workspace, record)
    doc = {"campaign": campaign, "id_number": id_number, "name": record.get("name") or "",
           "village": record.get("village") or "", "group": record.get("group") or "",
           "status": status, "earlier": earlier, "earlier_by": (record.get("status_history") or [{}])[-1].get("by"),
           "match": status == earlier, "drawn": id_number in set(drawn_ids(workspace)),
           "by": by or workspace.operator, "date": date or dt.date.today().isoformat(), "note": note.strip()}
    coll = workspace.store.collection(RESULTS)
    key = f"{campaign}:{id_number}"
    # base: another inspector's result saved meanwhile is not overwritten by a different one (refused)
    return coll.upsert(key, doc, workspace.operator, base=coll.get(key) or {})


def results(workspace: Workspace) -> list[dict[str, Any]]:
    found = workspace.store.collection(RESULTS).find(campaign=_campaign_id(workspace))
    return sorted(found, key=place_key)


def mismatches(workspace: Workspace) -> list[dict[str, Any]]:
    """Spot-check results that differ from the earlier finding."""
    return [r for r in results(workspace) if not r.get("match")]


def progress(workspace: Workspace) -> dict[str, int]:
    ids = drawn_ids(workspace)
    done = {r["id_number"] for r in results(workspace)}
    return {"drawn": len(ids), "checked": sum(1 for i in ids if i in done), "mismatches": len(mismatches(workspace))}
