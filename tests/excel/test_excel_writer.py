import datetime as dt
import os
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbtui.domain.idcard import make_id
from kbtui.excel import data_rows
from kbtui.excel import writer as writer_mod
from kbtui.excel.errors import ExcelWriteError
from kbtui.excel.reader import read_rows
from kbtui.excel.rejects import REASON_HEADER, ROW_NUMBER_HEADER, write_rejects
from kbtui.excel.writer import with_serial, write_form

ID1 = make_id("500224", dt.date(2015, 3, 4), 123)
COLUMNS = [("序号", 6), ("姓名", 10), ("身份证号", 20), ("出生日期", 12), ("备注", 24)]
DAY = dt.date(2024, 9, 20)


def _form(path, rows, **kw):
    kw.setdefault("title", "双山镇在籍在校适龄儿童台账（本镇籍）")
    kw.setdefault("unit", "双山镇人民政府")
    kw.setdefault("date", DAY)
    kw.setdefault("columns", COLUMNS)
    return write_form(path, rows=rows, **kw)


def test_form_layout(tmp_path):
    path = tmp_path / "台账.xlsx"
    rows = list(with_serial([
        ["张三", ID1, dt.date(2015, 3, 4), "随班就读"],
        ["李四", "500224201410012468", "2014-10-01", None],
    ]))
    n = _form(path, rows, properties={"creator": "张老师", "description": "2024秋季", "keywords": "控辍保学"})
    assert n == 2
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.title == "台账"
    assert ws["A1"].value == "双山镇在籍在校适龄儿童台账（本镇籍）"
    assert ws["A1"].font.b and ws["A1"].font.sz >= 14
    assert ws["A1"].alignment.horizontal == "center"
    assert ws["A2"].value == "填报单位：双山镇人民政府        填报日期：2024年9月20日"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:E1", "A2:E2"} <= merged
    assert [c.value for c in ws[3]] == ["序号", "姓名", "身份证号", "出生日期", "备注"]
    assert all(c.font.b and c.border.left.style == "thin" and c.alignment.wrap_text for c in ws[3])
    assert ws["A4"].value == 1 and ws["B4"].value == "张三" and ws["C4"].value == ID1
    assert ws["C4"].data_type == "s"
    assert ws["D4"].value.date() == dt.date(2015, 3, 4) and ws["D4"].number_format == "yyyy-mm-dd"
    assert ws["B5"].border.bottom.style == "thin"
    assert ws["E5"].value is None and ws["E5"].border.left.style == "thin"  # empty cells bordered too
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.column_dimensions["C"].width == 20
    footer = ws["A7"].value
    assert footer.startswith("填表人：") and "审核人：" in footer and "联系电话：" in footer and "填表日期：" in footer
    assert "A7:E7" in merged
    assert wb.properties.creator == "张老师"
    assert wb.properties.title == "双山镇在籍在校适龄儿童台账（本镇籍）"
    assert wb.properties.description == "2024秋季" and wb.properties.keywords == "控辍保学"


def test_subtitle_and_no_footer(tmp_path):
    path = tmp_path / "f.xlsx"
    _form(path, [[1, "张三", ID1, None, None]], subtitle="（2024年秋季学期）", footer=False,
          sheet_title="缓学台账")
    ws = openpyxl.load_workbook(path)["缓学台账"]
    assert ws["A2"].value == "（2024年秋季学期）"
    assert ws["A4"].value == "序号"
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$4:$4"
    assert ws.max_row == 5


@pytest.mark.parametrize("evil", ["=1+1", "=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1:A2)",
                                  "=cmd|' /C calc'!A0", "#N/A", "-"])
def test_formula_injection_written_as_text(tmp_path, evil):
    path = tmp_path / "evil.xlsx"
    _form(path, [[1, evil, ID1, None, evil]], columns=COLUMNS)
    ws = openpyxl.load_workbook(path).active
    for ref in ("B4", "E4"):
        assert ws[ref].value == evil
        assert ws[ref].data_type == "s"
        assert ws[ref].quotePrefix
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_illegal_characters_are_removed(tmp_path):
    path = tmp_path / "ctl.xlsx"
    _form(path, [[1, "张\x00三\x07", "a\x1bb", None, "ok\tfine"]], title="标题\x01")
    ws = openpyxl.load_workbook(path).active
    assert ws["B4"].value == "张三" and ws["C4"].value == "ab"
    assert ws["E4"].value == "ok\tfine"
    assert ws["A1"].value == "标题"


