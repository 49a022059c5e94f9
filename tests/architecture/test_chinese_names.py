"""No internal name reaches a user (issue 15 point 10): the change journal (``kbtui audit log`` and the 修改日志
screen) shows Chinese actions, field names, values and readable record names; options with a closed
vocabulary list the valid values when given something else."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable

from kbtui.domain import labels as L
from kbtui.tui.screens.audit import AuditScreen
from tests.helpers.imports import init_data, run
from tests.helpers.township_books import children, people_book, police_book, pupils, school_book
from tests.helpers.tui import make_app, run_async, settle

# what the journal holds and a reader must never see: action codes, field keys, collection keys, codes
# (a ledger's id such as in-school-local is what one types in ``kbtui ledger export``: not matched)
INTERNAL = re.compile(
    r"(?<![\w-])(assign|visit|import|insert|update|collection|check\.pass|placemen\w*|done_at|done_by|done_how|"
    r"visitors|key_groups|sources|status_history|check_level|check_history|surveyor|campaign|created|"
    r"state|kind|open|done|edu|gov|role|unit|covers|title|police|school|file|rows|scope|masked|what)(?![\w-])"
    r"|\d{4}-autumn:")


@pytest.fixture(scope="module")
def township(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("names")
    data = init_data(tmp_path)
    run(data, "import", "police", str(police_book(tmp_path / "派出所户籍名单.xlsx")))
    run(data, "import", "school", str(school_book(tmp_path / "双山小学学籍.xlsx")))
    run(data, "people", "import", str(people_book(tmp_path / "工作人员名单.xlsx")))
    run(data, "assign", "--rule")
    listed = {c.id_number for c in pupils()}
    away = next(c for c in children() if c.id_number not in listed and c.village == "高峰村" and c.age > 6)
    run(data, "visit", away.id_number, "--status", "外地就读", "--school", "广东东莞长安中学", "--visitor", "王支书")
    run(data, "review", "--level", "村/校核查", "--village", "高峰村")
    run(data, "ledger", "export", "in-school-local", "-o", str(tmp_path / "台账.xlsx"))
    run(data, "operators", "add", "lisi", "--role", "村干部", "--name", "李四", "--village", "高峰村")
    return data


def test_the_audit_log_speaks_chinese(township):
    out = run(township, "audit", "log", "--limit", "1000").output
    found = sorted({m.group(0) for m in INTERNAL.finditer(out)})
    assert not found, (found, out[:3000])
    assert "分配责任人" in out and "走访" in out and "核查通过" in out and "导出" in out and "添加操作员" in out
    assert "走访任务：" in out and "人员：王支书" in out                       # readable record names
    assert "状态：未完成 → 已完成" in out and "走访人：（空） → 王支书" in out      # coded values named
    assert "核实记录：增加 1 条（外地就读" in out                               # a history shows what was added
    assert "来源名单：户籍名单 → 户籍名单、学籍名单" in out


def test_the_audit_log_takes_an_action_by_its_chinese_name(township):
    by_name = run(township, "audit", "log", "--action", "核查通过").output
    by_code = run(township, "audit", "log", "--action", "check.pass").output
    assert by_name == by_code and "核查通过" in by_name
    refused = run(township, "audit", "log", "--action", "随便写", ok=False)
    assert refused.exit_code == 1 and "没有“随便写”这类操作" in refused.output
    assert "分配责任人（assign）" in refused.output


@run_async
async def test_the_journal_screen_speaks_chinese(township):
    app = make_app(township, start="audit")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and screen.entries
        table = screen.query_one(DataTable)
        cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)[3:]]
        shown = "\n".join(cells)
        found = sorted({m.group(0) for m in INTERNAL.finditer(shown)})
        assert not found, found
        assert any(c.startswith("走访任务：") for c in cells) and "分配责任人" in cells
        detail = str(screen.query_one("#audit-detail").render())
        assert not INTERNAL.search(detail), detail


def test_every_journal_action_the_code_writes_has_a_chinese_name():
    src = Path(__file__).resolve().parents[2] / "src" / "kbtui"
    written = set()
    for path in [*src.rglob("*.py"), *(src.parents[1] / "plugins").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'action="([a-z][a-z_.-]*)"', text))
        written |= set(re.findall(r'make_entry\([^,]+, "([a-z][a-z_.-]*)"', text))
        written |= set(re.findall(r'^ACTION = "([a-z][a-z_.-]*)"', text, re.M))
    assert written and written <= set(L.ACTION_LABELS), written - set(L.ACTION_LABELS)


@pytest.mark.parametrize("args,words", [
    (("visit", "{kid}", "--status", "随便写"), ("不是已登记的核实情况", "可登记的有：在籍在校、")),
    (("spotcheck", "record", "{kid}", "--status", "随便写"), ("可登记的有：在籍在校",)),
    (("people", "list", "--role", "随便写"), ("职务“随便写”不认识", "村干部")),
    (("people", "list", "--unit", "随便写"), ("没有单位为“随便写”的人", "高峰村")),
    (("tasks", "--village", "随便写"), ("没有村（社区）为“随便写”的儿童", "高峰村")),
    (("tasks", "--person", "随便写"), ("人员名单中没有“随便写”",)),
    (("review", "--level", "村/校核查", "--village", "随便写"), ("现有：", "高峰村")),
    (("review", "--level", "随便写"), ("核查级别", "村/校核查、镇核查、县复核")),
    (("escalation", "done", "{kid}", "随便写"), ("没有步骤“随便写”", "order（责令限期改正）")),
    (("ledger", "export", "随便写"), ("没有名为“随便写”的台账", "in-school-local")),
    (("visit", "{kid}", "--status", "外地就读", "--how", "随便写"), ("可选：入户、电话、学校核实、其他",)),
    (("operators", "add", "x", "--role", "随便写"), ("可选：镇管理员、教育专干、村干部",)),
    (("audit", "log", "--since", "随便写"), ("--since：日期“随便写”格式不对",)),
])
def test_a_value_outside_a_closed_vocabulary_lists_the_valid_ones(township, args, words):
    kid = children()[0].id_number
    result = run(township, *(a.replace("{kid}", kid) for a in args), ok=False)
    assert result.exit_code in (1, 2), result.output
    for word in words:
        assert word in result.output, result.output
    assert "Traceback" not in result.output and "Error" not in result.output
