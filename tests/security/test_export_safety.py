"""Every workbook kbtui writes about children is a well-behaved export: the operator's scope, ID and phone
numbers masked for roles that may not see them (督导), a journal entry "export" and workbook properties
saying who exported what scope when. Also the ledgers' extra sheets (送教上门学生台账 + 送教记录)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import stat
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain import roles as R
from kbtui.domain.ledger import Ledger, SheetColumn, SheetSpec
from kbtui.excel.writer import FormSheet, write_form
from kbtui.services.access import operator_admin, operators
from kbtui.services.campaign import spotcheck
from kbtui.services.escalation import cases
from kbtui.services.reporting.ledger_export import export_ledger
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.access import VILLAGE, configure
from tests.helpers.plugin_guide import EXAMPLES

FULL_ID = re.compile(r"^\d{17}[\dX]$")


@pytest.fixture
def data(tui_data: Path) -> Path:
    configure(tui_data)          # tester 镇管理员, cadre 村干部 of 高峰村, sup 督导 …
    return tui_data


def cli(data: Path, login: str, *args: str) -> str:
    result = run_cli(*args, data_dir=data, operator=login)
    assert result.exit_code == 0, result.output
    return result.output


def admin(data: Path) -> Workspace:
    return Workspace.open(data, "tester")


def add_cadre(data: Path, login: str, village: str) -> None:
    operator_admin.add_operator(admin(data), login, f"村干部{login}", R.VILLAGE_CADRE, [village])


def sheet_rows(ws, header: str) -> tuple[list[str], list[tuple]]:
    """(headers, data rows) of a form sheet: the rows under the header row holding ``header``, up to the
    first empty row."""
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r and header in r)
    out = []
    for row in rows[at + 1:]:
        if not row or row[0] is None:
            break
        out.append(row)
    return list(rows[at]), out


def column(headers: list[str], rows: list[tuple], name: str) -> list[str]:
    i = headers.index(name)
    return [str(r[i]) for r in rows]


def assert_export(data: Path, login: str, path: Path, what: str, rows: int | None = None, **detail) -> dict:
    """The journal's last export by ``login`` names the file, the scope and whether numbers were masked; the
    workbook (if one) carries who, what and the scope in its properties; the file is private."""
    operator = operators.load_operators(data)[login]
    entry = [e for e in admin(data).raw_store.journal.entries(operator=login) if e["action"] == "export"][-1]
    info = entry["detail"]
    assert info["file"] == str(path) and what in info["what"]
    assert info["scope"] == operator.scope_text() and info["role"] == operator.role
    assert info["masked"] is (not operator.role_info.full_exports)
    if rows is not None:
        assert info["rows"] == rows
    for key, value in detail.items():
        assert info[key] == value, (key, info)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    if path.suffix == ".xlsx":
        props = openpyxl.load_workbook(path).properties
        assert props.lastModifiedBy == login
        assert operator.scope_text() in props.category
        assert f"导出人：{operator.label()}" in props.contentStatus and what in props.contentStatus
        assert ("已部分隐藏" in props.contentStatus) is (not operator.role_info.full_exports)
    return info


# --------------------------------------------------------------------------- 送教上门学生台账 + 送教记录

def home_delivery_child(ws: Workspace) -> dict:
    ledger = ws.ledgers["home-delivery"]
    [child] = ledger.members(ws.store.all(), ws.context())       # the demo has one
    return child


def sessions_of(ws: Workspace, child: dict) -> list[dict]:
    key = child["placement"]["key"]
    found = [s for s in ws.raw_store.collection("delivery_sessions").find(id_number=child["id_number"])
             if s.get("placement") == key]
    return sorted(found, key=lambda s: s["date"])


def test_home_delivery_ledger_has_its_session_record(data, tmp_path):
    ws = admin(data)
    child = home_delivery_child(ws)
    sessions = sessions_of(ws, child)
    assert len(sessions) > 3
    out = tmp_path / "送教上门.xlsx"
    cli(data, "tester", "ledger", "export", "home-delivery", "-o", str(out))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["送教上门", "送教记录", "_kbtui"]
    assert wb["送教记录"].sheet_state == "visible"
    headers, rows = sheet_rows(wb["送教记录"], "送教日期")
    assert headers == ["序号", "姓名", "身份证号", "送教日期", "送教教师", "课时", "送教内容"]
    assert [list(r) for r in rows] == [
        [n, child["name"], child["id_number"], s["date"], s["teacher"], s["periods"], s["content"]]
        for n, s in enumerate(sessions, 1)]
    assert "送教记录" in wb["送教记录"]["A1"].value
    assert wb["送教记录"].cell(len(rows) + 5, 1).value.startswith("填表人")      # the usual footer
    _headers, main = sheet_rows(wb["送教上门"], "送教学校")
    assert len(main) == 1
    assert_export(data, "tester", out, "送教上门学生台账", 1, sheets={"送教记录": len(sessions)})


def test_home_delivery_export_by_a_supervisor_is_masked_on_both_sheets(data, tmp_path):
    child = home_delivery_child(admin(data))
    out = tmp_path / "督导.xlsx"
    cli(data, "sup", "ledger", "export", "home-delivery", "-o", str(out))
    wb = openpyxl.load_workbook(out)
    headers, main = sheet_rows(wb["送教上门"], "送教学校")
    for name, full in (("身份证号", child["id_number"]), ("联系电话", child["guardian_phone"]),
                       ("残疾证号", child["disability_certificate"]), ("学籍号", child["student_no"])):
        [shown] = column(headers, main, name)
        assert "*" in shown and shown != full, name
    headers, rows = sheet_rows(wb["送教记录"], "送教日期")
    ids = column(headers, rows, "身份证号")
    assert ids and all(i == ids[0] and "*" in i and i.endswith(child["id_number"][-4:]) for i in ids)
    text = " ".join(str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r if c)
    assert child["id_number"] not in text and child["guardian_phone"] not in text
    assert_export(data, "sup", out, "送教上门学生台账", 1)


def test_home_delivery_export_keeps_a_village_cadre_to_the_village(data, tmp_path):
    child = home_delivery_child(admin(data))
    assert child["village"] != VILLAGE
    own, other = tmp_path / "own.xlsx", tmp_path / "other.xlsx"
    add_cadre(data, "tp", child["village"])
    cli(data, "tp", "ledger", "export", "home-delivery", "-o", str(own))
    headers, rows = sheet_rows(openpyxl.load_workbook(own)["送教记录"], "送教日期")
    assert rows and all(FULL_ID.match(i) for i in column(headers, rows, "身份证号"))   # 村干部: full numbers
    cli(data, "cadre", "ledger", "export", "home-delivery", "-o", str(other))
    wb = openpyxl.load_workbook(other)
    assert sheet_rows(wb["送教上门"], "送教学校")[1] == [] and sheet_rows(wb["送教记录"], "送教日期")[1] == []
    assert_export(data, "cadre", other, "送教上门学生台账", 0, sheets={"送教记录": 0})


def test_a_ledger_without_extra_sheets_is_unchanged(data, tmp_path):
    ws = admin(data)
    ledger = ws.ledgers["in-school-local"]
    assert ledger.extra_sheets == ()
    out = tmp_path / "在校.xlsx"
    result = export_ledger(ws, "in-school-local", out)
    assert openpyxl.load_workbook(out).sheetnames == [ledger.sheet, "_kbtui"]
    info = assert_export(data, "tester", out, ledger.title_for(ws.context()), result.rows)
    assert set(info) == {"what", "scope", "role", "file", "rows", "masked", "ledger", "village"}


def test_an_extra_sheet_gets_its_collections_within_the_scope(data, tmp_path):
    """A SheetSpec reading a collection sees only the documents of children in the operator's scope."""
    seen: dict[str, list[str]] = {}

    def rows(children, ctx):
        seen["children"] = [c["id_number"] for c in children]
        seen["docs"] = [d["id_number"] for d in ctx.collection("delivery_sessions")]
        return [[c["name"]] for c in children]

    spec = SheetSpec("名单", (SheetColumn("姓名", 8, "name"),), rows, collections=("delivery_sessions",),
                     heading="{township}测试名单", serial=False)
    child = home_delivery_child(admin(data))
    for login, expected in (("tester", True), ("cadre", False)):
        ws = Workspace.open(data, login)
        ws.all_ledgers.replace("home-delivery", dataclasses.replace(ws.all_ledgers["home-delivery"],
                                                                   extra_sheets=(spec,)))
        out = tmp_path / f"{login}.xlsx"
        export_ledger(ws, "home-delivery", out)
        assert (child["id_number"] in seen["docs"]) is expected
        assert set(seen["docs"]) <= set(seen["children"])
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames == ["送教上门", "名单", "_kbtui"] and wb["名单"]["A1"].value == "双山镇测试名单"


