"""The villages a command or screen may be limited to (``--village``): a name nobody lives in is refused
with the villages there are, rather than giving an empty list that looks like "nothing to do"."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


def known_villages(workspace: Workspace) -> list[str]:
    """The villages of the children the operator sees (in their scope), sorted."""
    return sorted({r.get("village") or "" for r in workspace.store.all()} - {""})


def village_problem(workspace: Workspace, village: str | None) -> str | None:
    """None when ``village`` is empty or some child (in scope) lives there; else why not, listing the villages."""
    if not village or any((r.get("village") or "") == village for r in workspace.store.all()):
        return None
    return f"没有村（社区）为“{village}”的儿童；现有：{'、'.join(known_villages(workspace)) or '（无）'}"
