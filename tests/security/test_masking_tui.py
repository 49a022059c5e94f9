"""The TUI shows data as data (issue 19, points 4 and 8): no child's full ID or phone number on any screen
of a 督导 or 县复核 (lists, details, the journal, messages), and text from data is neither markup nor
terminal control sequences: a note "[red]…" or an unclosed "[/]" shows as typed, an address holding
``ESC ] 0 ; … BEL`` shows ␛ … ␇ and never reaches the terminal.

Each screen of the navigation is opened in a Pilot (Enter pressed once, opening a detail where the screen
has one) and what the terminal would show is scanned (``screen_text``: the rendered strips).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import Input

from kbtui.services.disability import placement_check
from kbtui.services.escalation import cases
from kbtui.services.workspace import Workspace
from kbtui.tui.navigation import navigation
from kbtui.tui.screens.cases import CaseDetailScreen, case_text
from kbtui.tui.screens.child_form import ChildFormScreen
from kbtui.tui.widgets.shown import DataTable, Static
from tests.helpers.access import VILLAGE, configure
from tests.helpers.masking import leaks, secrets_of
from tests.helpers.tui import make_app, run_async, screen_text, settle

EVIL_NOTE = "[/]坏[red]红[/red]\x1b]0;被改了\x07"
EVIL_ADDRESS = "[bold]高峰村\x1b[2J\u202e倒"


@pytest.fixture
def data(tui_data: Path) -> Path:
    ws = configure(tui_data)
    ctx = ws.context()
    kid = next(r for r in sorted(ws.store.all(), key=lambda r: r["id_number"])
               if r.get("village") == VILLAGE and r.get("guardian_phone") and ctx.classify(r).in_campaign)
    # data stored before imports stripped control characters (or typed on the command line)
    ws.store.update(kid["id_number"], {"note": EVIL_NOTE, "current_address": EVIL_ADDRESS}, "tester")
    cases.open_case(ws, kid["id_number"], on="2024-09-05", reason="学习困难/厌学")
    return tui_data


def _kid(data: Path) -> dict:
    ws = Workspace.open(data, "tester")
    return next(r for r in ws.store.all() if r.get("note") == EVIL_NOTE)


def assert_clean(text: str, secrets: set[str], where: str) -> None:
    assert not leaks(text, secrets), (where, leaks(text, secrets)[:3])
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text, where


@pytest.mark.parametrize("login", ["sup", "county"])
@run_async
async def test_every_screen_of_a_masked_role(data, login):
    secrets = secrets_of(Workspace.open(data, "tester"), [])
    for screen_id in navigation(Workspace.open(data, login).plugins):
        app = make_app(data, start=screen_id, operator=login)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert_clean(screen_text(app), secrets, screen_id)
            await pilot.press("enter")
            await settle(app, pilot)
            assert_clean(screen_text(app), secrets, f"{screen_id} + Enter ({type(app.screen).__name__})")
            for note in app._notifications:
                assert_clean(str(note.message), secrets, f"{screen_id}: a message")


@run_async
async def test_the_detail_form_masks_for_a_supervisor_and_not_for_the_village_cadre(data):
    kid = _kid(data)
    secrets = secrets_of(Workspace.open(data, "tester"), [])
    for login, full in (("sup", False), ("county", False), ("cadre", True)):
        app = make_app(data, start="children", operator=login)
        async with app.run_test(size=(120, 60)) as pilot:
            await settle(app, pilot)
            app.push_screen(ChildFormScreen(kid["id_number"]))
            await settle(app, pilot)
            form = app.screen
            assert (form.query_one("#f-guardian_phone", Input).value == kid["guardian_phone"]) is full
            assert (kid["id_number"] in screen_text(app)) is full, login
            await pilot.press("ctrl+t")                       # the history: the journal's old → new too
            await settle(app, pilot)
            if not full:
                assert_clean(screen_text(app), secrets, f"{login}: history")
            assert "\x1b" not in screen_text(app)
            # an untouched masked field is not a change: a supervisor's save is refused as read-only
            await pilot.press("ctrl+t", "ctrl+s")
            await settle(app, pilot)
            if login == "sup":
                assert any("只能查看" in str(n.message) for n in app._notifications)


@run_async
async def test_markup_and_control_characters_in_data_are_shown_as_typed(data):
    kid = _kid(data)
    app = make_app(data, start="audit", operator="tester")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "[bold]高峰村␛[2J�倒" in text                  # the audit table: literal, visible
        assert "\x1b" not in text
        app.notify(f"已保存：{EVIL_NOTE}")                    # a message quoting data: as typed, no markup
        await settle(app, pilot)
        note = app._notifications[-1] if hasattr(app._notifications, "__getitem__") else list(app._notifications)[-1]
        assert note.message == "已保存：[/]坏[red]红[/red]␛]0;被改了␇" and note.markup is False
        case = cases.all_cases(app.workspace)[0]
        app.push_screen(CaseDetailScreen("案卷（一生一案）",
                                         case_text(app.workspace, {**case, "reason": EVIL_NOTE}, dt.date.today())))
        await settle(app, pilot)
        shown = screen_text(app)
        assert "[/]坏[red]红[/red]␛]0;被改了␇" in shown and "\x07" not in shown
    app = make_app(data, start="children", operator="tester")
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        app.push_screen(ChildFormScreen(kid["id_number"]))
        await settle(app, pilot)
        # the form shows the note without its control characters (saving cleans the record)
        assert app.screen.query_one("#f-note", Input).value == "[/]坏[red]红[/red]]0;被改了"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    saved = Workspace.open(data, "tester").store.get(kid["id_number"])
    assert saved["current_address"] == "[bold]高峰村[2J倒" and saved["note"] == "[/]坏[red]红[/red]]0;被改了"


@run_async
async def test_the_shared_widgets(data):
    """Static and DataTable of kbtui.tui.widgets.shown: markup off, control characters visible, masked."""
    kid = _kid(data)
    app = make_app(data, start="dashboard", operator="sup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        static, table = Static(), DataTable()
        await app.screen.mount(static, table)
        static.update(f"{kid['name']}（{kid['id_number']}）电话 {kid['guardian_phone']} [/] \x1b]0;x\x07")
        table.add_column("内容")
        table.add_row(f"[red]{kid['id_number']}\x1b[2J")
        await settle(app, pilot)
        assert str(static.render()).startswith(f"{kid['name']}（{kid['id_number'][:6]}********")
        assert "␛]0;x␇" in str(static.render()) and kid["guardian_phone"] not in str(static.render())
        cell = table.get_row_at(0)[0]
        assert cell == f"\\[red]{kid['id_number'][:6]}********{kid['id_number'][-4:]}␛[2J"   # "[2J" is no tag


def test_the_placement_screen_has_a_child_to_show(data):
    """(the Enter in the screens' test opens a placement: the demo has disabled children)"""
    assert placement_check.disabled_children(Workspace.open(data, "tester"))
