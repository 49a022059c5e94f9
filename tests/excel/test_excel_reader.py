import datetime as dt

import openpyxl
import pytest

from kbtui.domain.child import FIELDS
from kbtui.domain.idcard import IdNumberError, make_id, normalize_id
from kbtui.domain.normalize import parse_date
from kbtui.excel.errors import ExcelReadError
from kbtui.excel.headers import DEFAULT_HEADERS, build_lookup, header_key, match_header
from kbtui.excel.reader import MissingColumnsError, read_rows

ID1 = make_id("500224", dt.date(2015, 3, 4), 123)
ID2 = make_id("500224", dt.date(2014, 10, 1), 246)
ID_X = next(make_id("500224", dt.date(2016, 1, 2), s) for s in range(1, 999)
            if make_id("500224", dt.date(2016, 1, 2), s).endswith("X"))
FULLWIDTH_ID1 = ID1.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
FIELDS_BASIC = {
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码", "证件号"],
    "name": ["姓名"],
    "sex": ["性别"],
    "birth_date": ["出生日期"],
    "village": ["所属村/社区", "村（社区）"],
}


def police_workbook(path):
    """A police 户籍 export the way it arrives: title, unit row, messy header, damage, footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户籍人口"
    ws["A1"] = "双山镇适龄儿童户籍人口名单"
    ws.merge_cells("A1:H1")
    ws["A2"] = "填报单位：双山派出所"
    ws["F2"] = "日期：2024年9月6日"
    ws.append([])  # row 3 blank
    ws.append(["序号", " 姓 名 ", "性别", "民族", "出生\n日期", "公民身份号码（必填）", "所属村/社区*", "组"])  # row 4
    ws.append([1, "张 三", "男", "汉族", dt.date(2015, 3, 4), ID1, "石桥村", "3组"])      # 5
    ws.append([2, "李\u3000四", "女", "汉族", "2014.10.1", f" {ID2[:6]} {ID2[6:]} ", "石桥村", 3])  # 6
    ws.append([])                                                                       # 7 blank
    ws.append([3, "王五", "女", "土家族", "2016年1月2日", ID_X.lower(), "新桥村", "1组"])  # 8
    ws.append([4, "赵六", "男", "汉族", 42067, FULLWIDTH_ID1, "新桥村", "2组"])  # 9
    ws.append([5, "钱七", "男", "汉族", "20150304", float(ID1[:15] + "000"), "新桥村", "2组"])  # 10
    ws.append([6, None, None, None, None, None, None, None])                             # 11 pre-numbered
    ws.append(["合计", None, None, None, None, "5人", None, None])                       # 12
    ws.append(["填表人：张警官", None, None, "审核人：", None, "联系电话：", None, None])   # 13
    wb.save(path)
    return path


def test_police_list(tmp_path):
    table = read_rows(police_workbook(tmp_path / "户籍.xlsx"), fields=FIELDS_BASIC,
                      required=["id_number", "name"])
    assert table.sheet == "户籍人口"
    assert table.header_row == 4
    assert table.first_data_row == 5
    assert table.columns["name"] == (1, "姓 名")
    assert table.columns["birth_date"][0] == 4
    assert table.columns["id_number"] == (5, "公民身份号码（必填）")
    assert table.columns["village"][0] == 6
    assert "组" in table.unmatched_headers and "民族" in table.unmatched_headers
    assert "序号" not in table.unmatched_headers
    assert [r.number for r in table.rows] == [5, 6, 8, 9, 10]
    assert [n for n, _ in table.skipped] == [12, 13]
    first = table.rows[0]
    assert first.values["name"] == "张 三"
    assert first.values["birth_date"] == dt.date(2015, 3, 4)
    assert first.cells[0] == 1 and first.cells[7] == "3组"
    # raw values; normalising is the caller's job and works on every variant
    ids = []
    for row in table.rows:
        try:
            ids.append(normalize_id(row.values["id_number"]))
        except IdNumberError as err:
            ids.append(str(err))
    assert ids[:4] == [ID1, ID2, ID_X, ID1]
    assert "丢失" in ids[4]
    dates = [parse_date(r.values["birth_date"]) for r in table.rows]
    assert dates == [dt.date(2015, 3, 4), dt.date(2014, 10, 1), dt.date(2016, 1, 2),
                     dt.date(2015, 3, 4), dt.date(2015, 3, 4)]


def test_default_headers_cover_child_fields():
    for f in FIELDS:
        assert f.key in DEFAULT_HEADERS, f.key
        assert f.label in DEFAULT_HEADERS[f.key] or header_key(f.label) in {
            header_key(n) for n in DEFAULT_HEADERS[f.key]
        }, f.label
    for extra in ("household_head", "relation", "age"):
        assert extra in DEFAULT_HEADERS


@pytest.mark.parametrize(
    "cell, key",
    [
        ("身份证号", "id_number"), ("公民身份号码", "id_number"), (" 身份证\n号码 ", "id_number"),
        ("身份证号码（必填）", "id_number"), ("*身份证号", "id_number"), ("身份证号*", "id_number"),
        ("证件号码", "id_number"), ("姓　名", "name"), ("学生姓名", "name"), ("学籍号", "student_no"),
        ("全国学籍号", "student_no"), ("学校名称", "school"), ("户口所在地", "household_address"),
        ("家长/监护人", "guardian"), ("家长（监护人）", "guardian"), ("联系电话", "guardian_phone"),
        ("户类型", "family_type"), ("家庭类型", "family_type"), ("残疾类别", "disability_category"),
        ("残疾等级", "disability_grade"), ("残疾证号", "disability_certificate"), ("户主姓名", "household_head"),
        ("与户主关系", "relation"), ("年龄", "age"), ("所属村/社区", "village"), ("村（社区）", "village"),
        ("学籍状态", "enrollment_status"), ("出生日期(格式:2015-03-04)", "birth_date"),
        ("是否孤儿", "flag_orphan"), ("低保", "flag_dibao"), ("ＳＥＸ", "sex"), ("性别", "sex"),
        ("班级", "class_name"), ("年级", "grade"), ("民族", "ethnicity"), ("", None), ("合计", None),
    ],
)
def test_header_matching(cell, key):
    assert match_header(cell, build_lookup(DEFAULT_HEADERS)) == key


def test_school_list_default_headers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学籍号", "姓名", "性别", "身份证件号", "学校名称", "年级", "班级", "学籍状态", "户口所在地",
               "家长/监护人", "联系电话"])
    ws.append([f"G{ID1}", "张三", "男", ID1, "双山小学", "三年级", "2班", "在读", "重庆市铜梁区",
               "张大", 13800138000])
    path = tmp_path / "学籍.xlsx"
    wb.save(path)
    table = read_rows(path, fields=DEFAULT_HEADERS, required=["id_number", "name"])
    assert table.header_row == 1
    assert set(table.columns) == {
        "student_no", "name", "sex", "id_number", "school", "grade", "class_name",
        "enrollment_status", "household_address", "guardian", "guardian_phone",
    }
    assert table.rows[0].values["guardian_phone"] == 13800138000
    assert table.unmatched_headers == []


def test_two_row_header(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["摸底调查名单"])
    ws.append(["序号", "学生信息", None, None, "监护人信息", None])
    ws.append([None, "姓名", "性别", "身份证号", "姓名", "联系电话"])
    ws.merge_cells("B2:D2")
    ws.merge_cells("E2:F2")
    ws.merge_cells("A2:A3")
    ws.append([1, "张三", "男", ID1, "张大", "13800138000"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    table = read_rows(path, fields=DEFAULT_HEADERS, required=["id_number", "name"])
    assert table.header_row == 3
    assert table.columns["name"][0] == 1
    assert table.columns["guardian"][0] == 4
    assert table.columns["guardian_phone"][0] == 5
    assert table.rows[0].values == {"name": "张三", "sex": "男", "id_number": ID1, "guardian": "张大",
                                    "guardian_phone": "13800138000"}


def test_vertically_merged_village_is_filled_down(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["村（社区）", "姓名", "身份证号"])
    ws.append(["石桥村", "张三", ID1])
    ws.append([None, "李四", ID2])
    ws.merge_cells("A2:A3")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    table = read_rows(path, fields=FIELDS_BASIC, required=["id_number"])
    assert [r.values["village"] for r in table.rows] == ["石桥村", "石桥村"]


def test_header_found_below_many_title_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(12):
        ws.append([f"说明第{i}行"])
    ws.append(["姓名", "身份证号"])
    ws.append(["张三", ID1])
    path = tmp_path / "deep.xlsx"
    wb.save(path)
    table = read_rows(path, fields=FIELDS_BASIC, required=["id_number"])
    assert table.header_row == 13
    assert table.rows[0].number == 14


def test_header_row_picks_best_match(tmp_path):
    # a title that happens to contain one header word loses against the real header
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "（按村填写）"])
    ws.append(["姓名", "性别", "身份证号", "出生日期"])
    ws.append(["张三", "男", ID1, "2015-03-04"])
    path = tmp_path / "best.xlsx"
    wb.save(path)
    assert read_rows(path, fields=FIELDS_BASIC).header_row == 2


def test_missing_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["花名册"])
    ws.append(["名字", "性别", "出生日期"])
    ws.append(["张三", "男", "2015-03-04"])
    path = tmp_path / "missing.xlsx"
    wb.save(path)
    with pytest.raises(MissingColumnsError) as err:
        read_rows(path, fields=FIELDS_BASIC, required=["id_number", "name"])
    message = str(err.value)
    assert "身份证号" in message and "公民身份号码" in message  # the missing ones and accepted names
    assert "姓名" in message
    assert "名字" in message and "出生日期" in message  # the headers found
    assert "第2行" in message
    assert err.value.missing == ["id_number", "name"]
    assert isinstance(err.value, ExcelReadError)


def test_no_header_at_all(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["甲", "乙"])
    path = tmp_path / "none.xlsx"
    wb.save(path)
    with pytest.raises(MissingColumnsError) as err:
        read_rows(path, fields=FIELDS_BASIC, required=["id_number"])
    assert "没有找到可识别的表头" in str(err.value)


def test_empty_sheet(tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ExcelReadError) as err:
        read_rows(path, fields=FIELDS_BASIC)
    assert "空" in str(err.value)


def test_text_file_renamed_xlsx(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    with pytest.raises(ExcelReadError) as err:
        read_rows(path, fields=FIELDS_BASIC)
    assert "不是 Excel 文件" in str(err.value)


def test_html_renamed_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><table><tr><td>姓名</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(ExcelReadError) as err:
        read_rows(path, fields=FIELDS_BASIC)
    assert "网页" in str(err.value)


def test_corrupt_zip(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    with pytest.raises(ExcelReadError) as err:
        read_rows(path, fields=FIELDS_BASIC)
    assert "不是有效的 Excel 文件" in str(err.value)


def test_missing_file_and_bad_suffix(tmp_path):
    with pytest.raises(ExcelReadError, match="找不到文件"):
        read_rows(tmp_path / "nope.xlsx", fields=FIELDS_BASIC)
    doc = tmp_path / "a.docx"
    doc.write_bytes(b"PK\x03\x04")
    with pytest.raises(ExcelReadError, match="不支持的文件类型"):
        read_rows(doc, fields=FIELDS_BASIC)


def test_xlsx_saved_with_xls_extension(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号"])
    wb.active.append(["张三", ID1])
    path = tmp_path / "wrong.xls"
    wb.save(path)
    table = read_rows(path, fields=FIELDS_BASIC, required=["id_number"])
    assert table.rows[0].values["id_number"] == ID1


CSV_TEXT = ("双山镇名单\n姓名,性别,身份证号,出生日期\n张三,男,{id1},2015/03/04\n,,,\n"
            "李四,女,{id2},2014年10月1日\n合计,2人,,\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "名单.csv"
    path.write_bytes(CSV_TEXT.format(id1=ID1, id2=ID2).encode(encoding))
    table = read_rows(path, fields=FIELDS_BASIC, required=["id_number", "name"])
    assert table.header_row == 2
    assert [r.values["name"] for r in table.rows] == ["张三", "李四"]
    assert [r.number for r in table.rows] == [3, 5]
    assert table.rows[1].values["birth_date"] == "2014年10月1日"
    assert table.skipped == [(6, "表尾行（合计）")]
    assert table.sheet == "名单"


def test_csv_tab_separated(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"姓名\t身份证号\n张三\t{ID1}\n", encoding="utf-8")
    table = read_rows(path, fields=FIELDS_BASIC, required=["id_number"])
    assert table.rows[0].values == {"name": "张三", "id_number": ID1}


def test_sheet_selection(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由派出所提供"])
    data = wb.create_sheet("名单")
    data.append(["姓名", "身份证号"])
    data.append(["张三", ID1])
    path = tmp_path / "sheets.xlsx"
    wb.save(path)
    # default: the first sheet with the required columns
    assert read_rows(path, fields=FIELDS_BASIC, required=["id_number"]).sheet == "名单"
    assert read_rows(path, sheet="名单", fields=FIELDS_BASIC).rows[0].values["name"] == "张三"
    assert read_rows(path, sheet=1, fields=FIELDS_BASIC).sheet == "名单"
    with pytest.raises(ExcelReadError, match="没有工作表“花名册”"):
        read_rows(path, sheet="花名册", fields=FIELDS_BASIC)
    with pytest.raises(MissingColumnsError):
        read_rows(path, sheet="说明", fields=FIELDS_BASIC, required=["id_number"])


def test_repeated_header_and_notes_skipped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "备注"])
    ws.append(["张三", ID1, "注：外出务工"])
    ws.append(["姓名", "身份证号", "备注"])
    ws.append(["李四", ID2, None])
    ws.append(["说明：1.本表由村委会填写；2.身份证号须为18位。", None, None])
    ws.append(["总 计", None, None])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    table = read_rows(path, fields=FIELDS_BASIC)
    assert [r.values["name"] for r in table.rows] == ["张三", "李四"]
    assert [n for n, _ in table.skipped] == [3, 5, 6]


def test_progress_callback(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号"])
    for i in range(12000):
        ws.append([f"张{i}", ID1])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    calls = []
    table = read_rows(path, fields=FIELDS_BASIC, progress=lambda d, t: calls.append((d, t)))
    assert len(table.rows) == 12000
    assert calls[0] == (0, 12000) and calls[-1] == (12000, 12000)
    assert len(calls) >= 3


def test_openpyxl_fallback(tmp_path, monkeypatch):
    police_workbook(tmp_path / "a.xlsx")
    import python_calamine

    def boom(*a, **k):
        raise python_calamine.CalamineError("simulated")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", boom)
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", boom)
    table = read_rows(tmp_path / "a.xlsx", fields=FIELDS_BASIC, required=["id_number"])
    assert table.header_row == 4
    assert [r.number for r in table.rows] == [5, 6, 8, 9, 10]
    assert table.rows[0].values["birth_date"].date() == dt.date(2015, 3, 4)


def test_a_header_broken_over_two_lines_is_quoted_on_one(tmp_path):
    """Messages quote the header on one line; the rejects workbook keeps the cell as it was."""
    path = tmp_path / "换行表头.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["公民身份\n号码", "姓 名", "家庭\r\n住址"])
    ws.append([ID1, "张三", "高峰村"])
    wb.save(path)
    table = read_rows(path, fields={**FIELDS_BASIC, "id_number": ["公民身份号码"]}, required=["id_number"])
    assert table.columns["id_number"] == (0, "公民身份号码") and table.columns["name"] == (1, "姓 名")
    assert table.unmatched_headers == ["家庭住址"]
    assert table.headers[0] == "公民身份\n号码"
