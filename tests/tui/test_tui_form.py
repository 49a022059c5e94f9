"""儿童详情 form through the Pilot: edit + save, invalid values refused, cancel, conflicts, new child."""
from __future__ import annotations

from textual.widgets import Input

from kbtui.domain.idcard import make_id
from kbtui.tui.screens.child_form import ChildFormScreen
from kbtui.tui.screens.children import ChildrenScreen
from kbtui.tui.screens.dialogs import ConfirmScreen, ConflictScreen
from tests.helpers.tui import make_app, run_async, screen_text, settle


async def open_first(app, pilot) -> str:
    await settle(app, pilot)
    await pilot.press("enter", "enter")            # search → table → open
    await settle(app, pilot)
    assert isinstance(app.screen, ChildFormScreen)
    return app.screen.record["id_number"]


async def set_field(app, pilot, key: str, value: str) -> None:
    field = app.screen.query_one(f"#f-{key}", Input)
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*value) if value.isascii() else None
    if not value.isascii():
        field.value = value                        # an input method delivers Chinese text at once
    await pilot.pause()


@run_async
async def test_edit_and_save_goes_to_the_store_and_the_journal(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        id_number = await open_first(app, pilot)
        before = app.workspace.store.get(id_number)["_v"]
        await set_field(app, pilot, "guardian_phone", "13912345678")
        await set_field(app, pilot, "guardian", "王大山")
        await pilot.press("enter")                  # Enter accepts the field and moves on
        assert app.screen.focused.id == "f-guardian_phone"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        stored = app.workspace.store.get(id_number)
        assert stored["guardian_phone"] == "13912345678" and stored["guardian"] == "王大山"
        assert stored["_v"] == before + 1
        last = list(app.workspace.store.journal.entries(record=id_number))[-1]
        assert last["operator"] == "tester" and set(last["changes"]) == {"guardian", "guardian_phone"}
        # the list shows the new value at once
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#f-guardian", Input).value == "王大山"


@run_async
async def test_invalid_values_are_marked_and_not_saved(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        id_number = await open_first(app, pilot)
        before = app.workspace.store.get(id_number)
        await set_field(app, pilot, "guardian_phone", "12345")
        await set_field(app, pilot, "birth_date", "2015.13.40")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen)
        assert app.screen.query_one("#f-guardian_phone").has_class("error")
        assert app.screen.query_one("#f-birth_date").has_class("error")
        assert "联系电话" in str(app.screen.query_one("#e-guardian_phone").render())
        assert "⚠" in str(app.screen.query_one("#e-birth_date").render())
        assert app.workspace.store.get(id_number) == before
        # the first bad field has the focus; fixing it clears its mark
        assert app.screen.focused.id == "f-birth_date"
        await set_field(app, pilot, "birth_date", before["birth_date"])
        assert not app.screen.query_one("#f-birth_date").has_class("error")


@run_async
async def test_birth_date_must_agree_with_the_id(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first(app, pilot)
        await set_field(app, pilot, "birth_date", "2001-01-01")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "与身份证号不符" in str(app.screen.query_one("#e-birth_date").render())


@run_async
async def test_escape_asks_when_something_changed(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        id_number = await open_first(app, pilot)
        before = app.workspace.store.get(id_number)
        await set_field(app, pilot, "note", "abc")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ChildFormScreen)
        assert app.screen.query_one("#f-note", Input).value == "abc"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        assert app.workspace.store.get(id_number) == before


@run_async
async def test_escape_without_changes_leaves_at_once(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChildrenScreen)


async def _conflict(app, pilot) -> tuple[str, dict]:
    id_number = await open_first(app, pilot)
    # another operator saves the same child meanwhile
    app.workspace.store.raw.update(id_number, {"guardian": "李四", "note": "对方的备注"}, "other")
    await set_field(app, pilot, "note", "my note")
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, ConflictScreen)
    text = screen_text(app)
    assert "my note" in text and "对方的备注" in text and "other" in text
    return id_number, app.workspace.store.get(id_number)


@run_async
async def test_conflict_keep_mine(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        id_number, theirs = await _conflict(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        stored = app.workspace.store.get(id_number)
        assert stored["note"] == "my note"
        assert stored["guardian"] == "李四"             # their other change is kept
        assert stored["_v"] == theirs["_v"] + 1
        assert isinstance(app.screen, ChildrenScreen)


@run_async
async def test_conflict_take_theirs(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        id_number, theirs = await _conflict(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen)
        assert app.screen.query_one("#f-note", Input).value == "对方的备注"
        assert app.workspace.store.get(id_number) == theirs
        await pilot.press("escape")                 # nothing changed since reloading: no question
        await pilot.pause()
        assert isinstance(app.screen, ChildrenScreen)


@run_async
async def test_new_child_id_fills_birth_date_and_sex(tui_data):
    import datetime as dt

    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen) and app.screen.record is None
        number = make_id("500224", dt.date(2016, 3, 4), 13)
        await pilot.press(*number)
        assert app.screen.query_one("#f-birth_date", Input).value == "2016-03-04"
        assert app.screen.query_one("#f-sex", Input).value == "男"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "姓名不能为空" in str(app.screen.query_one("#e-name").render())
        await set_field(app, pilot, "name", "新同学")
        await set_field(app, pilot, "village", "高峰村")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        stored = app.workspace.store.get(number)
        assert stored["name"] == "新同学" and stored["birth_date"] == "2016-03-04" and stored["sex"] == "男"
        assert app.screen.model.id_of(app.screen.table.current) == number


@run_async
async def test_history_tab_lists_the_journal(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        id_number = await open_first(app, pilot)
        app.workspace.store.raw.update(id_number, {"note": "改过一次"}, "other")
        await pilot.press("escape")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        text = screen_text(app)
        assert "修改日志" in text and "other" in text and "改过一次" in text
