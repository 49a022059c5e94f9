"""台账回填 in the TUI: a ledger exported through the service, filled in with openpyxl, read back through the
screen (path completion, preview child by child with the problems), applied with Y, journaled."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from textual.widgets import Input, Select

from kbtui.domain.idcard import make_id
from kbtui.services.reporting.ledger_export import export_ledger
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.importing import LEDGER_FILL, ImportScreen
from kbtui.tui.screens.ledger_import import LedgerImportScreen
from kbtui.tui.widgets.virtual_table import VirtualTable
from tests.helpers.tui import make_app, run_async, screen_text, settle

LEDGER = "in-school-local"
UNKNOWN = make_id("500224", dt.date(2014, 2, 3), 991)


def fill(path: Path, out: Path) -> dict[str, str]:
    """Fill three rows as a village cadre would: a phone and a note, a guardian (changed meanwhile in the
    system), an ID number typed over with one the system does not know. Returns {role: id number}."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = {c.value: c.column for c in sheet[3]}
    rows = [r for r in sheet.iter_rows(min_row=4) if r[headers["身份证号"] - 1].value]
    first, second, third = rows[0], rows[1], rows[2]
    ids = {"phone": first[headers["身份证号"] - 1].value, "stale": second[headers["身份证号"] - 1].value,
           "unknown": third[headers["身份证号"] - 1].value}
    sheet.cell(first[0].row, headers["联系电话"]).value = "139 0013 9000"
    sheet.cell(first[0].row, headers["备注"]).value = "父母在外务工"
    sheet.cell(second[0].row, headers["监护人"]).value = "台账里的监护人"
    sheet.cell(third[0].row, headers["身份证号"]).value = UNKNOWN
    book.save(out)
    return ids


def prepare(data: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    ws = Workspace.open(data, "tester")
    exported = export_ledger(ws, LEDGER, tmp_path / "导出.xlsx")
    assert exported.rows > 3
    filled = tmp_path / "已填台账.xlsx"
    ids = fill(Path(exported.path), filled)
    assert ws.store.get(UNKNOWN) is None
    # after the export someone changes the second child's guardian in the system
    stale = ws.store.get(ids["stale"])
    ws.store.update(ids["stale"], {"guardian": "系统里的新监护人"}, "other", expected_version=stale["_v"])
    return filled, ids


@run_async
async def test_filled_ledger_previewed_then_applied_and_journaled(tui_data, tmp_path):
    filled, ids = prepare(tui_data, tmp_path)
    before = Workspace.open(tui_data, "tester").store.get(ids["phone"])
    app = make_app(tui_data, start="import")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ImportScreen)
        await pilot.press("ctrl+l")                         # the import screen's key for 台账回填
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LedgerImportScreen)
        path_input = screen.query_one("#ledger-path", Input)
        assert path_input.has_focus
        path_input.value = ""
        await pilot.press(*str(tmp_path / "已"))
        await pilot.pause(0.2)
        await pilot.press("right")                          # → accepts the completion
        assert path_input.value == str(filled)
        await pilot.press("enter")                          # read in a worker: a preview, nothing saved
        await settle(app, pilot)
        summary = str(screen.query_one("#ledger-summary").render())
        assert "预览" in summary and "将修改 1 人" in summary and "按 Y 导入" in summary
        rows = screen.rows
        changes = [r for r in rows if r[2] in ("联系电话", "备注")]
        assert [r[3] for r in changes] == [f"{before.get('guardian_phone') or '（空）'} → 13900139000",
                                           "（空） → 父母在外务工"]
        problems = [r[4] for r in rows if r[2] == "未导入"]
        assert any(UNKNOWN in p and "系统中没有" in p for p in problems)
        assert any("监护人" in p and "导出后已由" in p and "系统里的新监护人" in p for p in problems)
        text = screen_text(app)
        assert "13900139000" in text and "未导入" in text and "确认导入" in text
        assert app.workspace.store.get(ids["phone"])["guardian_phone"] == before.get("guardian_phone")
        assert screen.query_one(VirtualTable).has_focus
        await pilot.press("down")                           # the full text of the row under the cursor
        assert "备注" in str(screen.query_one("#ledger-detail").render())

        await pilot.press("y")
        await settle(app, pilot)
        summary = str(screen.query_one("#ledger-summary").render())
        assert "已导入" in summary and "1 人的修改" in summary
        assert "确认导入" not in screen_text(app)           # Y is spent: the plan is done
    ws = Workspace.open(tui_data, "tester")
    record = ws.store.get(ids["phone"])
    assert (record["guardian_phone"], record["note"]) == ("13900139000", "父母在外务工")
    assert ws.store.get(ids["stale"])["guardian"] == "系统里的新监护人"     # not overwritten
    entries = [e for e in ws.store.journal.entries() if e["action"] == "ledger-import"]
    assert {e["record"] for e in entries} == {ids["phone"], None}
    child_entry = next(e for e in entries if e["record"] == ids["phone"])
    assert child_entry["operator"] == "tester" and child_entry["changes"]["guardian_phone"][1] == "13900139000"
    assert entries[-1]["detail"]["applied"] == 1 and entries[-1]["detail"]["file"] == filled.name


@run_async
async def test_ledger_choice_on_the_import_screen_and_errors(tui_data, tmp_path):
    bad = tmp_path / "随便一个表.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["不是台账"])
    book.save(bad)
    app = make_app(tui_data, start="import")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#import-path", Input).value = str(bad)
        app.screen.query_one(Select).value = LEDGER_FILL      # “已填写的台账（回填）” among the list types
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LedgerImportScreen)
        assert screen.query_one("#ledger-path", Input).value == str(bad)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "无法读取台账" in str(screen.query_one("#ledger-summary").render())
        assert not screen.rows and "确认导入" not in screen_text(app)
        await pilot.press("y")                               # nothing to apply: y is typed, nothing saved
        await settle(app, pilot)
        assert not [e for e in app.workspace.store.journal.entries() if e["action"] == "ledger-import"]


@run_async
async def test_ledger_import_from_the_palette(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "打开：台账回填" in titles
        app.action_open_screen("ledger-import")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerImportScreen)
        assert str(tui_data / "exports") in app.screen.query_one("#ledger-path", Input).value or \
            not (tui_data / "exports").is_dir()
