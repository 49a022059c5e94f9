"""The demo's visits are made by people of the demo's register, like real visits (issue 15).

The demo recorded every finding as made by a login called "demo": 核查's 走访人 column, the ledgers'
排查人 and the visit tasks all said "demo". Now each demo visit names the child's 双线 responsible people
(a cadre of the village when there are none) as its visitors, and is recorded by the operator who made
the demo, as ``kbtui visit`` does.
"""
from __future__ import annotations

from textual.widgets import DataTable

from kbtui.services.campaign import people, tasks
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.checking import CheckingScreen
from tests.helpers.tui import make_app, run_async, settle


def register(ws: Workspace) -> set[str]:
    return {p["name"] for p in people.list_people(ws)}


def demo_visits(ws: Workspace) -> list[tuple[dict, dict]]:
    return [(r, r["status_history"][-1]) for r in ws.store.all()
            if (r.get("status_history") or [{}])[-1].get("how") == "入户"]


def test_every_demo_visit_names_people_of_the_register(small_demo):
    ws = Workspace.open(small_demo, "tester")
    names = register(ws)
    visited = demo_visits(ws)
    assert len(visited) > 20
    for record, visit in visited:
        assert visit["by"] == "tester" and visit["by"] != "demo"           # the operator who made the demo
        assert visit["visitors"] and set(visit["visitors"]) <= names, visit
        assert record["surveyor"] == "、".join(visit["visitors"])          # the ledgers' 排查人
    assert {v for _r, visit in visited for v in visit["visitors"]} & {
        r.get("responsible_gov") for r, _v in visited}                    # the child's own 包村 cadre


def test_the_demo_visit_tasks_say_who_visited(small_demo):
    ws = Workspace.open(small_demo, "tester")
    done = [t for t in ws.store.collection(tasks.TASKS).all() if t.get("state") == tasks.DONE]
    assert done and all(t["done_by"] == "tester" and set(t["visitors"]) <= register(ws) for t in done)


@run_async
async def test_the_checking_screen_shows_the_visitors_names(tui_data):
    ws = Workspace.open(tui_data, "tester")
    people.add_person(ws, "tester", "村干部", "双山镇")
    names = register(ws)
    app = make_app(tui_data, start="checking")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, CheckingScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count > 0
        column = [str(table.get_row_at(n)[5]) for n in range(table.row_count)]
        assert "demo" not in column
        visited = [cell for cell in column if cell]         # (children the lists place need no visit)
        assert visited and all(set(cell.split("、")) <= names for cell in visited), visited[:5]
