"""Disability hooks: placement options for disabled children (安置方式)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.domain.disability_placement import PlacementOption
    from kbtui.registry import Registry


@hookspec
def kbtui_register_placements(registry: Registry[PlacementOption]) -> None:
    """Add placement options: ``registry.add(option.name, PlacementOption(...))``.

    A ``PlacementOption`` (``kbtui.api``) names the situation the child takes once placed,
    its order of preference, its own fields (``fields={"key": "标签"}``), its rules (``needs_field``,
    ``needs_evidence``, ``needs_conclusion`` … each refusing or only flagging) and the evidence to ask
    for. ``registry.replace(name, option)`` changes a stock option on purpose. The situation must exist:
    register a new one through ``kbtui_register_statuses`` if needed.
    """