def test_odd_values(tmp_path):
    path = tmp_path / "odd.xlsx"
    _form(path, [[1, ["孤儿", "留守儿童"], True, dt.datetime(2024, 9, 1, 8, 30), 3.5], (2, "x", 7, None, "")])
    ws = openpyxl.load_workbook(path).active
    assert ws["B4"].value == "孤儿、留守儿童"
    assert ws["C4"].value is True
    assert ws["D4"].value == dt.datetime(2024, 9, 1, 8, 30)
    assert ws["E4"].value == 3.5
    assert ws["A5"].value == 2 and ws["C5"].value == 7


def test_generator_rows_and_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_mod, "PROGRESS_EVERY", 10)
    calls = []
    n = _form(tmp_path / "g.xlsx", ([i, f"张{i}", ID1, None, None] for i in range(25)),
              progress=lambda d, t: calls.append((d, t)))
    assert n == 25
    assert calls == [(0, None), (10, None), (20, None), (25, 25)]
    calls.clear()
    _form(tmp_path / "h.xlsx", [[1, "a", "b", None, None]] * 3, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


def test_atomic_failure_leaves_no_file(tmp_path):
    path = tmp_path / "fail.xlsx"

    def rows():
        yield [1, "张三", ID1, None, None]
        raise RuntimeError("数据源出错")

    with pytest.raises(RuntimeError):
        _form(path, rows())
    assert os.listdir(tmp_path) == []


def test_atomic_replaces_existing(tmp_path):
    path = tmp_path / "t.xlsx"
    _form(path, [[1, "旧", ID1, None, None]])
    _form(path, [[1, "新", ID1, None, None]])
    assert openpyxl.load_workbook(path).active["B4"].value == "新"
    assert os.listdir(tmp_path) == ["t.xlsx"]


def test_unwritable_target(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises((ExcelWriteError, OSError)):
        _form(blocker / "sub" / "t.xlsx", [[1, "a", "b", None, None]])


def test_slow_path_matches(tmp_path, monkeypatch):
    """The public-API path (used if openpyxl's internal hook ever disappears) gives the same form."""
    rows = [[1, "张三", ID1, dt.date(2015, 3, 4), "=1+1"], [2, "李\x07四", 5, None, ["a", "b"]]]
    _form(tmp_path / "fast.xlsx", rows)
    monkeypatch.setattr(writer_mod, "USE_FAST_ROWS", False)
    _form(tmp_path / "slow.xlsx", rows)
    fast = openpyxl.load_workbook(tmp_path / "fast.xlsx").active
    slow = openpyxl.load_workbook(tmp_path / "slow.xlsx").active
    for a, b in zip(fast.iter_rows(), slow.iter_rows()):
        for x, y in zip(a, b):
            assert (x.value, x.data_type, x.quotePrefix, x.number_format) == (
                y.value, y.data_type, y.quotePrefix, y.number_format)
            assert x.border.left.style == y.border.left.style
    assert slow["E4"].data_type == "s" and slow["E4"].quotePrefix


def test_form_reads_back_with_read_rows(tmp_path):
    path = tmp_path / "rt.xlsx"
    _form(path, [[1, "张三", ID1, dt.date(2015, 3, 4), "=危险"]])
    table = read_rows(path, fields={"name": ["姓名"], "id_number": ["身份证号"], "note": ["备注"]},
                      required=["id_number"])
    assert table.header_row == 3
    assert [r.values for r in table.rows] == [{"name": "张三", "id_number": ID1, "note": "=危险"}]
    assert table.skipped == [(6, "表尾行（填表人）")]


def _messy_source(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws["A1"] = "石桥村适龄儿童名单"
    ws.merge_cells("A1:F1")
    ws.append(["填报单位：石桥村", None, None, "日期：2024.9.6"])
    ws.append(["序号", "姓 名", "性别", "身份证号码（必填）", "出生日期", "组"])
    ws.append([1, "张三", "男", ID1, dt.date(2015, 3, 4), "3组"])
    ws.append([2, "李四", "女", 5.00224201410012e17, "2014.13.1", "=2+2"])
    ws["F5"].data_type = "s"  # typed as text in the source
    ws.append([3, "王五", "女", "12345", 42067, None])
    wb.save(path)


def test_rejects_workbook_round_trip(tmp_path):
    src = tmp_path / "src.xlsx"
    _messy_source(src)
    fields = {"name": ["姓名"], "sex": ["性别"], "id_number": ["身份证号码"], "birth_date": ["出生日期"]}
    table = read_rows(src, fields=fields, required=["id_number", "name"])
    rejects = [(table.rows[1], "身份证号被 Excel 存成了数字"), (table.rows[2], "身份证号应为18位")]
    (tmp_path / "rejects").mkdir()          # writers never make folders (issue 15); the data folder has it
    out = write_rejects(tmp_path / "rejects" / "拒收.xlsx", table, rejects)
    assert out.exists()

    ws = openpyxl.load_workbook(out).active
    header_row = next(r for r in ws.iter_rows(min_row=1, max_row=10) if r[0].value == "序号")
    assert [c.value for c in header_row] == ["序号", "姓 名", "性别", "身份证号码（必填）", "出生日期", "组",
                                            REASON_HEADER, ROW_NUMBER_HEADER]

    again = read_rows(out, fields=fields, required=["id_number", "name"])
    assert {k: v[1] for k, v in again.columns.items()} == {k: v[1] for k, v in table.columns.items()}
    assert [c for c, _ in again.columns.values()] == [c for c, _ in table.columns.values()]
    assert again.headers[:6] == table.headers[:6]
    assert len(again.rows) == 2
    first, second = again.rows
    assert first.values["name"] == "李四" and first.values["id_number"] == 5.00224201410012e17
    assert first.values["birth_date"] == "2014.13.1"
    assert first.cells[5] == "=2+2"  # stayed text, not a formula
    assert first.cells[6] == "身份证号被 Excel 存成了数字" and first.cells[7] == 5
    assert second.values["birth_date"] == 42067 and second.cells[7] == 6
    assert REASON_HEADER in again.unmatched_headers and ROW_NUMBER_HEADER in again.unmatched_headers


def test_rejects_empty_list(tmp_path):
    src = tmp_path / "src.xlsx"
    _messy_source(src)
    table = read_rows(src, fields={"name": ["姓名"], "id_number": ["身份证号码"]})
    out = write_rejects(tmp_path / "none.xlsx", table, [])
    again = read_rows(out, fields={"name": ["姓名"], "id_number": ["身份证号码"]})
    assert again.rows == []


def test_too_many_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_mod, "EXCEL_MAX_ROWS", 10)
    with pytest.raises(ExcelWriteError, match="最大行数"):
        _form(tmp_path / "big.xlsx", [[i, "a", "b", None, None] for i in range(20)])
    assert not (tmp_path / "big.xlsx").exists()


# --------------------------------------------------------------------------- data rows written as XML text

_ODD_TEXT = ["", " ", "  ", " lead", "trail ", "a\nb", "a\r\nb", "\t", "\ttab", "x&<>\"'y", "&amp;", "]]>",
             "=1+1", "-", "+3", "@x", "#N/A", "#DIV/0!", "\x01=1", "\x01", "a\x1bb", "张三（外地就读）",
             "　全角空格　", "😀", "x" * 40_000, "=" + "y" * 40_000]
_ODD_ROWS = [
    [1, *_ODD_TEXT[:8]],
    [2, *_ODD_TEXT[8:16]],
    [3, *_ODD_TEXT[16:24]],
    [4, *_ODD_TEXT[24:], None, "", 0, -7],
    [5, 10 ** 17, -(10 ** 20), None, None, "", None, "", None],
    [6, "日期行", dt.date(2015, 3, 4), dt.datetime(2024, 9, 1, 8, 30), True, 3.5, None, "x", ""],  # openpyxl's row
    [7, "后面的行", "又是文字", None, "", 1, 2, 3, 4, "多出来的列", "再多一列"],
    (8, "元组", "tuple", None, None, None, None, None, None),
]


def _count_row_xml(monkeypatch) -> list[int]:
    """Count the rows that went out as XML text."""
    count = [0]
    original = data_rows.FastRows.row_xml

    def spy(self, values, row_idx):
        text = original(self, values, row_idx)
        count[0] += text is not None
        return text

    monkeypatch.setattr(data_rows.FastRows, "row_xml", spy)
    return count


def _sheet_xml(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name.startswith("xl/")}


@pytest.mark.parametrize("rows", [_ODD_ROWS, [[i, f"张{i}", ID1, None, "", i * 3] for i in range(300)]])
def test_row_xml_is_what_openpyxl_writes(tmp_path, monkeypatch, rows):
    """Rows written as XML text are byte for byte what openpyxl itself writes for the same cells."""
    columns = [(f"列{i}", 8) for i in range(9)]
    as_text = _count_row_xml(monkeypatch)
    _form(tmp_path / "text.xlsx", rows, columns=columns, notes=["注：说明"])
    assert as_text == [len(rows) - (1 if rows is _ODD_ROWS else 0)]   # all but the row with a date
    monkeypatch.setattr(data_rows, "USE_ROW_XML", False)
    _form(tmp_path / "openpyxl.xlsx", rows, columns=columns, notes=["注：说明"])
    ours, theirs = _sheet_xml(tmp_path / "text.xlsx"), _sheet_xml(tmp_path / "openpyxl.xlsx")
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name] == theirs[name], name


def test_row_xml_is_used_for_plain_rows():
    """With et_xmlfile (openpyxl without lxml) plain rows take the text path; other rows return None."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    fast = data_rows.FastRows(wb, ws, Font(), Alignment())
    assert fast.row_xml([1, "a&b", None, ""], 4) == (
        f'<row r="4"><c r="A4" s="{fast.plain.style_id}" t="n"><v>1</v></c>'
        f'<c r="B4" s="{fast.plain.style_id}" t="inlineStr"><is><t>a&amp;b</t></is></c>'
        f'<c r="C4" s="{fast.plain.style_id}" t="n" /><c r="D4" s="{fast.plain.style_id}" t="inlineStr" /></row>')
    assert fast.row_xml(["=1"], 9) == (f'<row r="9"><c r="A9" s="{fast.text.style_id}" t="inlineStr">'
                                       '<is><t>=1</t></is></c></row>')
    assert fast.row_xml([dt.date(2020, 1, 1)], 4) is None and fast.row_xml([True], 4) is None


def test_ledger_read_back_from_row_xml(tmp_path, monkeypatch):
    """Text written by the text path reads back (openpyxl and calamine) as written, risky text quote-prefixed."""
    rows = [[1, " 张三 ", ID1, "2015-03-04", "=HYPERLINK(\"x\")"], [2, "李\x07四", "a&<b>", None, "#N/A"]]
    _form(tmp_path / "t.xlsx", rows)
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert [c.value for c in ws[4]] == [1, " 张三 ", ID1, "2015-03-04", "=HYPERLINK(\"x\")"]
    assert [c.value for c in ws[5]] == [2, "李四", "a&<b>", None, "#N/A"]
    assert ws["E4"].quotePrefix and ws["E4"].data_type == "s" and ws["E5"].quotePrefix
    assert not ws["B4"].quotePrefix and ws["B4"].border.left.style == "thin" and ws["D5"].border.top.style == "thin"
    table = read_rows(tmp_path / "t.xlsx", fields={"name": ["姓名"], "id_number": ["身份证号"], "note": ["备注"]},
                      required=["id_number"])
    assert [r.values["note"] for r in table.rows] == ["=HYPERLINK(\"x\")", "#N/A"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=12), st.integers(-10**18, 10**18)),
                         min_size=1, max_size=6), min_size=1, max_size=5))
def test_row_xml_matches_openpyxl_for_any_text(rows):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        with pytest.MonkeyPatch.context() as mp:
            _form(Path(tmp) / "a.xlsx", rows, columns=[(f"列{i}", 8) for i in range(6)])
            mp.setattr(data_rows, "USE_ROW_XML", False)
            _form(Path(tmp) / "b.xlsx", rows, columns=[(f"列{i}", 8) for i in range(6)])
        assert _sheet_xml(Path(tmp) / "a.xlsx") == _sheet_xml(Path(tmp) / "b.xlsx")


# --------------------------------------------------------------------------- formula guard: full-width, blanks

_FULL_WIDTH_EVIL = ["＝1+1", "＋1+1", "－2+3", "＠SUM(A1:A2)", "＝HYPERLINK(\"http://x\",\"点我\")", " =1+1", "  +1",
                    "\u3000=1+1", " \t=1+1", "\r\n@SUM(A1)", " ＝cmd|' /C calc'!A0", "\n=1+1"]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("evil", _FULL_WIDTH_EVIL)
def test_full_width_and_blank_led_formulas_are_quote_prefixed(tmp_path, monkeypatch, evil, fast):
    """WPS (and Excel with a Chinese IME) takes ＝＋－＠ for = + - @, and blanks before them for nothing:
    a note typed as ＝HYPERLINK(…) or " =1+1" is written as quote-prefixed text like "=1+1" is."""
    if not fast:
        monkeypatch.setattr(writer_mod, "USE_FAST_ROWS", False)
    path = tmp_path / "evil.xlsx"
    _form(path, [[1, evil, ID1, None, evil]], columns=COLUMNS)
    ws = openpyxl.load_workbook(path).active
    for ref in ("B4", "E4"):
        assert ws[ref].value == evil.replace("\r\n", "\n")        # XML reads CR LF back as LF
        assert ws[ref].data_type == "s" and ws[ref].quotePrefix, (ref, evil)


@pytest.mark.parametrize("harmless", ["张三", " 张三", "　高峰村", "1＝1", "a-b", "2024-09-01", "+", ""])
def test_harmless_text_is_not_quote_prefixed(harmless):
    from kbtui.excel.cells import is_risky

    assert is_risky(harmless) is (harmless == "+")
