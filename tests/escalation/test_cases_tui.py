"""The 劝返 screen, driven with the keyboard only (80×24)."""
import datetime as dt

from kbtui.services.escalation import absences, cases, escalation
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from tests.helpers.escalation import KID, KID2


def open_app(root, today):
    return KbtuiApp(Workspace.open(root, "tester"), today=today, start="cases")


def test_cases_screen_advances_a_case_with_the_keyboard(data):
    import asyncio

    ws = Workspace.open(data, "tester")
    absences.add_absence(ws, KID, "2020-09-14")
    absences.add_absence(ws, KID2, "2020-09-21")

    async def scenario():
        app = open_app(data, dt.date(2020, 10, 14))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            summary = str(screen.query_one("#cases-summary").render())
            assert "到期" in summary and "逾期" in summary
            due_table = screen.query_one("#due-table")
            assert due_table.row_count == len(escalation.due_actions(ws, dt.date(2020, 10, 14)))
            # D on the first due row: record it done (date, person, note → Ctrl+S)
            first = screen._selected_action()
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("enter", "enter", *"已家访", "ctrl+s")
            await pilot.pause()
            assert (first.rung, first.id_number) not in {
                (a.rung, a.id_number) for a in escalation.due_actions(ws, dt.date(2020, 10, 14))}
            # P: the ladders are advanced to today — 王小明 reaches one month: case opened, once confirmed
            # (issue 15: P opened case files without asking)
            await pilot.press("p")
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmScreen" and "新立案卷 1 件" in app.screen.question
            assert cases.open_case_of(ws, KID) is None
            await pilot.press("y")
            await pilot.pause()
            case_table = screen.query_one("#case-table")
            assert case_table.row_count == 1
            assert "新立案卷 1 件" in str(screen.query_one("#cases-status").render())
            # Tab to the cases, A: record an attempt
            await pilot.press("tab")
            await pilot.pause()
            assert screen.focused is case_table
            await pilot.press("a")
            await pilot.pause()
            await pilot.press("enter", "enter", "enter", *"监护人同意下周送返", "ctrl+s")
            await pilot.pause()
            case = cases.open_case_of(ws, KID)
            assert [a["result"] for a in case["attempts"]] == ["监护人同意下周送返"]
            assert case["attempts"][0]["date"] == "2020-10-14"
            # R: back at school (date and school prefilled) → 劝返复学
            await pilot.press("r")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert cases.open_case_of(ws, KID)["status"] == "returned"
            ws.store.refresh()
            assert ws.store.get(KID)["status"] == "劝返复学"
            # Enter shows the case, Esc closes it
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "CaseDetailScreen"
            assert "监护人同意下周送返" in str(app.screen.text)
            await pilot.press("escape")
            await pilot.pause()
            # C: 动态销号; the case leaves the table but stays in history
            await pilot.press("c")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert case_table.row_count == 0
            assert cases.cases_of(ws, KID)[0]["status"] == "closed"

    asyncio.run(scenario())


def test_absence_entry_and_dashboard_panel(data):
    import asyncio

    ws = Workspace.open(data, "tester")

    async def scenario():
        app = open_app(data, dt.date(2020, 9, 18))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            await pilot.press(*KID, "enter", "ctrl+u", *"2020-09-14", "ctrl+s")
            await pilot.pause()
            assert [a["start"] for a in absences.absences_of(ws, KID)] == ["2020-09-14"]
            assert app.screen.query_one("#due-table").row_count == 1
            # a bad ID is refused with a message, nothing stored
            await pilot.press("n")
            await pilot.pause()
            await pilot.press("ctrl+u", *"123", "ctrl+s")
            await pilot.pause()
            assert len(absences.collection(ws).all()) == 1
            # so is a date that cannot be read
            await pilot.press("n")
            await pilot.pause()
            await pilot.press("ctrl+u", *KID2, "enter", "ctrl+u", *"九月", "ctrl+s")
            await pilot.pause()
            assert len(absences.collection(ws).all()) == 1 and app.is_running

    asyncio.run(scenario())
    from plugins.escalation.screens import _panel

    text = _panel(ws, dt.date(2020, 9, 18))
    assert "到期 1 项" in text and "王小明" in text
