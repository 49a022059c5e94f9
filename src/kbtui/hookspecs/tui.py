"""TUI hooks: screens, dashboard panels, list columns and palette commands.

Each hook hands a ``Registry``: ``registry.add(id, item)`` refuses a duplicate id with a Chinese message,
``registry.replace(id, item)`` overrides one on purpose. The item classes live in ``kbtui.tui.navigation``
(``NavItem``, ``DashboardPanel``, ``Command``) and ``kbtui.services.children.child_list`` (``ListColumn``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.registry import Registry
    from kbtui.services.children.child_list import ListColumn
    from kbtui.tui.navigation import Command, DashboardPanel, NavItem


@hookspec
def kbtui_register_screens(registry: Registry[NavItem]) -> None:
    """Add screens: ``registry.add(item.id, NavItem(id, label, key, factory))``.

    ``factory`` takes no argument and returns a Textual ``Screen``; the screen reaches the workspace as
    ``self.app.workspace`` (and the injectable date as ``self.app.today``). ``key`` is a key name
    (e.g. ``"f7"``) or ``""`` for palette-only screens; the binding id is ``nav.<id>``.
    """


@hookspec
def kbtui_register_dashboard_panels(registry: Registry[DashboardPanel]) -> None:
    """Add panels to the 总览 dashboard: ``registry.add(id, DashboardPanel(id, title, render, order))``.

    ``render(workspace, today)`` returns text or a Rich renderable and runs in a worker thread (it must not
    touch widgets). Use it for what needs action today: overdue tasks, cases past their deadline …
    """


@hookspec
def kbtui_register_list_columns(registry: Registry[ListColumn]) -> None:
    """Add columns to the 儿童 list: ``registry.add(id, ListColumn(id, header, value, width, priority))``.

    ``value(record, ctx)`` returns the cell text (``ctx`` is a ``LedgerContext``: ``ctx.classify(record)``,
    ``ctx.today``, ``ctx.profile``). Columns that do not fit the terminal are hidden, highest priority
    number first (core columns use 0–80); every column can be sorted on.
    """


@hookspec
def kbtui_register_commands(registry: Registry[Command]) -> None:
    """Add commands to the command palette (Ctrl+P) and the help screen:
    ``registry.add(id, Command(id, title, run, help, key))``. ``run(app)`` runs on the UI thread with the
    running app; ``key`` (optional) binds it under the binding id ``cmd.<id>``.
    """
