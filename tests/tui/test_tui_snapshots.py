"""Snapshots (pytest-textual-snapshot) of the dashboard, list, form and visit entry at 80×24 and 120×40,
and of the import preview at 80×24.

Deterministic: a 300-child demo with a fixed seed, a fixed "today", no clock, workers awaited before the shot,
and only the core screens (``plugin_ui=False``) so that a plugin adding a screen does not change the footer.
Regenerate with ``pytest tests/tui/test_tui_snapshots.py --snapshot-update`` after a deliberate change.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from textual.widgets import Select

from tests.helpers.imports import messy_police
from tests.helpers.tui import make_app

SIZES = [(80, 24), (120, 40)]


async def _settle(pilot) -> None:
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_dashboard(snap_compare, tui_data, size):
    assert snap_compare(make_app(tui_data, plugin_ui=False), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_children_list(snap_compare, tui_data, size):
    async def search(pilot):
        await _settle(pilot)
        await pilot.press(*"zh")
        await _settle(pilot)

    assert snap_compare(make_app(tui_data, plugin_ui=False, start="children"), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_child_form(snap_compare, tui_data, size):
    async def open_child(pilot):
        await _settle(pilot)
        await pilot.press("enter", "down", "enter")
        await _settle(pilot)

    assert snap_compare(make_app(tui_data, plugin_ui=False, start="children"), terminal_size=size,
                        run_before=open_child)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_visit_entry(snap_compare, tui_data, size):
    async def walk(pilot):
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(make_app(tui_data, plugin_ui=False, start="visits"), terminal_size=size, run_before=walk)


def test_import_preview(snap_compare, tui_data):
    """The 导入 screen after a police list is read: the preview's counts and its rejected row, before Ctrl+S.
    The list lies at a fixed path, since the path is on the screen."""
    folder = Path(tempfile.gettempdir()) / "kbtui-snapshot-import"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    listing = messy_police(folder / "派出所名单.xlsx")

    async def preview(pilot):
        await _settle(pilot)
        pilot.app.screen.query_one(Select).value = "police"
        pilot.app.screen.query_one("#import-path").value = str(listing)
        pilot.app.screen.query_one("#import-path").focus()
        await pilot.press("enter")
        await _settle(pilot)

    assert snap_compare(make_app(tui_data, plugin_ui=False, start="import"), terminal_size=(80, 24),
                        run_before=preview)
