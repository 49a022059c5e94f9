"""write_form for reports: explicit formula cells (and only those), notes under the table, two-level headers."""
import datetime as dt

import openpyxl
import pytest

from kbtui.excel import writer as writer_mod
from kbtui.excel.cells import Formula
from kbtui.excel.writer import data_start_row, write_form

DAY = dt.date(2022, 10, 21)


@pytest.mark.parametrize("fast", [True, False])
def test_formula_cells_are_formulas_and_look_alike_text_stays_text(tmp_path, fast, monkeypatch):
    monkeypatch.setattr(writer_mod, "USE_FAST_ROWS", fast)
    path = tmp_path / "f.xlsx"
    start = data_start_row()
    rows = [
        ["金星村", 3, 2, "=SUM(B1:B2)"],                 # a record's text that looks like a formula
        ["双坪村", 4, 4, "@cmd"],
        ["合计", Formula(f"=SUM(B{start}:B{start + 1})"), Formula(f"=SUM(C{start}:C{start + 1})"),
         Formula(f'=IF(B{start + 2}=0,"",ROUND(C{start + 2}/B{start + 2}*100,2))')],
    ]
    write_form(path, title="统计表", unit="熨斗镇", date=DAY,
               columns=[("村", 8), ("人数", 6), ("在校", 6), ("率", 8)], rows=rows)
    ws = openpyxl.load_workbook(path).active
    assert start == 4
    assert ws["D4"].value == "=SUM(B1:B2)" and ws["D4"].data_type == "s" and ws["D4"].quotePrefix
    assert ws["D5"].value == "@cmd" and ws["D5"].data_type == "s"
    assert ws["B6"].value == "=SUM(B4:B5)" and ws["B6"].data_type == "f"
    assert ws["D6"].value == '=IF(B6=0,"",ROUND(C6/B6*100,2))' and ws["D6"].data_type == "f"
    assert ws["B6"].border.left.style == "thin"


@pytest.mark.parametrize("text", [
    "=HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0", "=SUM(A1)+WEBSERVICE(1)", "SUM(A1)", "=张三",
    "=A1;B2", "=INDIRECT(A1)", '="="&A1',
])
def test_formula_refuses_anything_but_references_numbers_and_arithmetic(text):
    with pytest.raises(ValueError):
        Formula(text)


def test_formula_accepts_what_reports_write():
    for text in ("=SUM(D5:D18)", "=SUM(D5:D9,D11:D14)", "=$D$5+E5-2.5", '=IF(D5=0,"",ROUND(E5/D5*100,2))',
                 "=IFERROR(E5/D5,0)"):
        assert Formula(text).text == text


def test_notes_and_two_level_header(tmp_path):
    path = tmp_path / "g.xlsx"
    groups = [("", 2), ("在校", 2), ("", 1)]
    columns = [("序号", 5), ("村", 8), ("本地", 6), ("外地", 6), ("失学", 6)]
    start = data_start_row(header_groups=True)
    assert start == 5
    write_form(path, title="附件3", unit="熨斗镇", date=DAY, columns=columns, header_groups=groups,
               rows=[[1, "金星村", 2, 1, 0]], notes=["注：入学率＝在校人数÷应入学人数×100%。", "=不是公式"])
    ws = openpyxl.load_workbook(path).active
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:D3", "E3:E4"} <= merged
    assert [c.value for c in ws[3]] == ["序号", "村", "在校", None, "失学"]
    assert [c.value for c in ws[4]] == [None, None, "本地", "外地", None]
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$3:$4"
    assert ws["B5"].value == "金星村"
    assert ws["A6"].value.startswith("注：入学率") and "A6:E6" in merged
    assert ws["A7"].value == "=不是公式" and ws["A7"].data_type == "s"
    assert ws["A9"].value.startswith("填表人")


def test_header_groups_must_cover_every_column(tmp_path):
    from kbtui.excel.errors import ExcelWriteError

    with pytest.raises(ExcelWriteError):
        write_form(tmp_path / "x.xlsx", title="t", unit="u", date=DAY, columns=[("a", 5), ("b", 5)],
                   header_groups=[("", 1)], rows=[])
