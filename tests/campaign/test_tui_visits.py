"""走访录入 through the Pilot: several children in a row, each stored with its history."""
from __future__ import annotations

from textual.widgets import Input

from kbtui.services.campaign import visits
from kbtui.tui.screens.dialogs import PickerScreen
from tests.helpers.tui import TODAY, confirm_school, make_app, run_async, screen_text, settle, start_village


@run_async
async def test_visit_entry_of_several_children_in_a_row(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        queue = [r["id_number"] for r in app.screen.queue]
        ctx = app.workspace.context(TODAY)
        expected = visits.visit_queue(app.workspace, "高峰村", TODAY)
        assert queue == [r["id_number"] for r in expected]
        pending = [r for r in expected if ctx.classify(r).situation in ("待核实", "缓学待核实")]
        assert pending and queue[: len(pending)] == [r["id_number"] for r in pending]   # to visit first
        first, second, third = queue[:3]
        assert app.workspace.store.get(first)["name"] in screen_text(app)

        await pilot.press("2", "enter")                       # 外地就读, Enter asks for the school …
        await confirm_school(app, pilot, "东莞市长安小学")      # … Enter saves → next child
        assert app.screen.child["id_number"] == second
        await pilot.press("7", "tab")                         # 疑似辍学, then the school field
        await pilot.press("tab", "tab", "tab")                # date, how, note
        assert app.screen.focused.id == "v-note"
        await pilot.press(*"absent 10 days", "enter")
        assert app.screen.child["id_number"] == third
        await pilot.press("0")                                # the full list
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"户籍迁出", "enter")
        await pilot.press("enter")
        await settle(app, pilot)

        store = app.workspace.store
        assert store.get(first)["status"] == "外地就读"
        assert store.get(second)["status"] == "疑似辍学" and store.get(second)["note"] == "absent 10 days"
        assert store.get(third)["status"] == "户籍迁出"
        last = store.get(second)["status_history"][-1]
        assert {k: last[k] for k in ("status", "date", "by", "how", "note")} == {"status": "疑似辍学",
                                                                                 "date": TODAY.isoformat(),
                                                                                 "by": "tester", "how": "入户",
                        "note": "absent 10 days"}
        assert [e["action"] for e in store.journal.entries(record=first)][-1] == "visit"
        assert "本次已录入 3 人" in screen_text(app)


@run_async
async def test_enter_without_a_finding_saves_nothing(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        first = app.screen.child
        await pilot.press("enter")
        assert app.screen.child["id_number"] == first["id_number"]
        assert app.workspace.store.get(first["id_number"]) == first


@run_async
async def test_skip_and_back_and_a_bad_date(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        queue = app.screen.queue
        await pilot.press("pagedown")
        assert app.screen.child["id_number"] == queue[1]["id_number"]
        await pilot.press("pageup")
        assert app.screen.child["id_number"] == queue[0]["id_number"]
        await pilot.press("1")
        app.screen.query_one("#v-date", Input).value = "2099-01-01"
        await pilot.press("enter")
        await confirm_school(app, pilot)
        await settle(app, pilot)
        assert app.screen.child["id_number"] == queue[0]["id_number"]      # refused: stays
        assert app.workspace.store.get(queue[0]["id_number"]).get("status") != "在籍在校" or \
            queue[0].get("status") == "在籍在校"


@run_async
async def test_a_visit_that_lost_a_race_reloads_the_child(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        child = app.screen.child
        # someone else recorded a finding meanwhile (a change of another field would not stop the visit)
        app.workspace.store.raw.update(child["id_number"], {"status": "外地就读", "note": "别人刚录过"}, "other")
        await pilot.press("1", "enter")
        await confirm_school(app, pilot)
        await settle(app, pilot)
        assert app.screen.child["id_number"] == child["id_number"]
        assert app.screen.child["note"] == "别人刚录过"
        await pilot.press("enter")                             # confirmed on the fresh version
        await confirm_school(app, pilot)
        await settle(app, pilot)
        assert app.workspace.store.get(child["id_number"])["status"] == "在籍在校"


@run_async
async def test_a_visit_saved_meanwhile_by_another_operator_is_shown_before_saving_again(tui_data):
    from kbtui.services.workspace import Workspace

    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        first, second = app.screen.queue[0], app.screen.queue[1]
        other = Workspace.open(tui_data, "tester")
        # another operator changes an unrelated field of the first child: the visit simply saves
        other.store.update(first["id_number"], {"guardian_phone": "13912345678"}, "tester")
        await pilot.press("2", "enter")
        await confirm_school(app, pilot, "东莞市长安小学")
        stored = app.workspace.raw_store.get(first["id_number"])
        assert stored["status"] == "外地就读" and stored["guardian_phone"] == "13912345678"
        assert app.screen.child["id_number"] == second["id_number"]
        # another operator's visit of the second child lands while it is on screen: refused, reloaded, shown
        visits.record_finding(other, second["id_number"], "休学", note="镇里核实", today=TODAY, reason="因病")
        await pilot.press("1", "enter")
        await confirm_school(app, pilot)
        await settle(app, pilot)
        assert app.screen.child["id_number"] == second["id_number"]
        assert "您的修改未保存" in " ".join(str(n.message) for n in app._notifications)
        assert app.workspace.raw_store.get(second["id_number"])["status"] == "休学"
        await pilot.press("enter")                            # seen: saved next to the other visit
        await confirm_school(app, pilot)
        await settle(app, pilot)
        history = app.workspace.raw_store.get(second["id_number"])["status_history"]
        assert [(h["status"], h["note"]) for h in history[-2:]] == [("休学", "镇里核实"), ("在籍在校", "")]
