"""The shared form fields (issue 15): a prefilled field keeps its value when it gets the focus, and a check
box says in its text whether it is ticked.

Textual selects an Input's whole value on focus, so the first key typed into a prefilled field replaced it:
an operator moving to 开始日期 (today's date) to correct the day lost the date. Its compact check box draws
▐X▌ ticked or not (only the colour differs): 已请假 looked the same either way on a monochrome terminal.
Both are fixed in the shared widgets (TextInput, CheckBox) used by every FormDialog.
"""
from __future__ import annotations

import asyncio

from kbtui.services.escalation import absences
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from kbtui.tui.screens.dialogs import FormDialog
from kbtui.tui.widgets.check_box import CheckBox
from tests.helpers.tui import OCTOBER, screen_text, settle


def open_absence_form(data):
    """F8, N: 登记缺课 (身份证号, 开始日期 = today, 缺课天数, 原因, 报告人, □ 已请假)."""
    return KbtuiApp(Workspace.open(data, "tester"), today=OCTOBER, start="cases")


def test_a_prefilled_date_is_corrected_not_replaced(tui_data):
    ws = Workspace.open(tui_data, "tester")
    kid = next(r["id_number"] for r in ws.store.all() if r.get("school"))

    async def run():
        app = open_absence_form(tui_data)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("n")
            await settle(app, pilot)
            assert isinstance(app.screen, FormDialog)
            await pilot.press("ctrl+u", *kid, "enter")     # Enter: on to 开始日期, prefilled with today
            await settle(app, pilot)
            field = app.screen.focused
            assert field.id == "f-start" and field.value == OCTOBER.isoformat()
            assert field.selection.is_empty and field.cursor_position == len(field.value)
            await pilot.press("backspace", "4")              # 2024-10-15 → 2024-10-14
            assert field.value == "2024-10-14"
            await pilot.press("enter", *"2", "ctrl+s")
            await settle(app, pilot)
            assert not isinstance(app.screen, FormDialog), screen_text(app)

    asyncio.run(run())
    saved = absences.absences_of(Workspace.open(tui_data, "tester"), kid)
    assert [(a["start"], a.get("days")) for a in saved][-1:] == [("2024-10-14", 2)]


def test_the_check_box_says_ticked_or_not_in_its_text(tui_data):
    async def run():
        app = open_absence_form(tui_data)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("n")
            await settle(app, pilot)
            box = app.screen.query_one("#c-excused", CheckBox)
            row = lambda: screen_text(app).splitlines()[box.region.y]  # noqa: E731
            assert "[ ] 已请假（不计入）" in row() and "[√]" not in row()
            box.focus()
            await pilot.press("space")
            await settle(app, pilot)
            assert box.value is True and "[√] 已请假（不计入）" in row()
            await pilot.press("space")
            await settle(app, pilot)
            assert box.value is False and "[ ] 已请假（不计入）" in row()

    asyncio.run(run())


def test_snapshot_of_the_absence_form_with_the_box_ticked_and_the_date_corrected(snap_compare, tui_data):
    async def run_before(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("ctrl+u", *"500224201", "enter", "backspace", "4")
        app.screen.query_one("#c-excused", CheckBox).value = True
        await settle(app, pilot)

    assert snap_compare(open_absence_form(tui_data), terminal_size=(80, 24), run_before=run_before)
