"""The villages a command or screen may be limited to (``--village``): a name nobody lives in is refused
with the villages there are, rather than giving an empty list that looks like "nothing to do".

In a district two towns may both have a 新村: the village is then written with its town, ``城头镇新村`` or
``城头镇/新村`` (also ``城头/新村``, the town as a list would name it). A bare name that several towns the
operator sees have is refused, naming the ways to write it; a town admin's bare 新村 is their town's."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

SEPARATORS = ("/", "／", "·", " ")


@dataclass(frozen=True)
class Place:
    """A village, and its town when it was written with one (or it is a district's)."""
    village: str
    town: str | None = None

    def holds(self, record: dict) -> bool:
        return (record.get("village") or "") == self.village and \
            (self.town is None or (record.get("town") or "") == self.town)

    @property
    def label(self) -> str:
        return f"{self.town}{self.village}" if self.town else self.village


def _places(workspace: Workspace) -> set[tuple[str, str]]:
    """(town, village) of the children the operator sees ('' town in a township)."""
    return {(r.get("town") or "", r.get("village") or "") for r in workspace.store.all()} - {("", "")}


def known_villages(workspace: Workspace) -> list[str]:
    """The villages of the children the operator sees (in their scope), sorted; in a district a village that
    several of those towns have is named with its town (城头镇新村)."""
    places = {p for p in _places(workspace) if p[1]}
    towns_of: dict[str, set[str]] = {}
    for town, village in places:
        towns_of.setdefault(village, set()).add(town)
    return sorted({f"{town}{village}" if len(towns_of[village]) > 1 else village for town, village in places})


def _split(workspace: Workspace, text: str) -> tuple[str, str] | None:
    """(town, village) of a district's ``城头镇新村`` / ``城头镇/新村``; None when ``text`` names no town."""
    district = workspace.profile.district
    if district is None:
        return None
    for sep in SEPARATORS:
        head, found, tail = text.partition(sep)
        if found and head.strip() and tail.strip():
            town = district.canonical_town(head.strip())
            return (town, tail.strip()) if town else None
    for town in sorted(district.town_names, key=len, reverse=True):
        if text.startswith(town) and len(text) > len(town):
            return town, text[len(town):]
    return None


def resolve_place(workspace: Workspace, village: str) -> tuple[Place | None, str | None]:
    """(the place ``village`` names, None) or (None, why not)."""
    text = village.strip()
    places = _places(workspace)
    towns = sorted({t for t, v in places if v == text})
    if len(towns) == 1:
        return Place(text, towns[0] or None), None
    if len(towns) > 1:
        written = "”或“".join(f"{towns[0]}{sep}{text}" for sep in ("", "/"))
        return None, (f"村（社区）“{text}”在{'、'.join(towns)}都有，请写明乡镇（街道），如“{written}”")
    split = _split(workspace, text)
    if split is not None and split in places:
        return Place(split[1], split[0]), None
    return None, f"没有村（社区）为“{text}”的儿童；现有：{'、'.join(known_villages(workspace)) or '（无）'}"


def village_problem(workspace: Workspace, village: str | None) -> str | None:
    """None when ``village`` is empty or names a village some child (in scope) lives in; else why not, listing
    the villages."""
    if not village:
        return None
    return resolve_place(workspace, village)[1]


def in_village(workspace: Workspace, village: str | None) -> Callable[[dict], bool]:
    """Whether a record (a child, or a row carrying its ``village`` and ``town``) is of ``village`` (everything
    when it is empty; nothing when it names no village: check ``village_problem`` first)."""
    if not village:
        return lambda _record: True
    place = resolve_place(workspace, village)[0]
    return place.holds if place is not None else (lambda _record: False)


def town_subtotals(workspace: Workspace, id_numbers: Iterable[str]) -> dict[str, int]:
    """How many of the items about ``id_numbers`` (one each: a case, a due step …) are in each town, in the
    profile's order of towns: a district's lists end with these subtotals. {} in a township."""
    district = workspace.profile.district
    if district is None:
        return {}
    counts: dict[str, int] = {}
    for id_number in id_numbers:
        record = workspace.store.get(id_number) or {}
        town = record.get("town") or "（未定乡镇）"
        counts[town] = counts.get(town, 0) + 1
    order = {t: i for i, t in enumerate(district.town_names)}
    return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def subtotals_line(subtotals: dict[str, int], unit: str) -> str:
    """``按乡镇（街道）：城头镇 1 件、桑村镇 2 件`` ("" when there are none)."""
    if not subtotals:
        return ""
    return "按乡镇（街道）：" + "、".join(f"{town} {n} {unit}" for town, n in subtotals.items())
