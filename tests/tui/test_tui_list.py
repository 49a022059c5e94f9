"""儿童 list through the Pilot: search as you type, filters, sort, opening a child, keys, CJK alignment."""
from __future__ import annotations

from rich.cells import cell_len

from kbtui.services.children.search import name_pinyin
from kbtui.tui.screens.children import ChildrenScreen
from kbtui.tui.screens.dialogs import PickerScreen
from kbtui.tui.screens.filters import FilterScreen
from kbtui.tui.widgets.virtual_table import VirtualTable
from tests.helpers.tui import make_app, run_async, screen_text, settle


def shown_ids(app) -> list[str]:
    screen = app.screen
    assert isinstance(screen, ChildrenScreen)
    return [screen.model.id_of(row) for row in screen.query_one(VirtualTable).rows]


@run_async
async def test_search_by_pinyin_initials_and_id_digits(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        records = list(app.workspace.store.all())
        assert len(shown_ids(app)) == len(records)
        target = next(r for r in records if len(r["name"]) == 3)
        initials = name_pinyin(target["name"])[1]
        await pilot.press(*initials)
        ids = shown_ids(app)
        assert target["id_number"] in ids
        assert all(name_pinyin(app.workspace.store.get(i)["name"])[1].startswith(initials) or
                   initials in name_pinyin(app.workspace.store.get(i)["name"])[0] for i in ids)
        assert f"共 {len(ids)} 人" in screen_text(app)
        for _ in initials:
            await pilot.press("backspace")
        await pilot.press(*target["id_number"][-4:])
        ids = shown_ids(app)
        assert target["id_number"] in ids and all(i.endswith(target["id_number"][-4:]) for i in ids)
        await pilot.press("escape")          # clears the search
        assert len(shown_ids(app)) == len(records)


@run_async
async def test_full_pinyin_and_chinese(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        target = next(r for r in app.workspace.store.all() if r["name"].startswith("张"))
        await pilot.press(*"zhang")
        assert target["id_number"] in shown_ids(app)
        assert all(app.workspace.store.get(i)["name"].startswith(("张", "章", "彰")) for i in shown_ids(app))


@run_async
async def test_filter_by_village_then_status(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, FilterScreen)
        await pilot.press("enter")                       # 村（社区）
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"gf", "enter")                # 高峰村 by pinyin initials
        await pilot.press("down", "enter")               # 核实情况
        await pilot.press(*"待核实")
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        ids = shown_ids(app)
        ctx = app.workspace.context(app.today)
        expected = [r["id_number"] for r in app.workspace.store.all()
                    if r["village"] == "高峰村" and ctx.classify(r).situation == "待核实"]
        assert ids and sorted(ids) == sorted(expected)
        assert "筛选：村=高峰村，情况=待核实" in screen_text(app)


@run_async
async def test_sort_by_name_and_reverse(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"姓名", "enter")
        await settle(app, pilot)
        names = [app.workspace.store.get(i)["name"] for i in shown_ids(app)]
        assert names == sorted(names)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        names = [app.workspace.store.get(i)["name"] for i in shown_ids(app)]
        assert names == sorted(names, reverse=True)
        # sorting by the situation classifies every child: done in a worker
        await pilot.press("ctrl+o", *"核实情况", "enter")
        await settle(app, pilot)
        ctx = app.workspace.context(app.today)
        situations = [ctx.classify(app.workspace.store.get(i)).situation for i in shown_ids(app)]
        assert situations == sorted(situations)
        assert "排序：核实情况↑" in screen_text(app)


@run_async
async def test_enter_opens_the_child_under_the_cursor(tui_data):
    from kbtui.tui.screens.child_form import ChildFormScreen

    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "down", "down")      # search → table, third row
        wanted = shown_ids(app)[2]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen)
        assert app.screen.record["id_number"] == wanted


@run_async
async def test_q_types_in_the_search_but_ctrl_q_quits(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        assert app.is_running
        assert app.screen.query_one("#search").value == "q"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


@run_async
async def test_columns_fit_80_and_cjk_aligns(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "姓名" in line and "出生日期" in line)
        rows = [line for line in lines if line[:1] in (" ", ">") and line.count("-") >= 2]
        assert len(rows) >= 10
        column = cell_len(header[: header.index("出生日期")])
        for line in rows:
            # the birth date (YYYY-MM-DD) starts in the same terminal cell on every row
            position = next(i for i, ch in enumerate(line) if ch.isdigit() and line[i + 4: i + 5] == "-")
            assert cell_len(line[:position]) == column, line
        assert all(cell_len(line) <= 80 for line in lines)
        assert "核实情况" in header and "村（社区）" in header


@run_async
async def test_wider_terminal_shows_more_columns(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        header = next(line for line in screen_text(app).splitlines() if "姓名" in line)
        assert "身份证号" in header and "证号尾" not in header
