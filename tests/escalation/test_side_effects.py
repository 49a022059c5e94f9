"""No silent side effects (issue 15): F8 P asks before opening case files, an export never makes folders,
and a legal document the case does not back (no persuasion recorded) is issued only when confirmed."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from kbtui.services.escalation import absences, cases, escalation
from kbtui.services.workspace import Workspace
from kbtui.tui.app import KbtuiApp
from kbtui.tui.screens.cases import advance_lines
from kbtui.tui.screens.dialogs import ConfirmScreen
from tests.conftest import run_cli
from tests.helpers.escalation import KID, KID2

TODAY = dt.date(2020, 10, 14)


def journal_length(root: Path) -> int:
    return Workspace.open(root, "tester").store.journal.last_seq()


def with_absences(root: Path) -> Workspace:
    ws = Workspace.open(root, "tester")
    absences.add_absence(ws, KID, "2020-09-14")
    absences.add_absence(ws, KID2, "2020-09-21")
    return ws


def test_the_preview_of_advancing_is_what_advancing_does(data):
    ws = with_absences(data)
    before = journal_length(data)
    plan = escalation.preview_advance(ws, TODAY)
    assert journal_length(data) == before                               # the preview writes nothing
    assert len(plan.opened) == 1 and plan.marked and plan.noted
    done = escalation.advance(ws, TODAY)
    assert (len(done.opened), [m[2] for m in done.marked], done.noted) == \
        (len(plan.opened), [m[2] for m in plan.marked], plan.noted)
    assert escalation.preview_advance(ws, TODAY).empty()                 # nothing left to do


@contextlib.asynccontextmanager
async def pressing_p(root: Path):
    """The 劝返 screen (80×24) on ``TODAY`` right after P: (app, pilot)."""
    app = KbtuiApp(Workspace.open(root, "tester"), today=TODAY, start="cases")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        yield app, pilot


@pytest.mark.parametrize("answer,opened", [("n", False), ("y", True)])
def test_f8_p_asks_how_many_cases_will_be_opened_before_opening_them(data, answer, opened):
    import asyncio

    ws = with_absences(data)
    plan = escalation.preview_advance(ws, TODAY)
    before = journal_length(data)

    async def scenario():
        async with pressing_p(data) as (app, pilot):
            assert isinstance(app.screen, ConfirmScreen)
            question = app.screen.question
            marked = {id_number for id_number, _name, _status in plan.marked}
            assert "新立案卷 1 件" in question and f"标注 {len(marked)} 名儿童" in question
            assert f"记入已到的步骤 {plan.noted} 个" in question and "2020-10-14" in question
            assert journal_length(data) == before                       # asked before anything is written
            await pilot.press(answer)
            await pilot.pause()
            status = str(app.screen.query_one("#cases-status").render())
            assert ("新立案卷 1 件" in status) if opened else ("未推进" in status)

    asyncio.run(scenario())
    assert (cases.open_case_of(Workspace.open(data, "tester"), KID) is not None) is opened
    assert (journal_length(data) > before) is opened


def test_the_question_counts_a_child_marked_twice_once():
    report = escalation.AdvanceReport(marked=[("1", "甲", "疑似辍学"), ("1", "甲", "辍学"), ("2", "乙", "疑似辍学")],
                                      opened=["1"], noted=2)
    question = report.question(TODAY)
    assert "标注 2 名儿童（辍学 1 人，疑似辍学 1 人）" in question
    assert "新立案卷 1 件" in question and "记入已到的步骤 2 个" in question
    # … and so do the result and the list F8 shows after P: one line per child, the marks in order
    assert report.summary().startswith("标注 甲（疑似辍学→辍学）、乙（疑似辍学）；")
    assert advance_lines(report).splitlines()[:3] == ["标注 2 名儿童：", "　甲（疑似辍学→辍学）", "　乙（疑似辍学）"]


def test_f8_p_with_nothing_to_do_asks_nothing(data):
    import asyncio

    async def scenario():
        async with pressing_p(data) as (app, _pilot):
            assert not isinstance(app.screen, ConfirmScreen)
            assert "没有需要推进的事项" in str(app.screen.query_one("#cases-status").render())

    asyncio.run(scenario())


# --------------------------------------------------------------------------- output folders

def case_key(root: Path) -> str:
    ws = with_absences(root)
    escalation.advance(ws, TODAY)
    return cases.open_case_of(ws, KID)["key"]


@pytest.mark.parametrize("command", [
    ("ledger", "export", "suspected-dropout"), ("report", "export", "statistics"), ("spotcheck", "draw", "--seed", "1"),
    ("spotcheck", "list"), ("case", "record", "{case}"), ("escalation", "document", "{case}", "order", "--force"),
])
def test_an_output_in_a_folder_that_does_not_exist_is_refused_and_no_folder_is_made(data, tmp_path, command):
    key = case_key(data)
    target = tmp_path / "没有这个文件夹" / "子文件夹" / "表.xlsx"
    before = journal_length(data)
    result = run_cli(*(a.replace("{case}", key) for a in command), "-o", str(target), data_dir=data)
    assert result.exit_code != 0, result.output
    assert f"文件夹“{target.parent}”不存在" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "没有这个文件夹").exists()
    assert journal_length(data) == before                                # nothing done before refusing


def test_the_services_refuse_a_missing_folder_too(data, tmp_path):
    """The TUI's export screens call the services with a typed path: the same rule, the same words."""
    from kbtui.domain.report import ReportError
    from kbtui.errors import StoreError
    from kbtui.services.reporting.ledger_export import export_ledger
    from kbtui.services.reporting.reports import export_report

    ws = Workspace.open(data, "tester")
    missing = tmp_path / "无" / "台账.xlsx"
    with pytest.raises(StoreError, match="不存在"):
        export_ledger(ws, "suspected-dropout", missing)
    with pytest.raises(ReportError, match="不存在"):
        export_report(ws, "statistics", missing)
    folder = tmp_path / "是文件夹.xlsx"
    folder.mkdir()
    with pytest.raises(StoreError, match="是一个文件夹"):
        export_ledger(ws, "suspected-dropout", folder)
    assert not (tmp_path / "无").exists()


