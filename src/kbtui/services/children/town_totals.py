"""A district's lists end with subtotals per town (cases, due escalation steps, disabled children …): the
bureau sees each town's share of the list; a township's lists have none."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

NO_TOWN = "（未定乡镇）"


def town_subtotals(workspace: Workspace, id_numbers: Iterable[str]) -> dict[str, int]:
    """How many of the items about ``id_numbers`` (one each: a case, a due step …) are in each town, in the
    profile's order of towns. {} in a township."""
    district = workspace.profile.district
    if district is None:
        return {}
    counts: dict[str, int] = {}
    for id_number in id_numbers:
        town = (workspace.store.get(id_number) or {}).get("town") or NO_TOWN
        counts[town] = counts.get(town, 0) + 1
    order = {t: i for i, t in enumerate(district.town_names)}
    return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def subtotals_line(subtotals: dict[str, int], unit: str) -> str:
    """``按乡镇（街道）：城头镇 1 件、桑村镇 2 件`` ("" when there are none)."""
    if not subtotals:
        return ""
    return "按乡镇（街道）：" + "、".join(f"{town} {n} {unit}" for town, n in subtotals.items())
