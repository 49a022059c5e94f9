"""Speed budgets of the Excel layer, relative to the bare libraries on the same machine.

Reading must stay within ~2x of calamine merely loading every cell; writing a styled, printable form
within ~1.2x of a bare openpyxl write-only write of the same rows (measured at 100,000 x 20 during
development: 1.1-1.3x and 1.09-1.12x). Best of two runs, with some slack for small sizes and noisy CI.
"""
import datetime as dt
import time

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from kbtui.excel import DEFAULT_HEADERS, read_rows, write_form

pytestmark = pytest.mark.slow

N = 8000
HEADERS = ["序号", "姓名", "性别", "民族", "出生日期", "公民身份号码", "所属村/社区", "组", "户籍地址", "现住址",
           "监护人", "联系电话", "户类型", "学校名称", "年级", "班级", "学籍号", "学籍状态", "备注", "残疾类别"]


def _rows():
    return [
        [i + 1, f"张{i}", "男", "汉族", dt.date(2015, 3, 4), "500224201503041234", "石桥村", "3组",
         "重庆市铜梁区双山镇石桥村3组", "同左", "张大", 13800138000, "一般农户", "双山小学", "三年级", "2班",
         "G500224201503041234", "在读", None, None]
        for i in range(N)
    ]


def _best(fn, runs=2):
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_write_and_read_speed(tmp_path):
    rows = _rows()
    bare_path = tmp_path / "bare.xlsx"

    def bare():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(["某某镇适龄儿童名单"])
        ws.append(HEADERS)
        for r in rows:
            ws.append(r)
        wb.save(bare_path)

    def form():
        write_form(tmp_path / "form.xlsx", title="台账", unit="双山镇", date=dt.date(2024, 9, 20),
                   columns=[(h, 10) for h in HEADERS], rows=rows)

    t_bare = _best(bare)
    t_form = _best(form)
    assert t_form <= t_bare * 1.3 + 0.2, (t_form, t_bare)

    def calamine():
        CalamineWorkbook.from_path(str(bare_path)).get_sheet_by_index(0).to_python()

    def ours():
        table = read_rows(bare_path, fields=DEFAULT_HEADERS, required=["id_number"])
        assert len(table.rows) == N

    t_cal = _best(calamine, 3)
    t_ours = _best(ours, 3)
    assert t_ours <= t_cal * 2.0 + 0.1, (t_ours, t_cal)