def test_a_restore_into_a_folder_whose_parent_does_not_exist_is_refused(data, tmp_path):
    made = json.loads(run_cli("backup", "--json", data_dir=data).stdout)
    target = tmp_path / "没有" / "恢复"
    result = run_cli("restore", made["file"], "--into", str(target), data_dir=data)
    assert result.exit_code == 1 and f"文件夹“{target.parent}”不存在" in result.output
    assert not (tmp_path / "没有").exists()


# --------------------------------------------------------------------------- legal documents

def test_an_order_without_any_persuasion_recorded_is_not_issued_without_force(data, tmp_path):
    key = case_key(data)
    out = tmp_path / "通知书.xlsx"
    refused = run_cli("escalation", "document", key, "order", "-o", str(out), "--on", "2020-10-17", data_dir=data)
    assert refused.exit_code == 1
    assert "没有任何劝返记录" in refused.output and "已劝返0次" in refused.output and "--force" in refused.output
    assert not out.exists()
    assert not cases.open_case_of(Workspace.open(data, "tester"), KID).get("documents")
    forced = run_cli("escalation", "document", key, "order", "-o", str(out), "--on", "2020-10-17", "--force",
                     data_dir=data)
    assert forced.exit_code == 0 and out.exists()


def test_at_a_terminal_the_order_asks_first(data, tmp_path, monkeypatch):
    import kbtui.cli.escalation_cmds as commands

    key = case_key(data)
    monkeypatch.setattr(commands, "stdin_is_terminal", lambda: True)
    out = tmp_path / "通知书.xlsx"
    no = run_cli("escalation", "document", key, "order", "-o", str(out), input="n\n", data_dir=data)
    assert no.exit_code == 1 and "仍要制发吗？" in no.output and "已劝返0次" in no.output and not out.exists()
    yes = run_cli("escalation", "document", key, "order", "-o", str(out), input="y\n", data_dir=data)
    assert yes.exit_code == 0 and out.exists()


def test_with_a_persuasion_recorded_the_order_is_issued_without_asking(data, tmp_path):
    key = case_key(data)
    assert run_cli("case", "attempt", key, "--on", "2020-10-15", "--by", "刘校长", "--how", "家访",
                   "--result", "监护人拒绝送返", "--refused", data_dir=data).exit_code == 0
    out = tmp_path / "通知书.xlsx"
    issued = run_cli("escalation", "document", key, "order", "-o", str(out), "--on", "2020-10-17", data_dir=data)
    assert issued.exit_code == 0 and out.exists() and "警告" not in issued.output
