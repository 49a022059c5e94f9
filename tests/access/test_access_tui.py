"""The same refusals through the TUI (Pilot, 80×24): each role sees, searches, exports and changes only
within its scope; ID and phone numbers are masked in lists for roles that do not need them."""
from __future__ import annotations

import openpyxl
from textual.widgets import Input, Select

from kbtui.services.access import operators
from kbtui.services.workspace import Workspace
from kbtui.store import layout
from kbtui.tui.screens.audit import AuditScreen
from kbtui.tui.screens.child_form import ChildFormScreen
from kbtui.tui.screens.operators import OperatorForm, OperatorsScreen
from tests.helpers.access import VILLAGE, inside_and_outside, scope_of
from tests.helpers.tui import make_app, run_async, settle


async def search(app, pilot, text: str) -> None:
    field = app.screen.query_one("#search", Input)
    field.focus()
    field.value = text
    await settle(app, pilot)


def shown_ids(app) -> set[str]:
    screen = app.screen
    return {screen.model.ids[row] for row in screen.table.rows}


@run_async
async def test_a_cadre_lists_and_searches_only_their_village_with_masked_numbers(scoped):
    admin = Workspace.open(scoped, "tester")
    inside, outside = inside_and_outside(admin, "cadre")
    scope = scope_of(admin, "cadre")
    app = make_app(scoped, start="children", operator="cadre")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        model = app.screen.model
        assert {r.get("village") for r in model.records} == {VILLAGE}
        assert len(model.records) == sum(1 for r in admin.raw_store.all() if scope.allows(r))
        # searching another village's child by name, by ID or by its last digits finds nothing
        for text in (outside["name"], outside["id_number"], outside["id_number"][-6:]):
            await search(app, pilot, text)
            assert outside["id_number"] not in shown_ids(app)
        # the list masks ID and phone numbers …
        await search(app, pilot, inside["id_number"])
        assert shown_ids(app) == {inside["id_number"]}
        row = model.row_of(inside["id_number"])
        columns = [c for c in app.columns.values() if c.id in ("id_number", "guardian_phone")]
        cells = model.cells(row, columns)
        assert cells[0] == inside["id_number"][:6] + "********" + inside["id_number"][-4:]
        if inside.get("guardian_phone"):
            assert "****" in cells[1] and inside["guardian_phone"] not in cells[1]
        # … the detail form of a child in scope shows the full value
        app.screen.query_one("#children").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen)
        assert app.screen.query_one("#f-id_number", Input).value == inside["id_number"]


@run_async
async def test_an_admin_sees_full_numbers(scoped):
    app = make_app(scoped, start="children", operator="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        model = app.screen.model
        column = app.columns["id_number"]
        assert all("*" not in model.cells(n, [column])[0] for n in range(len(model.records)))


@run_async
async def test_a_supervisor_cannot_save_a_change_in_the_form(scoped):
    app = make_app(scoped, start="children", operator="sup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen)
        id_number = app.screen.record["id_number"]
        before = app.workspace.raw_store.get(id_number)
        app.screen.query_one("#f-guardian", Input).value = "改名字"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen)           # still open: nothing saved
        app.workspace.raw_store.refresh()
        assert app.workspace.raw_store.get(id_number)["_v"] == before["_v"]
        assert any("只能查看" in str(n.message) for n in app._notifications)


@run_async
async def test_a_cadre_export_from_the_tui_holds_their_village_only(scoped, tmp_path):
    out = tmp_path / "本村台账.xlsx"
    app = make_app(scoped, start="export", operator="cadre")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(Select).value = "in-school-local"
        app.screen.query_one("#export-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    assert out.exists()
    admin = Workspace.open(scoped, "tester")
    ws = openpyxl.load_workbook(out).worksheets[0]
    ids = {str(c) for row in ws.iter_rows(values_only=True) for c in row
           if isinstance(c, str) and len(c) == 18 and c[:6].isdigit()}
    assert ids and all(admin.raw_store.get(i)["village"] == VILLAGE for i in ids)
    assert openpyxl.load_workbook(out).properties.lastModifiedBy == "cadre"


@run_async
async def test_only_the_town_admin_edits_operators_in_the_tui(scoped):
    app = make_app(scoped, start="operators", operator="cadre")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, OperatorsScreen)
        assert app.screen.query_one("#operators-table").row_count == len(operators.load_operators(scoped))
        for key in ("a", "d"):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, OperatorsScreen)
        assert any("只有镇管理员" in str(n.message) for n in app._notifications)
    assert "cadre" in operators.load_operators(scoped)

    app = make_app(scoped, start="operators", operator="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, OperatorForm)
        app.screen.query_one("#f-login", Input).value = "wangwu"
        app.screen.query_one("#f-name", Input).value = "王五"
        app.screen.query_one("#f-role", Select).value = "村干部"
        app.screen.query_one("#f-villages", Input).value = "尖山村、高峰村"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, OperatorsScreen)
    added = operators.load_operators(scoped)["wangwu"]
    assert added.role == "村干部" and added.villages == ("尖山村", "高峰村") and added.name == "王五"


@run_async
async def test_the_journal_view_filters_and_reports_a_broken_chain(scoped):
    admin = Workspace.open(scoped, "tester")
    inside, _ = inside_and_outside(admin, "cadre")
    Workspace.open(scoped, "cadre").store.update(inside["id_number"], {"note": "界面里看得到"}, "cadre")
    app = make_app(scoped, start="audit", operator="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and screen.entries
        field = screen.query_one(Input)
        field.focus()
        field.value = "cadre"
        await pilot.press("enter")
        await settle(app, pilot)
        assert [e["operator"] for e in screen.entries] == ["cadre"]
        await pilot.press("ctrl+v")
        await settle(app, pilot)
        assert screen.last_report.ok
        # break the chain on purpose: drop one entry in the middle
        path = layout.journal_path(scoped)
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:9] + lines[10:]))
        await pilot.press("ctrl+v")
        await settle(app, pilot)
        assert not screen.last_report.ok and screen.last_report.seq == 10
        assert "第 10 条" in str(screen.query_one("#audit-status").render())


@run_async
async def test_a_cadre_journal_view_shows_only_their_children(scoped):
    app = make_app(scoped, start="audit", operator="cadre")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        ws = app.workspace
        assert app.screen.entries
        assert all(ws.store.get(e["record"]) is not None for e in app.screen.entries)
