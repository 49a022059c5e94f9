"""Imports under a scope: a village cadre's rows of another village are rejected with the reason (in the
rejects workbook), a read-only role cannot import at all, and every import is preceded by a backup."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl

from kbtui.domain.idcard import make_id
from kbtui.services.access import access
from kbtui.services.access.backup_archive import list_backups, read_manifest
from kbtui.services.access.operators import AccessDenied
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.access import VILLAGE, inside_and_outside

NEW_OWN = make_id("500224", dt.date(2015, 3, 4), 801)
NEW_OTHER = make_id("500224", dt.date(2015, 5, 6), 803)


def police_list(path: Path, rows: list[tuple]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["双山镇户籍儿童名单"])
    ws.append(["序号", "姓名", "性别", "出生日期", "身份证号", "村（社区）", "组"])
    for n, row in enumerate(rows, 1):
        ws.append([n, *row])
    wb.save(path)
    return path


def test_a_cadre_imports_only_their_village_and_gets_the_rest_rejected(scoped, tmp_path):
    admin = Workspace.open(scoped, "tester")
    inside, outside = inside_and_outside(admin, "cadre")
    path = police_list(tmp_path / "户籍.xlsx", [
        ("本村新生", "男", "2015-03-04", NEW_OWN, VILLAGE, "1组"),
        ("外村新生", "男", "2015-05-06", NEW_OTHER, "尖山村", "2组"),
        (outside["name"], outside.get("sex"), outside["birth_date"], outside["id_number"], VILLAGE, "3组"),
        (inside["name"], inside.get("sex"), inside["birth_date"], inside["id_number"], "尖山村", "3组"),
    ])
    before_backups = len(list_backups(scoped))
    result = run_cli("import", "police", str(path), "--json", data_dir=scoped, operator="cadre")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["imported"] == 1 and summary["rejected"] == 3
    admin.raw_store.refresh()
    assert admin.raw_store.get(NEW_OWN)["village"] == VILLAGE
    assert admin.raw_store.get(NEW_OTHER) is None
    assert admin.raw_store.get(outside["id_number"])["_v"] == outside["_v"]          # untouched
    assert admin.raw_store.get(inside["id_number"])["village"] == VILLAGE          # not moved away
    # the rejects workbook lists the three rows with the reason
    wb = openpyxl.load_workbook(summary["rejects_file"])
    text = "\n".join(" ".join(str(c) for c in row if c is not None)
                     for row in wb.worksheets[0].iter_rows(values_only=True))
    assert text.count("不在您的管辖范围") == 3 and "尖山村" in text and "不能由您导入" in text
    # and, like every file of children's data, says who wrote it, for which scope, when
    props = wb.properties
    assert props.subject == "拒收清单" and props.lastModifiedBy == "cadre"
    assert "拒收清单（户籍.xlsx）" in props.description and VILLAGE in props.category
    # an automatic backup was taken before the import
    assert len(list_backups(scoped)) == before_backups + 1
    assert read_manifest(list_backups(scoped)[-1])["automatic"] is True


def test_read_only_roles_cannot_import(scoped, tmp_path):
    path = police_list(tmp_path / "户籍.xlsx", [("本村新生", "男", "2015-03-04", NEW_OWN, VILLAGE, "1组")])
    for login in ("sup", "county"):
        result = run_cli("import", "police", str(path), data_dir=scoped, operator=login)
        assert result.exit_code == 1 and "不能导入" in result.output, result.output
    assert Workspace.open(scoped, "tester").raw_store.get(NEW_OWN) is None


def test_bulk_writes_list_out_of_scope_rows(scoped):
    ws = Workspace.open(scoped, "cadre")
    written = ws.store.insert_many([
        {"id_number": NEW_OWN, "name": "本村", "village": VILLAGE},
        {"id_number": NEW_OTHER, "name": "外村", "village": "尖山村"},
    ], "cadre")
    assert written == 1
    assert [r.id_number for r in ws.store.rejected] == [NEW_OTHER]
    assert "尖山村" in ws.store.rejected[0].reason
    assert access.row_problem(ws, NEW_OTHER, {"village": "尖山村"})


def test_a_refusal_never_tells_where_a_child_of_another_village_lives(scoped, tmp_path):
    """Issue 19.9: a cadre importing (or opening, or changing) a child of another village learned its real
    village (and name) from the message; now only that the child is outside their scope."""
    admin = Workspace.open(scoped, "tester")
    _inside, outside = inside_and_outside(admin, "cadre")
    secret = (outside["village"], outside["name"], outside.get("school") or outside["village"])
    path = police_list(tmp_path / "户籍.xlsx", [
        ("化名", "男", outside["birth_date"], outside["id_number"], VILLAGE, "3组")])
    said = []
    result = run_cli("import", "police", str(path), data_dir=scoped, operator="cadre")
    assert result.exit_code == 0, result.output
    said.append(result.output)
    summary = json.loads(run_cli("import", "police", str(path), "--json", data_dir=scoped, operator="cadre").output)
    said.append(json.dumps(summary, ensure_ascii=False))
    wb = openpyxl.load_workbook(summary["rejects_file"])
    said.append(" ".join(str(c) for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c))
    assert all("不在您的管辖范围（高峰村）内" in text for text in said), said
    ws = Workspace.open(scoped, "cadre")
    for attempt in (lambda: ws.store.require(outside["id_number"]),
                    lambda: ws.store.update(outside["id_number"], {"note": "x"}),
                    lambda: ws.store.collection("absences").insert({"id_number": outside["id_number"]})):
        try:
            attempt()
        except AccessDenied as err:
            said.append(str(err))
        else:
            raise AssertionError("not refused")
    said.append(run_cli("visit", outside["id_number"], "--status", "在籍在校", data_dir=scoped,
                        operator="cadre").output)
    for text in said:
        assert not any(value in text for value in secret), text
    assert admin.raw_store.get(outside["id_number"])["_v"] == outside["_v"]
