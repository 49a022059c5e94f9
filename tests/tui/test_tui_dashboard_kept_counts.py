"""Issue 18 through the Pilot: the dashboard shows kept counts only while they are current; another
operator's save and a visit on F4 show on F2 without pressing r, and the next start shows the kept counts
before the children are read."""
from __future__ import annotations

from kbtui.services.campaign import visits
from kbtui.services.dashboard import dashboard
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from kbtui.tui.screens.dashboard import DashboardScreen
from tests.helpers.tui import make_app, run_async, screen_text, settle

OPERATOR = "tester"


def pending_line(app) -> str:
    return next(line for line in screen_text(app).splitlines() if "待核实　　" in line)


def pending_child(ws, village: str | None = None) -> dict:
    return next(r for r in ws.store.all() if ws.context().classify(r).situation == "待核实"
                and (village is None or r.get("village") == village))


@run_async
async def test_another_operators_save_and_a_visit_show_on_f2(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, DashboardScreen)
        before = dashboard(app.workspace, app.today).pending
        assert f"待核实　　{before}" in pending_line(app)

        other = Workspace.open(tui_data, OPERATOR)              # another operator, another process's view
        visits.record_finding(other, pending_child(other)["id_number"], "外地就读", school="广东某小学",
                              today=app.today)
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        assert f"待核实　　{before - 1}" in pending_line(app)

        visits.record_finding(app.workspace, pending_child(app.workspace)["id_number"], "外地就读",
                              school="广东某小学", today=app.today)     # as the F4 screen saves
        await pilot.press("f4")
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        assert f"待核实　　{before - 2}" in pending_line(app)
        assert dashboard(app.workspace, app.today).pending == before - 2


@run_async
async def test_the_next_start_shows_the_kept_counts_before_the_children_are_read(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        shown = pending_line(app)

    lazy = Workspace.open(tui_data, OPERATOR, load_children=False)
    later = KbtuiApp(lazy, today=app.today)
    later.load_children = lambda: None          # the children are never read: only the kept counts can show
    async with later.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not later.children_loaded and pending_line(later) == shown

    writer = Workspace.open(tui_data, OPERATOR)
    writer.store.update(pending_child(writer)["id_number"], {"status": "外地就读"}, OPERATOR)
    stale = KbtuiApp(Workspace.open(tui_data, OPERATOR, load_children=False), today=app.today)
    stale.load_children = lambda: None
    async with stale.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "待核实　　" not in screen_text(stale)      # a village file changed: no kept counts shown