def test_the_guide_example_adds_the_attempts_to_the_dropout_ledger(data, tmp_path):
    [example] = [e for e in EXAMPLES if "劝返记录" in e]
    folder = tmp_path / "county"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "attempts.py").write_text(example, encoding="utf-8")
    ws = Workspace.open(data, "tester", [folder])
    members = ws.ledgers["dropout"].members(ws.store.all(), ws.context())
    kid = members[0]
    case = cases.open_case(ws, kid["id_number"], on="2024-09-05", reason="学习困难/厌学")
    cases.add_attempt(ws, case["key"], on="2024-09-06", by="刘校长", how="家访", result="监护人答应考虑")
    out = tmp_path / "辍学.xlsx"
    export_ledger(ws, "dropout", out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == [ws.ledgers["dropout"].sheet, "劝返记录"]
    _headers, rows = sheet_rows(wb["劝返记录"], "劝返日期")
    assert [list(r) for r in rows] == [[1, kid["name"], kid["id_number"], "2024-09-06", "刘校长", "家访",
                                        "监护人答应考虑"]]


def test_write_form_writes_further_sheets_as_forms(tmp_path):
    out = tmp_path / "form.xlsx"
    written = write_form(out, title="主表", unit="双山镇", date=dt.date(2024, 9, 10),
                         columns=[("序号", 6), ("姓名", 8)],
                         rows=[[1, "张三"]],
                         sheets=[FormSheet("附表标题", [("序号", 6), ("内容", 20)], [[1, "=1+1"], [2, "@SUM(A1)"]],
                                           "台账"),
                                 FormSheet("第三张", [("内容", 20)], [], "附表")])
    assert written == 1
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["台账", "台账(2)", "附表"]
    extra = wb["台账(2)"]
    assert extra["A1"].value == "附表标题" and "双山镇" in extra["A2"].value
    assert [c.value for c in extra[3]] == ["序号", "内容"] and extra.freeze_panes == "A4"
    for row in (4, 5):
        cell = extra.cell(row, 2)
        assert cell.data_type == "s" and cell.quotePrefix            # never a formula
    assert extra["A7"].value.startswith("填表人")
    with pytest.raises(Exception, match="没有任何列"):
        write_form(tmp_path / "x.xlsx", title="t", unit="u", date=dt.date(2024, 9, 10), columns=[("a", 6)],
                   rows=[], sheets=[FormSheet("空", [], [])])
    assert not (tmp_path / "x.xlsx").exists()


def test_ledger_sheet_spec_defaults():
    spec = SheetSpec("送教记录", (SheetColumn("姓名"),), lambda children, ctx: [])
    assert spec.headers() == [("序号", 6), ("姓名", 12)]
    assert Ledger("x", "t", (), lambda r, c: True).extra_sheets == ()


# --------------------------------------------------------------------------- 专项督导检查名单

def test_spotcheck_list_export_is_scoped_masked_and_journaled(data, tmp_path):
    cli(data, "tester", "spotcheck", "draw", "--seed", "7")
    ws = admin(data)
    drawn = spotcheck.drawn_ids(ws)
    everyone = tmp_path / "all.xlsx"
    cli(data, "tester", "spotcheck", "list", "-o", str(everyone))
    headers, rows = sheet_rows(openpyxl.load_workbook(everyone).active, "身份证号")
    assert sorted(column(headers, rows, "身份证号")) == sorted(drawn)
    assert_export(data, "tester", everyone, "专项督导检查名单", len(drawn))

    masked = tmp_path / "sup.xlsx"
    cli(data, "sup", "spotcheck", "list", "-o", str(masked))
    headers, rows = sheet_rows(openpyxl.load_workbook(masked).active, "身份证号")
    assert len(rows) == len(drawn)
    assert all("*" in i and not FULL_ID.match(i) for i in column(headers, rows, "身份证号"))
    phones = [p for p in column(headers, rows, "联系电话") if p not in ("", "None")]
    assert phones and all("****" in p for p in phones)
    assert_export(data, "sup", masked, "专项督导检查名单", len(drawn), seed=7)

    village = tmp_path / "cadre.xlsx"
    cli(data, "cadre", "spotcheck", "list", "-o", str(village))
    headers, rows = sheet_rows(openpyxl.load_workbook(village).active, "身份证号")
    inside = [i for i in drawn if ws.raw_store.get(i)["village"] == VILLAGE]
    assert sorted(column(headers, rows, "身份证号")) == sorted(inside)
    assert set(column(headers, rows, "村（社区）")) <= {VILLAGE}
    assert_export(data, "cadre", village, "专项督导检查名单", len(inside))


def test_spotcheck_on_screen_list_masks_numbers_and_only_town_staff_draw(data):
    cli(data, "tester", "spotcheck", "draw", "--seed", "7")
    ws = admin(data)
    drawn = spotcheck.drawn_ids(ws)
    shown = cli(data, "sup", "spotcheck", "list")
    assert drawn and not any(i in shown for i in drawn)           # 督导: masked on screen too
    assert any(i[:6] + "********" + i[-4:] in shown for i in drawn)
    assert any(i in cli(data, "tester", "spotcheck", "list") for i in drawn)
    refused = run_cli("spotcheck", "draw", "--seed", "8", "--replace", data_dir=data, operator="cadre")
    assert refused.exit_code == 1 and "只有镇级操作员" in refused.output
    assert spotcheck.current_draw(admin(data))["seed"] == 7      # the township's list is unchanged


# --------------------------------------------------------------------------- 劝返情况记录 and legal documents

@pytest.fixture
def case_in_village(data) -> dict:
    ws = admin(data)
    kid = next(r for r in ws.store.all() if r.get("village") == VILLAGE and r.get("guardian_phone")
               and ws.context().classify(r).in_campaign)
    case = cases.open_case(ws, kid["id_number"], on="2024-09-05", reason="学习困难/厌学")
    cases.add_attempt(ws, case["key"], on="2024-09-06", by="刘校长", how="家访", result="=HYPERLINK(\"x\")")
    return {**case, "kid": kid}


def all_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


def test_case_record_by_a_supervisor_is_masked_and_journaled(data, case_in_village, tmp_path):
    kid = case_in_village["kid"]
    out = tmp_path / "劝返.xlsx"
    cli(data, "sup", "case", "record", case_in_village["key"], "-o", str(out))
    text = all_text(out)
    assert kid["name"] in text and "刘校长" in text
    assert kid["id_number"] not in text and kid["guardian_phone"] not in text
    assert f"{kid['id_number'][:6]}********{kid['id_number'][-4:]}" in text
    assert_export(data, "sup", out, "劝返情况记录", 1, case=case_in_village["key"])
    sheet = openpyxl.load_workbook(out).active
    risky = next(c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert risky.data_type == "s" and risky.quotePrefix


def test_case_record_for_a_village_cadre(data, case_in_village, tmp_path):
    kid = case_in_village["kid"]
    own = tmp_path / "own.xlsx"
    cli(data, "cadre", "case", "record", case_in_village["key"], "-o", str(own))
    assert kid["id_number"] in all_text(own)                      # 村干部: full numbers in exports
    assert_export(data, "cadre", own, "劝返情况记录", 1)
    add_cadre(data, "far", next(v for v in {r["village"] for r in admin(data).store.all()} if v != VILLAGE))
    result = run_cli("case", "record", case_in_village["key"], "-o", str(tmp_path / "far.xlsx"),
                     data_dir=data, operator="far")
    assert result.exit_code == 1 and not (tmp_path / "far.xlsx").exists()


def test_legal_documents_are_exports_and_read_only_roles_cannot_issue_them(data, case_in_village, tmp_path):
    key = case_in_village["key"]
    kid = case_in_village["kid"]
    refused = tmp_path / "sup.xlsx"
    result = run_cli("escalation", "document", key, "order", "-o", str(refused), "--on", "2024-09-20",
                     data_dir=data, operator="sup")
    assert result.exit_code == 1 and "不能制发法律文书" in result.output and "Traceback" not in result.output
    assert not refused.exists()
    out = tmp_path / "order.xlsx"
    cli(data, "cadre", "escalation", "document", key, "order", "-o", str(out), "--on", "2024-09-20")
    assert "责令限期改正通知书" in all_text(out) and kid["id_number"] in all_text(out)
    assert_export(data, "cadre", out, "责令限期改正通知书", 1, case=key, step="order")
    letter = tmp_path / "order.txt"
    cli(data, "cadre", "escalation", "document", key, "order", "-o", str(letter), "--on", "2024-09-21")
    assert letter.read_text(encoding="utf-8").startswith("责令限期改正通知书")
    assert_export(data, "cadre", letter, "责令限期改正通知书", 1)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]     # no temporary files left


# --------------------------------------------------------------------------- formula guard, end to end

@pytest.mark.parametrize("note", ["＝HYPERLINK(\"http://x\",\"点我\")", " =1+1", "＠SUM(A1)"])
def test_a_full_width_formula_typed_in_a_note_is_exported_as_text(data, tmp_path, note):
    ws = admin(data)
    kid = next(r for r in ws.store.all() if r.get("name") and ws.ledgers["in-school-local"].members([r], ws.context()))
    cli(data, "tester", "visit", kid["id_number"], "--status", "在籍在校", "--note", note)
    out = tmp_path / "台账.xlsx"
    cli(data, "tester", "ledger", "export", "in-school-local", "-o", str(out))
    sheet = openpyxl.load_workbook(out).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == note.strip() or c.value == note)
    assert cell.data_type == "s" and cell.quotePrefix
