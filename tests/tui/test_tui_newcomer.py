"""What a newcomer hit at 80×24 (issue 15), through the Pilot: the footer, rows cut off, Enter in the search
box, the school of a studying child, Textual's English, the smaller points and the first screen."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from pathlib import Path

import openpyxl
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Select
from textual.widgets._toast import Toast, ToastRack

from kbtui.domain.idcard import make_id
from kbtui.services.access import audit
from kbtui.services.campaign import spotcheck, tasks
from kbtui.services.escalation import escalation
from kbtui.services.intake.importer import repeated_rows
from kbtui.services.workspace import Workspace
from kbtui.store.children import ChildStore
from kbtui.tui.app import KbtuiApp
from kbtui.tui.screens.child_form import ChildFormScreen
from kbtui.tui.screens.dashboard import DashboardScreen
from kbtui.tui.screens.dialogs import DetailDialog, FormDialog, PickerScreen
from kbtui.tui.screens.help import HelpScreen
from kbtui.tui.widgets.bars import inline_pairs, pair_grid
from kbtui.tui.widgets.list_table import ListTable
from tests.helpers.tui import TODAY, make_app, run_async, screen_text, settle, start_village

OCTOBER = dt.date(2024, 10, 15)


def footer(app) -> str:
    return screen_text(app).splitlines()[-1]


def open_at(data: Path, start: str, today: dt.date = TODAY) -> KbtuiApp:
    return KbtuiApp(Workspace.open(data, "tester"), today=today, start=start)


# --- 6. the footer at 80 columns ---------------------------------------------------------------------
@run_async
async def test_the_footer_shows_help_palette_and_quit_first_and_the_screens_in_f_key_order(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        line = footer(app)
        assert line.split()[:3] == ["F1帮助", "^p命令", "q退出"], line
        keys = [int(n) for n in re.findall(r"F(\d)\S", line) if n != "1"]
        assert keys == sorted(keys) and {8, 9} <= set(keys), line           # F8 before F9, both shown
        for screen_id, _item in app.nav.items():
            app.action_open_screen(screen_id)
            await settle(app, pilot)
            line = footer(app)
            assert line.split()[:2] == ["F1帮助", "^p命令"], (screen_id, line)
            assert "q退出" in line or "^q退出" in line, (screen_id, line)
            assert "…" not in line, (screen_id, line)
            keys = [int(n) for n in re.findall(r"F(\d)[^–\d]", line) if n != "1"]
            assert keys == sorted(keys), (screen_id, line)
            if screen_id == "cases":                     # too many keys for every screen: the range
                assert "F2–F9切换界面" in line, line
        app.action_open_screen("children")
        await settle(app, pilot)
        assert isinstance(app.screen.focused, Input)
        assert "^q退出" in footer(app)                   # q is a letter in the search box


@run_async
async def test_the_dashboard_lists_every_f_key_screen_by_its_short_label_when_the_full_ones_do_not_fit(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert footer(app).split()[4:] == ["F3儿童", "F4走访", "F5导入", "F6导出", "F7预警", "F8劝返", "F9残疾"]
    app = make_app(tui_data)
    async with app.run_test(size=(120, 30)) as pilot:          # room for the labels themselves
        await settle(app, pilot)
        assert "F4 走访录入" in footer(app) and "F9 残疾儿童" in footer(app)


# --- 7. every row in full ----------------------------------------------------------------------------
@run_async
async def test_enter_on_a_due_row_shows_its_whole_step(tui_data):
    app = open_at(tui_data, "cases", OCTOBER)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        action = escalation.due_actions(app.workspace, OCTOBER)[0]
        assert action.action not in screen_text(app)               # the 处置 column cuts it
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailDialog)
        assert f"处置：{action.action}" in app.screen.text
        shown = "".join(screen_text(app).split())
        assert "".join(action.action.split()) in re.sub(r"[│▁▂▃▄▅▆▇█]", "", shown)     # (borders, scroll bar)


@run_async
async def test_enter_on_a_journal_row_shows_the_whole_change(tui_data):
    app = make_app(tui_data, start="audit")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        entry = app.screen.entries[0]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailDialog)
        assert ("内容", audit.describe_changes(entry)) in app.screen.content
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "AuditScreen"
        assert "Ctrl+V 校验哈希链" in screen_text(app)               # the status line stays on the screen


@run_async
async def test_space_shows_a_row_where_enter_records_and_the_record_dialog_names_the_child(tui_data):
    spotcheck.draw(Workspace.open(tui_data, "tester"), 11)
    app = make_app(tui_data, start="spotcheck")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ListTable)
        row = dict(table.row_detail())
        await pilot.press("space")
        assert isinstance(app.screen, DetailDialog)
        assert ("督查结果", "") in app.screen.content and ("儿童", row["儿童"]) in app.screen.content
        await pilot.press("escape", "enter")
        assert isinstance(app.screen, PickerScreen)
        assert row["儿童"] in app.screen.title_text and row["监护人"] in str(app.screen.detail)


def test_a_long_list_adds_rows_as_the_cursor_reaches_its_end():
    class Lists(App):
        def compose(self):
            yield ListTable(id="rows")

    async def run():
        app = Lists()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(ListTable)
            table.add_columns("序号", "姓名")
            table.show_rows([(str(n), (str(n), f"儿童{n}")) for n in range(450)])
            assert (table.row_count, table.total) == (200, 450) and "先显示 200 项" in table.window_note()
            table.focus()
            for expected in (400, 450, 450):
                await pilot.press("ctrl+end")
                await pilot.pause()
                assert table.row_count == expected
            assert table.get_row_at(449) == ["449", "儿童449"]

    asyncio.run(run())


@run_async
async def test_all_tasks_are_reachable(tui_data):
    app = make_app(tui_data, start="tasks")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        late = app.screen.query_one("#tasks-late", ListTable)
        report = tasks.task_report(app.workspace, TODAY, overdue=False)
        assert late.total == len(report["tasks"]) > 0
        late.window = 5                                            # a small window: walk to the end
        late.show_rows([(r["id_number"], (r["name"],) * 7) for r in report["tasks"]])
        late.focus()
        while late.more:
            await pilot.press("ctrl+end")
            await pilot.pause()
        assert late.row_count == len(report["tasks"])


# --- 9. Enter in the search box; the school of a studying child --------------------------------------
@run_async
async def test_enter_in_the_search_box_opens_the_first_match(tui_data):
    app = make_app(tui_data, start="children")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"zh")
        await settle(app, pilot)
        screen = app.screen
        first = screen.model.id_of(screen.table.rows[0])
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChildFormScreen) and app.screen.id_number == first
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("ctrl+u", *"qqqqxx", "enter")           # nothing found: stays, says so
        await settle(app, pilot)
        assert app.screen is screen
        assert any("没有找到匹配的儿童" in str(n.message) for n in app._notifications)


@run_async
async def test_a_studying_finding_asks_for_the_school_prefilled(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        screen = app.screen
        child = next(r for r in screen.queue if r.get("school"))
        screen.index = screen.queue.index(child)
        screen.show_child()
        await pilot.press("1", "enter")                             # 在籍在校
        assert isinstance(app.screen, FormDialog)
        field = app.screen.query_one("#f-school", Input)
        assert field.value == child["school"] and field.has_focus
        assert child["school"] in screen_text(app)
        await pilot.press("ctrl+u", "enter")                        # no school: refused, stays
        assert isinstance(app.screen, FormDialog)
        assert "须写明就读学校" in str(app.screen.query_one("#form-error").render())
        await pilot.press(*"双山中学", "enter")
        await settle(app, pilot)
        saved = app.workspace.store.get(child["id_number"])
        assert (saved["status"], saved["school"]) == ("在籍在校", "双山中学")
        assert saved["status_history"][-1]["school"] == "双山中学"
        await pilot.press("2", "enter", "escape")                    # Esc: nothing saved, same child
        assert screen.child["id_number"] != child["id_number"]
        before = app.workspace.store.get(screen.child["id_number"])
        assert app.workspace.store.get(screen.child["id_number"]) == before


# --- 10. Textual's English ---------------------------------------------------------------------------
ENGLISH = re.compile(r"[A-Za-z]{3,}")


@run_async
async def test_the_palette_and_textuals_own_words_are_chinese(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for screen_id, _item in app.nav.items():
            app.action_open_screen(screen_id)
            await settle(app, pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert not [t for t in titles if ENGLISH.search(t)], (screen_id, titles)
            assert "退出" in titles and "帮助：全部按键" in titles
        assert app.screen.query_one("HeaderIcon").tooltip == "打开命令面板（Ctrl+P）"
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        assert isinstance(app.screen, CommandPalette)
        assert "搜索命令" in screen_text(app) and "Search" not in screen_text(app)
        await pilot.press(*"zzzqqq")
        await pilot.pause(1.0)
        await settle(app, pilot)
        options = app.screen.query_one(CommandList)
        shown = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
        assert any("没有找到匹配的命令" in s for s in shown) and not any("No matches" in s for s in shown)
        await pilot.press("escape")
        await settle(app, pilot)
        app.action_change_theme()
        await settle(app, pilot)
        assert isinstance(app.screen, PickerScreen)
        assert [label for _v, label in app.screen.options][0] == "深色（默认）"


@run_async
async def test_an_open_select_says_how_to_close_it_in_chinese(tui_data):
    app = make_app(tui_data, start="export")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")                                  # opens the ledger list
        await settle(app, pilot)
        assert "esc关闭列表" in footer(app) and "Dismiss" not in footer(app)


# --- 11. the smaller points --------------------------------------------------------------------------
@run_async
async def test_every_screen_is_titled_by_itself(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        campaign = app.workspace.profile.title
        for screen_id, _item in app.nav.items():
            app.action_open_screen(screen_id)
            await settle(app, pilot)
            title = screen_text(app).splitlines()[0]
            assert "控辍保学工作台 — " in title and campaign not in title, (screen_id, title)
        app.action_open_screen("disabled")
        await settle(app, pilot)
        assert "残疾儿童" in screen_text(app).splitlines()[0]


def test_name_and_number_stay_together():
    pairs = [("双山社区", 169), ("高峰村", 174), ("尖山村", 162), ("长堰村", 1181)]
    lines = pair_grid(pairs, 40)
    assert len(lines) == 2 and all(len(re.findall(r"\S+ +\d+", line)) == 2 for line in lines)
    assert pair_grid(pairs, 200) == ["双山社区  169   高峰村    174   尖山村    162   长堰村   1181"]
    assert " " not in inline_pairs([("复评到期", 17), ("无评估", 2)]).replace("　", "")


@run_async
async def test_the_dashboard_keeps_each_village_with_its_count(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#dash").scroll_end(animate=False)
        await pilot.pause()
        text = screen_text(app)
        villages = {r.get("village") for r in app.workspace.store.all()} - {None, ""}
        for village in villages:
            assert re.search(rf"{village}\s+\d+", text), village


def test_repeated_rows_name_the_earlier_row():
    rows = [("A", {}, 3), ("B", {}, 4), ("A", {}, 7), ("A", {}, 9)]
    assert repeated_rows(rows) == [(7, 3), (9, 3)]


@run_async
async def test_the_import_preview_says_which_rows_repeat(tui_data, tmp_path):
    number = make_id("500224", dt.date(2015, 5, 1), 13)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "身份证号", "性别", "出生日期", "户籍地址"])
    for n in range(1, 4):
        sheet.append([n, "测试甲", number if n != 2 else make_id("500224", dt.date(2015, 6, 2), 15), "男",
                      "2015-05-01", "重庆市铜梁区双山镇高峰村1组"])
    path = tmp_path / "重复.xlsx"
    book.save(path)
    app = make_app(tui_data, start="import")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(Select).value = "police"
        app.screen.query_one("#import-path", Input).value = str(path)
        app.screen.query_one("#import-path").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        text = str(app.screen.query_one("#import-result").render())
        assert "重复 1 行" in text and "第 4 行同第 2 行" in text


@run_async
async def test_export_one_village_at_one_checking_level(tui_data, tmp_path):
    from kbtui.domain.checking import LOCAL_CHECK
    from kbtui.services.reporting.ledger_export import export_ledger

    ws = Workspace.open(tui_data, "tester")
    app = make_app(tui_data, start="export")
    target = tmp_path / "高峰村.xlsx"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#export-ledger", Select).value = "in-school-local"
        screen.query_one("#export-village", Select).value = "高峰村"
        screen.query_one("#export-level", Select).value = LOCAL_CHECK
        screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        lines = str(screen.query_one("#export-result").render()).splitlines()
        assert target.name in lines                                   # the file name on its own line
    expected = export_ledger(ws, "in-school-local", tmp_path / "cli.xlsx", village="高峰村",
                             level=LOCAL_CHECK, today=TODAY)
    everyone = export_ledger(ws, "in-school-local", tmp_path / "all.xlsx", today=TODAY)
    got = openpyxl.load_workbook(target).active.max_row
    assert got == openpyxl.load_workbook(expected.path).active.max_row
    assert got < openpyxl.load_workbook(everyone.path).active.max_row


@run_async
async def test_a_notice_leaves_the_visit_form_readable(tui_data):
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_village(app, pilot, "高峰村")
        await pilot.press("7", "enter")                            # 疑似辍学: saved, a notice
        await pilot.pause(0.3)
        toasts = [w for w in app.screen.get_child_by_type(ToastRack).walk_children() if isinstance(w, Toast)]
        assert toasts and all(t.region.height <= 2 for t in toasts)
        evidence = app.screen.query_one("#v-evidence").region
        assert not any(t.region.overlaps(evidence) for t in toasts)


# --- 12. the first screen at once --------------------------------------------------------------------
@run_async
async def test_the_first_screen_shows_before_the_children_are_read(tui_data, monkeypatch):
    gate = threading.Event()
    refresh = ChildStore.refresh

    def slow_refresh(store):
        gate.wait(10)
        return refresh(store)

    workspace = Workspace.open(tui_data, "tester", load_children=False)
    assert not workspace.store.loaded and len(workspace.store) == 0
    monkeypatch.setattr(ChildStore, "refresh", slow_refresh)
    app = KbtuiApp(workspace, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and not app.children_loaded
        text = screen_text(app)
        assert "精准排查对象" in text and "正在读取儿童名单" in str(app.screen.query_one("#dash-counts").render())
        assert app.screen.query_one("#dash-top").loading
        await pilot.press("f1")                                     # keys work meanwhile
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "f3")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)              # F3 waits for the children …
        assert any("读完后自动打开“儿童”" in str(n.message) for n in app._notifications)
        gate.set()
        await settle(app, pilot)
        assert app.children_loaded and app.current_mode == "children"        # … and opens then
        assert len(app.screen.table.rows) == len(list(workspace.store.all())) > 0
        await pilot.press("f2")
        await settle(app, pilot)
        assert "名单儿童" in screen_text(app) and not app.screen.query_one("#dash-top").loading


@run_async
async def test_a_damaged_data_file_read_after_the_first_screen_ends_the_app_with_its_message(tui_data):
    shard = next((tui_data / "store" / "children").glob("*.json"))
    shard.write_text("{broken", encoding="utf-8")
    app = KbtuiApp(Workspace.open(tui_data, "tester", load_children=False), today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
    assert app.return_code == 1
