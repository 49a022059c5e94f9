"""The wrong kind of list is refused before anything is written, saying which file, which kind, which columns
it lacks, which headers it has and which kind it looks like; previews name fields in Chinese."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Select

from tests.helpers.imports import init_data, run, run_json, workspace
from tests.helpers.township_books import children, disability_book, people_book, police_book, pupils, school_book
from tests.helpers.tui import make_app, run_async, settle

# field keys that must never reach a user (a file name or a command word may be ASCII; these may not)
INTERNAL = re.compile(r"\b(key_groups|sources|id_number|household_address|enrollment_status|student_no|"
                      r"class_name|disability_\w+|family_type|status_history|conflicts|name|sex|birth_date)\b")


@pytest.fixture
def township(tmp_path: Path) -> Path:
    data = init_data(tmp_path)
    run(data, "import", "police", str(police_book(tmp_path / "派出所户籍名单.xlsx")))
    return data


def journal_length(data: Path) -> int:
    return workspace(data).store.journal.last_seq()


def test_a_school_list_imported_as_a_disability_list_is_refused_and_nothing_changes(township, tmp_path):
    book = school_book(tmp_path / "双山小学学籍.xlsx")
    before = journal_length(township)
    for extra in (["--dry-run"], []):
        result = run(township, "import", "disability", str(book), *extra, ok=False)
        assert result.exit_code == 1
        out = result.output
        assert "双山小学学籍.xlsx" in out and "不像残联残疾儿童名单" in out and "未导入任何内容" in out
        assert "残疾类别" in out and "残疾等级" in out and "残疾证号" in out            # the columns it lacks
        assert "表头为：学校名称、姓名、性别、出生日期、身份证件号、年级" in out             # the headers it has
        assert "看起来是学校学籍名单" in out and "kbtui import school" in out           # the kind it looks like
        assert "Traceback" not in out
    assert journal_length(township) == before
    assert all("残疾" not in (r.get("key_groups") or []) for r in workspace(township).store.all())


def test_a_school_list_imported_as_the_police_list_is_refused(township, tmp_path):
    result = run(township, "import", "police", str(school_book(tmp_path / "学籍.xlsx")), "--dry-run", ok=False)
    assert result.exit_code == 1
    assert "看起来是学校学籍名单，不像派出所户籍名单" in result.output
    assert "年级、班级、学籍号、学籍状态" in result.output and "kbtui import school" in result.output


def test_the_police_list_imported_as_a_school_list_is_refused_even_with_a_school_given(township, tmp_path):
    result = run(township, "import", "school", str(police_book(tmp_path / "户籍.xlsx")), "--school", "双山小学",
                 ok=False)
    assert result.exit_code == 1
    assert "不像学校学籍名单" in result.output and "年级" in result.output and "学籍状态" in result.output
    assert "看起来是派出所户籍名单" in result.output and "kbtui import police" in result.output


def test_a_list_without_a_required_column_says_its_kind_and_what_it_looks_like(township, tmp_path):
    result = run(township, "import", "poverty", str(school_book(tmp_path / "学籍.xlsx")), ok=False)
    assert result.exit_code == 1
    assert "防返贫监测名单" in result.output and "家庭类型" in result.output and "看起来是学校学籍名单" in result.output
    staff = run(township, "import", "civil", str(people_book(tmp_path / "人员.xlsx")), ok=False)
    assert staff.exit_code == 1 and "民政名单" in staff.output and "身份证号" in staff.output


def test_the_right_lists_still_import(township, tmp_path):
    school = run_json(township, "import", "school", str(school_book(tmp_path / "学籍.xlsx")))
    assert school["updated"] == len(pupils()) and school["rejected"] == 0
    who = children()[:2]
    disabled = run_json(township, "import", "disability", str(disability_book(tmp_path / "残联.xlsx", who)))
    assert disabled["updated"] == 2
    assert {r["id_number"] for r in workspace(township).store.all() if "残疾" in (r.get("key_groups") or [])} == \
        {c.id_number for c in who}


def test_the_cli_preview_names_columns_and_changes_in_chinese(township, tmp_path):
    out = run(township, "import", "school", str(school_book(tmp_path / "学籍.xlsx")), "--dry-run").output
    assert ("识别的列：学校名称（就读学校）、姓名、性别、出生日期、身份证件号（身份证号）、年级、班级、"
            "全国学籍号（学籍号）") in out
    assert "来源名单：户籍名单 → 户籍名单、学籍名单" in out and "就读学校：（空） → 双山小学" in out
    assert not INTERNAL.search(out), INTERNAL.search(out)
    who = children()[:1]
    out = run(township, "import", "disability", str(disability_book(tmp_path / "残联.xlsx", who)), "--dry-run").output
    assert "重点群体：（空） → 残疾" in out and "残疾类别：（空） → 肢体" in out
    assert not INTERNAL.search(out), INTERNAL.search(out)


async def tui_preview(township: Path, kind: str, book: Path):
    """The import screen (80×24) after choosing ``kind`` and ``book`` and pressing Enter: (text, screen)."""
    app = make_app(township, start="import")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(Select).value = kind
        app.screen.query_one("#import-path").value = str(book)
        app.screen.query_one("#import-path").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        return str(app.screen.query_one("#import-result").render()), app.screen


@run_async
async def test_the_tui_preview_names_columns_and_changes_in_chinese(township, tmp_path):
    text, _ = await tui_preview(township, "disability", disability_book(tmp_path / "残联.xlsx", children()[:1]))
    assert "识别的列：" in text and "残疾类别" in text
    assert "重点群体：（空） → 残疾" in text and "来源名单：户籍名单 → 户籍名单、残联名单" in text
    assert not INTERNAL.search(text), INTERNAL.search(text)


@run_async
async def test_the_tui_refuses_the_wrong_kind_with_the_same_message(township, tmp_path):
    text, screen = await tui_preview(township, "disability", school_book(tmp_path / "双山小学学籍.xlsx"))
    assert "不像残联残疾儿童名单" in text and "看起来是学校学籍名单" in text
    assert screen.prepared is None
