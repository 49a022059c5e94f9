"""``kbtui ledger import``: a ledger exported, filled in offline, imported back — shown, confirmed, journaled."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.helpers.imports import OPERATOR, cid, run, run_json, workspace, xlsx
from tests.helpers.ledgers import A, B, C, export, fill, ledger_township


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return ledger_township(tmp_path)


def test_round_trip_shows_confirms_and_journals(data: Path, tmp_path: Path):
    filled = fill(export(data, tmp_path), tmp_path / "filled.xlsx", {
        "张三": {"联系电话": "139 0013 9000", "排查走访情况": "外地就读（广东东莞长安镇）", "排查人": "村干部甲"},
        "王五": {"备注": "父母在外务工，随祖父母生活", "监护人": "王爷爷"},
    })
    preview = run(data, "ledger", "import", str(filled), input="n\n")
    text = preview.output
    assert "张三" in text and "联系电话：13800138000 → 13900139000" in text
    assert "排查走访情况：在籍在校 → 外地就读（广东东莞长安镇）" in text
    assert "备注：（空） → 父母在外务工，随祖父母生活" in text and "监护人：王父 → 王爷爷" in text
    assert "已取消" in text
    assert workspace(data).store.get(A)["guardian_phone"] == "13800138000"

    done = run(data, "ledger", "import", str(filled), input="y\n")
    assert "已导入 2 人的修改" in done.output
    ws = workspace(data)
    a, c = ws.store.get(A), ws.store.get(C)
    assert (a["guardian_phone"], a["status"], a["status_note"], a["surveyor"]) == \
        ("13900139000", "外地就读", "广东东莞长安镇", "村干部甲")
    assert a["status_history"][-1]["how"] == "台账回填" and a["status_history"][-1]["by"] == OPERATOR
    assert (c["note"], c["guardian"]) == ("父母在外务工，随祖父母生活", "王爷爷")
    entries = [e for e in ws.store.journal.entries() if e["action"] == "ledger-import"]
    assert {e["record"] for e in entries} == {A, C, None}
    assert next(e for e in entries if e["record"] == A)["changes"]["guardian_phone"] == \
        ["13800138000", "13900139000"]
    assert entries[-1]["detail"]["applied"] == 2
    # the same file again changes nothing
    again = run_json(data, "ledger", "import", str(filled), "--yes")
    assert again["changed"] == 0 and again["applied"] == 0


def test_unknown_and_edited_away_rows_are_reported_not_guessed(data: Path, tmp_path: Path):
    filled = fill(export(data, tmp_path), tmp_path / "filled.xlsx", {
        "张三": {"身份证号": cid("2015-03-04", 99), "联系电话": "13900000000"},      # valid but unknown
        "王五": {"姓名": "赵六", "联系电话": "13900000001"},                          # name edited
    })
    out = run_json(data, "ledger", "import", str(filled), "--yes")
    assert out["changed"] == 0
    messages = [p["message"] for p in out["problems"]]
    assert any("系统中没有身份证号" in m for m in messages)
    assert any("姓名“赵六”与系统中" in m and "王五" in m for m in messages)
    assert not workspace(data).store.get(C).get("guardian_phone")

    wb = openpyxl.load_workbook(tmp_path / "in-school-local.xlsx")
    ws = wb.worksheets[0]
    ws.cell(4, 6).value = None
    ws.cell(5, 6).value = "50022420150304111"
    wb.save(tmp_path / "broken.xlsx")
    out = run_json(data, "ledger", "import", str(tmp_path / "broken.xlsx"), "--dry-run")
    messages = [p["message"] for p in out["problems"]]
    assert any("身份证号为空" in m for m in messages) and any("应为18位" in m for m in messages)


def test_bad_cells_and_readonly_columns(data: Path, tmp_path: Path):
    filled = fill(export(data, tmp_path), tmp_path / "filled.xlsx", {
        "张三": {"排查走访情况": "在火星", "联系电话": "12345", "性别": "女", "备注": "已核实"},
        "王五": {"联系电话": None, "排查走访情况": None},          # blank cells never erase
    })
    out = run_json(data, "ledger", "import", str(filled), "--yes")
    assert out["applied"] == 1 and out["updates"][0]["changes"] == [
        {"field": "note", "label": "备注", "old": None, "new": "已核实"}]
    messages = " ".join(p["message"] for p in out["problems"])
    assert "“在火星”不是已登记的情况" in messages and "联系电话“12345”" in messages
    assert any("“性别”列不能通过台账修改" in n["message"] for n in out["notes"])
    assert workspace(data).store.get(A)["sex"] == "男"


def test_a_change_made_after_the_export_is_not_overwritten(data: Path, tmp_path: Path):
    exported = export(data, tmp_path)
    ws = workspace(data)
    record = ws.store.get(A)
    ws.store.update(A, {"guardian_phone": "13600136000"}, OPERATOR, expected_version=record["_v"])
    filled = fill(exported, tmp_path / "filled.xlsx", {"张三": {"联系电话": "13900139000", "备注": "电话已变"}})
    out = run_json(data, "ledger", "import", str(filled), "--yes")
    assert out["applied"] == 1
    problem = next(p for p in out["problems"] if p["id_number"] == A)
    assert "导出后已由 tester" in problem["message"] and "13600136000" in problem["message"]
    a = workspace(data).store.get(A)
    assert a["guardian_phone"] == "13600136000" and a["note"] == "电话已变"


def test_deferral_ledger_round_trip(data: Path, tmp_path: Path):
    filled = fill(export(data, tmp_path, "deferred"), tmp_path / "d.xlsx",
                  {"李四": {"是否办理缓学手续": "已办", "缓学原因": "体弱多病"}})
    out = run_json(data, "ledger", "import", str(filled), "--yes")
    assert out["applied"] == 1
    b = workspace(data).store.get(B)
    assert (b["deferral_done"], b["status"], b["status_reason"]) == ("是", "延缓入学", "体弱多病")
    # she stays on the deferral ledger, now as 延缓入学
    assert {i["id"]: i["rows"] for i in run_json(data, "ledger", "list")["ledgers"]}["deferred"] == 1


def test_a_file_that_is_no_ledger(data: Path, tmp_path: Path):
    other = xlsx(tmp_path / "x.xlsx", [["随便一个表"], ["姓名", "身份证号"], ["张三", A]])
    result = run(data, "ledger", "import", str(other), "--yes", ok=False)
    assert result.exit_code == 1 and "不是从本系统导出的台账" in result.output


def test_marker_lost_falls_back_to_title_and_headers(data: Path, tmp_path: Path):
    filled = fill(export(data, tmp_path), tmp_path / "filled.xlsx", {"张三": {"备注": "另存过"}})
    wb = openpyxl.load_workbook(filled)
    del wb["_kbtui"]
    wb.save(tmp_path / "resaved.xlsx")
    out = run_json(data, "ledger", "import", str(tmp_path / "resaved.xlsx"), "--yes")
    assert out["marker"] is False and out["applied"] == 1
    assert workspace(data).store.get(A)["note"] == "另存过"
