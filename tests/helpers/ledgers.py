"""A small township for ledger round trips (three children, two villages, two pupils) and the steps a cadre
takes with a ledger: export it, fill it in offline."""
from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.helpers.imports import cid, init_data, police_rows, run_json, xlsx

A, B, C = cid("2015-03-04", 11), cid("2018-05-06", 12), cid("2012-07-08", 21)


def ledger_township(tmp_path: Path) -> Path:
    """张三 (A, 高峰村, a pupil of 双山小学), 李四 (B, 尖山村), 王五 (C, 高峰村, a pupil)."""
    d = init_data(tmp_path)
    run_json(d, "import", "police", str(xlsx(tmp_path / "p.xlsx", police_rows([
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "张大山", "13800138000"),
        (B, "李四", "女", "2018-05-06", "尖山村", "5组", "", "李母", "13800138001"),
        (C, "王五", "男", "2012-07-08", "高峰村", "1组", "", "王父", ""),
    ]))))
    run_json(d, "import", "school", str(xlsx(tmp_path / "s.xlsx", [
        ["学校名称", "姓名", "身份证号", "年级", "班级", "学籍号", "学籍状态"],
        ["双山小学", "张三", A, "四年级", "2班", "G" + A, "在读"],
        ["双山小学", "王五", C, "六年级", "1班", "G" + C, "在读"],
    ])))
    return d


def fill(path: Path, out: Path, edits: dict[str, dict[str, object]]) -> Path:
    """Edit cells as a cadre would: {name in the row: {header: new value}}."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = {c.value: c.column for c in ws[3]}
    for row in ws.iter_rows(min_row=4):
        name = row[headers["姓名"] - 1].value
        for header, value in edits.get(name, {}).items():
            ws.cell(row[0].row, headers[header]).value = value
    wb.save(out)
    return out


def export(data: Path, tmp_path: Path, ledger: str = "in-school-local") -> Path:
    path = tmp_path / f"{ledger}.xlsx"
    run_json(data, "ledger", "export", ledger, "-o", str(path))
    return path
