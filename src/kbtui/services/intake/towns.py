"""Which town (镇/乡/街道) each row of a list belongs to, in a district profile.

A district's lists rarely say the town in a column of its own, so the town of a row is, in this order: its
乡镇 column (城头 → 城头镇); the town of its village when only one town has a village of that name; the town
its 户籍地址 names; the town of its school (a pupil not on any police list); the importing operator's town
when they have only one. A row whose town stays unknown is refused ("无法确定所属乡镇"), since scope, ledgers
and the district's per-town reports all hang on it. A child already stored keeps the town it has (a row
naming another town becomes the merge's conflict: one record, the second town reported, ``kbtui check``).

In a township profile the 乡镇 column is ignored (all its children are of its one town).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kbtui.profiles import District

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

TOWN = "town"


def town_of_row(district: District, values: dict[str, Any],
                own_towns: tuple[str, ...]) -> tuple[str | None, str | None, bool]:
    """(town, None, said) or (None, why not, False) for one row's values; ``said``: the list itself names the
    town (its 乡镇 column or its 户籍地址), rather than the town being inferred from a village, school or the
    operator."""
    given = values.get(TOWN)
    if given:
        town = district.canonical_town(given)
        if town is None:
            return None, (f"乡镇（街道）“{given}”不是{district.name}的乡镇（街道）"
                          f"（{'、'.join(district.town_names)}）"), False
        return town, None, True
    candidates = district.towns_of_village(values.get("village")) or district.town_names
    named = [t for t in district.towns_in_text(values.get("household_address")) if t in candidates]
    if len(named) == 1:
        return named[0], None, True
    if values.get("village") and len(candidates) == 1:
        return candidates[0], None, False
    school_town = district.town_of_school(values.get("school"))
    if school_town and school_town in candidates:
        return school_town, None, False
    mine = [t for t in own_towns if t in candidates]
    if len(mine) == 1:
        return mine[0], None, False
    if values.get("village") and len(candidates) > 1 and candidates != district.town_names:
        return None, (f"无法确定所属乡镇：村（社区）“{values['village']}”在{'、'.join(candidates)}都有，"
                      f"请在名单中加“乡镇”列或在户籍地址中写明乡镇"), False
    return None, "无法确定所属乡镇（街道）：请在名单中加“乡镇”列，或在户籍地址中写明乡镇", False


def assign_towns(workspace: Workspace, checked, stored) -> dict[int, str]:
    """Set ``town`` on the checked rows of a district's list; returns {row number: why not} for the rows whose
    town cannot be told (the caller moves them to the rejects). ``stored(id)`` is the child as stored in any
    town (None if new): a stored child's town is never guessed again. A township's rows lose the column."""
    district = workspace.profile.district
    if district is None:
        for _id, values, _row in checked.good:
            values.pop(TOWN, None)
        return {}
    account = getattr(workspace, "account", None)
    own = tuple(getattr(account, "towns", ()) or ())
    problems: dict[int, str] = {}
    for id_number, values, row in checked.good:
        town, problem, said = town_of_row(district, values, own)
        current = stored(id_number)
        if current is not None and current.get(TOWN) and not said:
            town, problem = current[TOWN], None        # known already, and the list does not say otherwise
        if problem:
            problems[row] = problem
        else:
            values[TOWN] = town
    return problems


def cross_town(district: District | None, current: dict | None, values: dict[str, Any]) -> bool:
    """Is this row about a child already registered in another town (重复户籍)?"""
    return (district is not None and current is not None and bool(current.get(TOWN))
            and bool(values.get(TOWN)) and current[TOWN] != values[TOWN])


# --------------------------------------------------------------------------- 重复户籍 the importer cannot settle

CROSS_TOWN_REASON = "该儿童已在本区其他乡镇（街道）登记户籍（重复户籍），已报区县核查"
#: the district's reports of children registered in one town and listed by another (``store.postgres.migrate``
#: writes the same collection for a township folder's child met in the district)
CONFLICTS = "town_conflicts"
PENDING = "待核实"
_MASKED_ID = "registered_id"      # not ``id_number``: the report is the importing town's, the child another's


def report_conflicts(workspace: Workspace, hidden: list[tuple[str, str, int]], source: str, file: str) -> None:
    """Children a list places in ``town`` that are registered in a town this process may not even read (a
    database narrowed to the operator's town): one report each in the district's ``town_conflicts``, kept in
    the importing town's name, for the bureau to settle (``kbtui check``). The report names the ID, the list
    and its row: nothing of the other town's record."""
    if not hidden:
        return
    docs = [{"key": f"{id_number}@{town}", _MASKED_ID: id_number, "incoming_town": town, TOWN: town,
             "source": source, "file": file, "row": row, "status": PENDING} for id_number, town, row in hidden]
    workspace.store.collection(CONFLICTS).insert_many(docs, workspace.operator, skip_existing=True)


def reported_conflicts(workspace: Workspace) -> list[tuple[str, str, str]]:
    """(ID, name, message) of the pending 重复户籍 reports the operator may see about children they see: the
    bureau's list of conflicts to settle (the importing town's own reports name no other town)."""
    found = []
    for doc in workspace.store.collection(CONFLICTS).all():
        if doc.get("status", PENDING) != PENDING:
            continue
        id_number = doc.get(_MASKED_ID) or doc.get("id_number") or ""
        record = workspace.store.get(id_number)
        if record is None:
            continue
        where = f"“{doc['file']}”第{doc['row']}行" if doc.get("file") and doc.get("row") else "迁入的乡镇数据"
        found.append((id_number, record.get("name") or "",
                      f"{where}将其登记在{doc.get('incoming_town') or '（未知）'}，本区已登记在"
                      f"{record.get(TOWN) or '（未定乡镇）'}（重复户籍，待区县核实）"))
    return found
