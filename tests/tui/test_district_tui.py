"""LISTEN/NOTIFY in the TUI (issue 17): on a district database, an open 儿童 list and the dashboard show
another operator's save without a key pressed. Two workspaces on the same database (a real throwaway server):
the app's, and another operator's saving through the CLI's own services."""
from __future__ import annotations

from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from kbtui.tui.screens.children import ChildrenScreen
from kbtui.tui.widgets.virtual_table import VirtualTable
from tests.conftest import run_cli
from tests.helpers.store_backends import postgres_backend
from tests.helpers.tui import TODAY, run_async, screen_text, settle

A, B = "500224201501010011", "500224201501010022"
WAITS = 200                 # pauses before giving up (each a pilot.pause of 0.05 s); no timing is asserted


def _district_folder(pg_server, pg_database, tmp_path):
    backend = postgres_backend(pg_server, pg_database)
    data = tmp_path / "data"
    result = run_cli("init", "--profile", "shuangshan-2024", "--database", backend.spec, data_dir=data)
    assert result.exit_code == 0, result.output
    first = Workspace.open(data, "tester")
    first.store.insert_many([{"id_number": A, "name": "张小明", "village": "高峰村"}], "tester")
    return backend, data


async def _until(pilot, shown) -> bool:
    for _ in range(WAITS):
        if shown():
            return True
        await pilot.pause(0.05)
    return shown()


@run_async
async def test_an_open_list_shows_another_operators_save(pg_server, pg_database, tmp_path):
    backend, data = _district_folder(pg_server, pg_database, tmp_path)
    app = KbtuiApp(Workspace.open(data, "tester"), today=TODAY, start="children")
    other = Workspace.open(data, "tester")               # another operator's kbtui on the same district
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            assert "张小明" in screen_text(app) and "共 1 人" in screen_text(app)
            other.store.update(A, {"name": "张晓明"}, "tester")
            other.store.insert({"id_number": B, "name": "李小红", "village": "尖山村"}, "tester")
            assert await _until(pilot, lambda: "李小红" in screen_text(app) and "张晓明" in screen_text(app))
            assert "共 2 人" in screen_text(app) and isinstance(app.screen, ChildrenScreen)
            assert len(app.screen.query_one(VirtualTable).rows) == 2
    finally:
        other.raw_store.close()
        app.workspace.raw_store.close()
        backend.close()


@run_async
async def test_the_dashboard_counts_another_operators_import(pg_server, pg_database, tmp_path):
    backend, data = _district_folder(pg_server, pg_database, tmp_path)
    app = KbtuiApp(Workspace.open(data, "tester"), today=TODAY, start="dashboard")
    other = Workspace.open(data, "tester")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            assert "名单儿童　1" in screen_text(app)
            other.store.insert_many([{"id_number": f"5002242015010100{k}3", "name": f"新{k}", "village": "高峰村"}
                                     for k in range(3)], "tester")
            assert await _until(pilot, lambda: "名单儿童　4" in screen_text(app))
    finally:
        other.raw_store.close()
        app.workspace.raw_store.close()
        backend.close()


def test_a_data_folder_of_its_own_has_no_listener(empty_workspace_dir):
    assert Workspace.open(empty_workspace_dir, "tester").save_listener() is None
