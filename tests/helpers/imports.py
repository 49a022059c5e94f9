"""Helpers shared by the import / ledger tests: messy workbooks built in the test, a data folder, the CLI."""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kbtui.cli import cli
from kbtui.domain.idcard import make_id

OPERATOR = "tester"
REGION = "500224"


def cid(born: str | dt.date, seq: int, region: str = REGION) -> str:
    """A valid ID number for a child born on ``born`` (odd seq = boy, even = girl)."""
    day = dt.date.fromisoformat(born) if isinstance(born, str) else born
    return make_id(region, day, seq)


def xlsx(path: Path, rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1",
         text_columns: Sequence[int] = ()) -> Path:
    """A workbook as people make them (openpyxl, normal mode). ``text_columns``: 0-based columns typed as text."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for j in text_columns:
        for cell in ws.iter_cols(min_col=j + 1, max_col=j + 1).__next__():
            cell.number_format = "@"
    wb.save(path)
    return path


def csv_file(path: Path, rows: Iterable[Sequence[Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def init_data(tmp_path: Path, profile: str = "shuangshan-2024", database: str | None = None) -> Path:
    """A new data folder made by ``kbtui init`` (``database``: its data in that PostgreSQL database)."""
    data = tmp_path / "data"
    extra = ["--database", database] if database else []
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--operator", OPERATOR, "init", "--profile", profile,
                                      *extra])
    assert result.exit_code == 0, result.output
    return data


def run(data: Path, *args: str, input: str | None = None, ok: bool = True):
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--operator", OPERATOR, *args], input=input)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def run_json(data: Path, *args: str) -> dict:
    result = run(data, *args, "--json")
    return json.loads(result.stdout if hasattr(result, "stdout") else result.output)


def workspace(data: Path):
    from kbtui.services.workspace import Workspace

    return Workspace.open(data, OPERATOR)


def read_sheet(path: Path, sheet: str | int = 0) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    ws = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
    return ws.to_python()


POLICE_HEADER = ["序号", "公民身份号码", "姓 名", "性别", "出生日期", "所属村", "组", "户籍地址", "监护人", "联系电话"]
SCHOOL_HEADER = ["学校名称", "学生姓名", "身份证件号", "性别", "出生日期", "年级", "班级", "学籍号", "学籍状态",
                 "户口所在地", "家长联系电话"]


def police_rows(children: Sequence[tuple], title: bool = True) -> list[list[Any]]:
    """children: (id, name, sex, birth, village, group, address, guardian, phone)."""
    rows: list[list[Any]] = []
    if title:
        rows += [["双山派出所适龄儿童户籍名单"], ["填报单位：双山派出所", None, None, "2024年9月5日"]]
    rows.append(POLICE_HEADER)
    rows += [[n, *child] for n, child in enumerate(children, 1)]
    rows += [[], ["合计", f"{len(children)}人"], ["填表人：张警官", None, "审核人：李所长"]]
    return rows


def body(path: Path) -> list[list]:
    """The data rows of an exported ledger (between the header row and the footer)."""
    grid = read_sheet(path)
    header_at = next(i for i, r in enumerate(grid) if r and r[0] == "序号")
    rows = []
    for row in grid[header_at + 1:]:
        if not any(c not in ("", None) for c in row) or str(row[0]).startswith("填表人"):
            break
        rows.append(row)
    return [grid[header_at], *rows]


MESSY_IDS = (cid("2015-03-04", 11), cid("2018-05-06", 12), cid("2012-07-08", 21), cid("2016-01-02", 32))


def messy_police(path: Path) -> Path:
    """A police list of seven children as stations send them: spaced and full-width IDs, an ID as an Excel
    number, a bad check digit, no name, a sex against the ID, birth dates spelt every way; 4 import, 3 rejected."""
    A, B, C, D = MESSY_IDS
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    children = [
        (f" {A[:6]} {A[6:14]} {A[14:]} ", "张 三", "男", "2015.3.4", "高峰", 3, "", "张大山", 13800138000.0),
        (B.translate(str.maketrans("0123456789", "０１２３４５６７８９")), "李四", "女", dt.datetime(2018, 5, 6),
         "", "", "重庆市铜梁区双山镇尖山村5组12号", "李母", "138-0013-8001"),
        (500224201503041234, "王五", "男", "2015-03-04", "高峰村", "1", "", "", ""),       # Excel number
        (bad_check, "赵六", "男", "20150304", "高峰村", "1", "", "", ""),                  # check digit
        (C.lower(), "", "男", "2012年7月8日", "长堰村", "2组", "", "", ""),                # no name
        (C, "钱七", "女", 41098, "长堰村", "2组", "", "钱父", "1380013800"),               # sex, short phone
        (D, "孙八", "女", "2016/1/2", "永安村", "十组", "", "孙母", ""),
    ]
    return xlsx(path, police_rows(children))
