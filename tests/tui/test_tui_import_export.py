"""导入 / 导出 screens through the Pilot: path completion, preview, import with rejects, export with progress."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from textual.widgets import ProgressBar, Select

from kbtui.domain.idcard import make_id
from kbtui.tui.screens.exporting import ExportScreen
from kbtui.tui.screens.importing import ImportScreen
from kbtui.tui.widgets.path_input import complete_path
from tests.helpers.tui import make_app, run_async, settle


def police_list(path: Path) -> list[str]:
    ids = [make_id("500224", dt.date(2015, 5, n), 11 + 2 * n) for n in range(1, 4)]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["双山派出所户籍人口名单"])
    sheet.append(["序号", "姓名", "身份证号", "性别", "出生日期", "户籍地址"])
    for n, number in enumerate(ids, 1):
        sheet.append([n, "测试" + "甲乙丙"[n - 1], number, "男", f"2015-05-0{n}", "重庆市铜梁区双山镇高峰村1组"])
    sheet.append([4, "坏号码", "50022420150505001", "女", "2015-05-05", "重庆市铜梁区双山镇高峰村2组"])
    book.save(path)
    return ids


def test_path_completion(tmp_path):
    (tmp_path / "户籍名单2024.xlsx").write_bytes(b"")
    (tmp_path / "hj-sub").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    assert complete_path(str(tmp_path / "户籍"), (".xlsx",)) == str(tmp_path / "户籍名单2024.xlsx")
    assert complete_path(str(tmp_path / "hj"), (".xlsx",)) == str(tmp_path / "hj-sub") + "/"
    assert complete_path(str(tmp_path / "no"), (".xlsx",)) is None          # .txt is not offered


@run_async
async def test_import_preview_then_commit_names_the_rejects_file(tui_data, tmp_path):
    path = tmp_path / "派出所名单.xlsx"
    ids = police_list(path)
    app = make_app(tui_data, start="import")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ImportScreen)
        app.screen.query_one(Select).value = "police"
        app.screen.query_one("#import-path").focus()
        await pilot.press(*str(tmp_path / "派"))
        await pilot.pause(0.2)
        await pilot.press("right")                     # → accepts the completion
        assert app.screen.query_one("#import-path").value == str(path)
        await pilot.press("enter")                     # preview in a worker
        await settle(app, pilot)
        text = str(app.screen.query_one("#import-result").render())
        assert "预览" in text and "新增 3 人" in text and "未导入 1 行" in text
        assert all(app.workspace.store.get(i) is None for i in ids)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        text = str(app.screen.query_one("#import-result").render())
        assert "导入完成" in text and "未导入的行已写入" in text
        rejects = list((tui_data / "rejects").glob("*.xlsx"))
        assert len(rejects) == 1 and rejects[0].name in text.replace("\n", "")
        assert all(app.workspace.store.get(i)["name"].startswith("测试") for i in ids)
        assert not app.screen.query_one(ProgressBar).display


@run_async
async def test_export_a_ledger_with_progress(tui_data, tmp_path):
    app = make_app(tui_data, start="export")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ExportScreen)
        select = app.screen.query_one(Select)
        ledger = next(iter(app.workspace.ledgers))
        select.value = ledger
        target = tmp_path / "台账.xlsx"
        app.screen.query_one("#export-path").value = str(target)
        seen = []
        original = app.screen._show_progress

        def spy(bar, done, total):
            seen.append((done, total))
            original(bar, done, total)

        app.screen._show_progress = spy
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert target.exists()
        assert "已导出" in str(app.screen.query_one("#export-result").render())
        assert seen, "the progress bar was never updated"
        book = openpyxl.load_workbook(target)
        assert book.active.max_row > 3
        assert "行）" in str(app.screen.query_one("#export-result").render())
