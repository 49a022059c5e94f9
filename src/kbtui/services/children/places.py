"""The villages a command or screen may be limited to (``--village``, filters, per-village panels).

A name nobody lives in is refused with the villages there are, rather than giving an empty list that looks
like "nothing to do". In a district two towns may each have a village of the same name (城头镇 and 桑村镇
both have a 新村): a village is then named with its town, ``城头镇新村`` as the reports' rows are
(``village_label``; typed also as ``城头镇·新村``, ``城头镇 新村`` or ``城头·新村``), and a bare name found in
several towns is refused with the candidates (``find_village``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kbtui.profiles import District
    from kbtui.services.workspace import Workspace

_TYPED_SEP = re.compile(r"[·・•．.\s/／]+")   # what an operator may type between town and village

Record = dict[str, Any]


def village_label(record: Record, district: bool) -> str:
    """The village a record is counted and filtered under: ``城头镇新村`` in a district (when both are
    filled; ``domain.report.by_village`` names report rows the same way), the village as recorded otherwise
    ("" for none)."""
    village = record.get("village") or ""
    town = (record.get("town") or "") if district else ""
    return f"{town}{village}" if town and village else village


@dataclass(frozen=True)
class Place:
    """A village, with its town in a district (``town`` None in a township, or for a district child whose
    town is not known); or a whole town of a district (``village`` "": ``--town`` alone)."""

    town: str | None
    village: str

    @property
    def label(self) -> str:
        return f"{self.town}{self.village}" if self.town else self.village

    def holds(self, record: Record) -> bool:
        if self.village and (record.get("village") or "") != self.village:
            return False
        return self.town is None or (record.get("town") or "") == self.town


def sees_several_towns(workspace: Workspace) -> bool:
    """A district's operator seeing more than one town (the bureau, or an admin of several towns)."""
    if workspace.profile.district is None:
        return False
    towns = getattr(getattr(workspace, "account", None), "towns", ()) or ()
    return len(towns) != 1


def _places(workspace: Workspace) -> list[Place]:
    """The villages of the children the operator sees (in their scope), with their town in a district."""
    district = workspace.profile.district
    found = {((r.get("town") or None) if district else None, r.get("village") or "") for r in workspace.store.all()}
    order = {name: i for i, name in enumerate(district.town_names if district else [])}   # the profile's order
    return sorted((Place(town, village) for town, village in found if village),
                  key=lambda p: (order.get(p.town or "", len(order)), p.town or "", p.village))


def known_villages(workspace: Workspace) -> list[str]:
    """The villages of the children the operator sees (in their scope), sorted (``城头镇新村`` in a district)."""
    return [p.label for p in _places(workspace)]


def split_village(district: District, text: str) -> tuple[str | None, str]:
    """(town, village) as typed: ``城头镇新村``, ``城头镇·新村``, ``城头 新村``; (None, text) for a bare name."""
    parts = [p for p in _TYPED_SEP.split(text) if p]
    if len(parts) == 2:
        return district.canonical_town(parts[0]) or parts[0], parts[1]
    for town in sorted(district.town_names, key=len, reverse=True):
        if text.startswith(town) and len(text) > len(town):
            return town, text[len(town):]
    return None, text


def _choose(district: District | None, text: str, places: list[Place]) -> Place | str:
    """The place ``text`` names among ``places``, or why none (Chinese, listing the candidates)."""
    listed = "、".join(p.label for p in places) or "（无）"
    if district is None:
        return Place(None, text) if any(p.village == text for p in places) else \
            f"没有村（社区）为“{text}”的儿童；现有：{listed}"
    bare = [p for p in places if p.village == text]
    town, village = (None, text) if bare else split_village(district, text)
    if town is None:
        if len(bare) == 1:
            return bare[0]
        if len(bare) > 1:
            return (f"村（社区）“{text}”在多个乡镇（街道）都有：{'、'.join(p.label for p in bare)}，"
                    f"请写明乡镇，如“{bare[0].label}”")
        return f"没有村（社区）为“{text}”的儿童；现有：{listed}"
    place = Place(town, village)
    if place in places:
        return place
    return f"没有{place.label}的儿童；现有：{listed}"


def _town(district: District | None, text: str, places: list[Place]) -> str:
    """The town ``text`` names (城头 → 城头镇) among those the operator's children live in; ValueError (Chinese)."""
    if district is None:
        raise ValueError(f"本数据目录是乡镇配置，不分乡镇（街道）：去掉“{text}”（--town）")
    town = district.canonical_town(text) or text
    if not any(p.town == town for p in places):
        present = "、".join(t for t in district.town_names if any(p.town == t for p in places)) or "（无）"
        where = "" if district.town(town) else "本区没有这个乡镇（街道），"
        raise ValueError(f"没有乡镇（街道）为“{text}”的儿童（{where}现有：{present}）")
    return town


def find_village(workspace: Workspace, village: str | None, error: Callable[[str], Exception],
                 town: str | None = None) -> Place | None:
    """The village ``village`` names, or in a district the whole ``town`` (``--town``; both: that town's
    village); None for neither given (every child). Raises ``error(message)`` when nobody in the operator's
    scope lives there, or when a bare name is in several towns."""
    text, town_text = (village or "").strip(), (town or "").strip()
    if not text and not town_text:
        return None
    district, places = workspace.profile.district, _places(workspace)
    try:
        town_name = _town(district, town_text, places) if town_text else None
    except ValueError as err:
        raise error(str(err)) from None
    if not text:
        return Place(town_name, "")
    found = _choose(district, text, [p for p in places if town_name is None or p.town == town_name])
    if isinstance(found, str):
        raise error(found)
    return found


def village_problem(workspace: Workspace, village: str | None) -> str | None:
    """None when ``village`` is empty or names a village some child (in scope) lives in; else why not."""
    try:
        find_village(workspace, village, ValueError)
    except ValueError as err:
        return str(err)
    return None
