"""TUI hooks: screens reachable from the app's navigation and the command palette."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.registry import Registry
    from kbtui.tui.navigation import NavItem


@hookspec
def kbtui_register_screens(registry: "Registry[NavItem]") -> None:
    """Add screens: ``registry.add(item.id, NavItem(id, label, key, factory))``.

    ``factory`` takes no argument and returns a Textual ``Screen``; the screen reaches the workspace as
    ``self.app.workspace``. ``key`` is a key name (e.g. ``"f7"``) or ``""`` for palette-only screens.
    """
