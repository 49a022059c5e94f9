"""走访录入 details through the Pilot: visitors and how carried from child to child, the reason asked only for
problem situations, evidence as 说明=路径 with path completion — and number + Enter still saves."""
from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from kbtui.services.access.operators import load_operators, make_operator, save_operators
from kbtui.tui.screens.dialogs import PickerScreen
from kbtui.tui.screens.visits import split_evidence, split_names
from tests.helpers.tui import confirm_school, make_app, run_async, screen_text, settle, start_village


def name_operator(data: Path, name: str) -> None:
    operators = load_operators(data)
    operators["tester"] = make_operator("tester", name, "镇管理员")
    save_operators(data, operators)


def test_splitting_visitors_and_evidence():
    assert split_names("王老师、李支书, 张组长  赵四") == ["王老师", "李支书", "张组长", "赵四"]
    assert split_evidence("就读证明=/tmp/a.jpg；电话记录；") == ["就读证明=/tmp/a.jpg", "电话记录"]


@run_async
async def test_visitors_and_how_carry_on_to_the_next_child(tui_data):
    name_operator(tui_data, "王老师")
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        screen = app.screen
        first, second, third = [r["id_number"] for r in screen.queue[:3]]
        visitors = screen.query_one("#v-visitors", Input)
        assert visitors.value == "王老师"                         # the operator's display name
        await pilot.press("1", "enter")                          # the fast path: number + Enter …
        await confirm_school(app, pilot)                         # … and Enter on the school asked for
        assert screen.child["id_number"] == second
        visitors.value = "王老师、李支书"
        await pilot.press("h")                                   # 入户 → 电话
        assert screen.query_one("#v-how", Input).value == "电话"
        await pilot.press("2", "enter")
        await confirm_school(app, pilot, "东莞市长安小学")
        assert screen.child["id_number"] == third
        assert visitors.value == "王老师、李支书" and screen.query_one("#v-how", Input).value == "电话"
        await pilot.press("1", "enter")
        await confirm_school(app, pilot)
        await settle(app, pilot)
        store = app.workspace.store
        entries = [store.get(i)["status_history"][-1] for i in (first, second, third)]
        assert [e["visitors"] for e in entries] == [["王老师"], ["王老师", "李支书"], ["王老师", "李支书"]]
        assert [e["how"] for e in entries] == ["入户", "电话", "电话"]
        assert all(e["by"] == "tester" for e in entries)
        journal = [e for e in store.journal.entries(record=third) if e["action"] == "visit"]
        assert journal[-1]["detail"]["how"] == "电话"
        screen.query_one("#v-how", Input).value = "上门"                # not one of the four: refused, stays
        child = screen.child["id_number"]
        before = store.get(child)
        await pilot.press("1", "enter")
        await settle(app, pilot)
        assert screen.child["id_number"] == child and store.get(child) == before
        assert screen.query_one("#v-how", Input).has_focus


@run_async
async def test_reason_only_for_problem_situations(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        screen = app.screen
        reason = screen.query_one("#v-reason", Input)
        first, second = [r["id_number"] for r in screen.queue[:2]]
        await pilot.press("2")                                   # 外地就读: no reason asked
        assert not reason.display and "原因" not in screen_text(app).splitlines()[-1]
        await pilot.press("r")                                   # R does nothing here
        assert not isinstance(app.screen, PickerScreen)
        await pilot.press("8")                                   # 辍学: the reason row shows
        assert reason.display and "r原因" in screen_text(app).splitlines()[-1]      # the compact footer
        await pilot.press("r")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"外出", "enter")
        assert reason.value == "外出打工/务农"
        await pilot.press("enter")
        assert screen.child["id_number"] == second
        assert not reason.display                                # the next child starts without a finding
        await pilot.press("7", "enter")                          # 疑似辍学 without a reason still saves
        await settle(app, pilot)
        store = app.workspace.store
        saved = store.get(first)
        assert (saved["status"], saved["status_reason"]) == ("辍学", "外出打工/务农")
        assert saved["status_history"][-1]["reason"] == "外出打工/务农"
        assert store.get(second)["status"] == "疑似辍学"


@run_async
async def test_evidence_with_path_completion(tui_data, tmp_path):
    proof = tmp_path / "就读证明-东莞.jpg"
    proof.write_bytes(b"\xff\xd8 photo")
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        screen = app.screen
        first, second = [r["id_number"] for r in screen.queue[:2]]
        await pilot.press("2")
        field = screen.query_one("#v-evidence", Input)
        field.focus()
        await pilot.press(*"学校证明=", *str(tmp_path / "就读"))
        await pilot.pause(0.2)
        await pilot.press("right")                               # → completes the path after =
        assert field.value == f"学校证明={proof}"
        await pilot.press(*";电话记录", "enter")            # ; or ； between items
        await confirm_school(app, pilot, "东莞市长安小学")
        await settle(app, pilot)
        assert screen.child["id_number"] == second
        assert field.value == ""                                  # evidence belongs to one child
        record = app.workspace.store.get(first)
        items = record["evidence"][-2:]
        assert [e["description"] for e in items] == ["学校证明", "电话记录"]
        copied = tui_data / items[0]["file"]
        assert copied.read_bytes() == proof.read_bytes() and first in str(copied)
        assert record["status_history"][-1]["evidence"] == ["学校证明", "电话记录"]
        # a file that cannot be found: nothing saved, the child stays
        field.value = f"证明={tmp_path / '没有这个文件.jpg'}"
        await pilot.press("1", "enter")
        await confirm_school(app, pilot)
        await settle(app, pilot)
        assert screen.child["id_number"] == second
        assert app.workspace.store.get(second).get("status_history") == \
            next(r for r in screen.queue if r["id_number"] == second).get("status_history")
