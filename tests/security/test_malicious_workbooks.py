"""Small malicious workbooks must not take the process down (issue 19, point 6).

python-calamine makes a sheet's whole used area at once and reserves as many shared strings as a file
declares: a 5 KB .xlsx with one cell at XFD1048576 aborted the process with a Rust allocation failure
(exit 134), a 300 KB one with a 300 MB shared string took 4.4 GB and imported a 300,000,000-character
name. Each file is built here by hand (a few zip parts), imported through the CLI in a child process
whose address space is limited (so a regression fails the test instead of the machine), and must be
refused with one Chinese message naming the file, what is too large and the limit.
"""
from __future__ import annotations

import datetime as dt
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain.idcard import make_id
from kbtui.excel import halves, limits
from kbtui.excel.limits import looks_far, used_area
from kbtui.excel.reader import read_rows
from tests.conftest import run_cli
from tests.helpers.imports import OPERATOR, init_data
from tests.helpers.raw_workbooks import CHILD, HEADER, ID1, MAIN, shared, sheet_xml, workbook


def import_in_child(data: Path, path: Path, memory_mb: int = 1500) -> subprocess.CompletedProcess:
    """``kbtui import police FILE --dry-run`` in a child process limited to ``memory_mb`` of address space."""
    def limit() -> None:
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    code = "import sys; from kbtui.cli import main; sys.argv[0] = 'kbtui'; main()"
    return subprocess.run([sys.executable, "-c", code, "--data-dir", str(data), "--operator", OPERATOR,
                           "import", "police", str(path), "--dry-run"],
                          capture_output=True, text=True, preexec_fn=limit, timeout=300)


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr, result.stderr[-2000:]
    message = result.stderr + result.stdout
    assert message.count("错误：") == 1, message
    for word in words:
        assert word in message, (word, message)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return init_data(tmp_path)


# --------------------------------------------------------------------------- the reported attacks

def test_one_cell_at_xfd1048576_is_refused_not_a_crash(data, tmp_path):
    path = workbook(tmp_path / "远处.xlsx", sheet_xml(
        HEADER + CHILD + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'))
    assert path.stat().st_size < 5000
    result = import_in_child(data, path)
    assert_refused(result, "远处.xlsx", "名单", "A1:XFD1048576", "1048576 行 × 16384 列", "2000万个单元格")


def test_a_300_mb_shared_string_is_refused_before_it_is_read(data, tmp_path):
    path = workbook(tmp_path / "大字.xlsx", sheet_xml(HEADER + CHILD), shared("张" * 100_000_000))
    assert path.stat().st_size < 1_000_000
    result = import_in_child(data, path, memory_mb=1200)          # reading it would need gigabytes
    assert_refused(result, "大字.xlsx", "xl/sharedStrings.xml", "286 MB")


def test_a_tightly_packed_part_is_refused_by_its_ratio(data, tmp_path):
    path = workbook(tmp_path / "压缩.xlsx", sheet_xml(HEADER + CHILD), shared("张" * 3_000_000))
    result = import_in_child(data, path)
    assert_refused(result, "压缩.xlsx", "压缩了", "100 倍")


def test_shared_strings_over_their_limit_are_refused(data, tmp_path, monkeypatch):
    text = "".join(f"<si><t>{i}</t></si>" for i in range(3000))
    path = workbook(tmp_path / "多字.xlsx", sheet_xml(HEADER + CHILD), f'<sst xmlns="{MAIN}">{text}</sst>')
    monkeypatch.setattr(limits, "MAX_SHARED_STRINGS_BYTES", 20_000)
    result = run_cli("import", "police", str(path), "--dry-run", data_dir=data, operator=OPERATOR)
    assert result.exit_code == 1 and "文字内容" in result.output and "20 KB" in result.output


def test_a_declared_count_of_a_hundred_billion_strings_is_refused(data, tmp_path):
    path = workbook(tmp_path / "计数.xlsx", sheet_xml(HEADER + CHILD), shared("张三", unique=100_000_000_000))
    result = import_in_child(data, path)
    assert_refused(result, "计数.xlsx", "1000亿个不同的文字", "500万个")


def test_a_part_larger_than_declared_is_a_broken_file(data, tmp_path):
    path = workbook(tmp_path / "谎报.xlsx", sheet_xml(HEADER + CHILD), shared("张" * 200_000))
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    struct.pack_into("<I", raw, info.header_offset + 22, 1000)            # local header: uncompressed size
    at = raw.find(b"xl/sharedStrings.xml", raw.find(b"PK\x01\x02")) - 46
    assert raw[at:at + 4] == b"PK\x01\x02"
    struct.pack_into("<I", raw, at + 24, 1000)                            # central directory: the same
    path.write_bytes(bytes(raw))
    result = import_in_child(data, path)
    assert_refused(result, "谎报.xlsx", "已损坏")


# --------------------------------------------------------------------------- the same attack, disguised

@pytest.mark.parametrize("far", [
    '<row r="3"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',           # row tag says 3
    '<row r="3"><c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c></row>',           # lower case
    '<row r="3"><c s="0" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',     # r not first
    "<row r=\"3\"><c r='XFD1048576' t=\"inlineStr\"><is><t>x</t></is></c></row>",       # single quotes
    f'<row r="3"><x:c xmlns:x="{MAIN}" r="XFD1048576" t="inlineStr"><is><t>x</t></is></x:c></row>',
    # no positions: 201 cells one after the other, then 100,000 rows counted by calamine
    "<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * 201 + "</row>" + "<row/>" * 100_000
    + '<row><c t="inlineStr"><is><t>x</t></is></c></row>',
], ids=["row-lies", "lower-case", "r-second", "quotes", "prefix", "implicit"])
def test_far_cells_in_any_spelling_are_refused(data, tmp_path, far):
    path = workbook(tmp_path / "伪装.xlsx", sheet_xml(HEADER + CHILD + far))
    result = import_in_child(data, path)
    assert_refused(result, "伪装.xlsx", "名单", "超过可导入的上限")


def test_the_declared_dimension_is_not_believed_either_way(data, tmp_path):
    """A huge <dimension> alone is harmless (calamine does not use it): such a list still imports."""
    path = workbook(tmp_path / "维度.xlsx", sheet_xml(HEADER + CHILD, dimension="A1:XFD1048576"))
    result = run_cli("import", "police", str(path), "--dry-run", data_dir=data, operator=OPERATOR)
    assert result.exit_code == 0, result.output
    assert "共 1 行数据" in result.output


def test_a_far_cell_in_the_second_half_of_a_large_sheet(data, tmp_path, monkeypatch):
    """Sheets read in two halves (``excel.halves``) are checked half by half before each is parsed."""
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>张{n}</t></is></c>'
                   f'<c r="B{n}" t="inlineStr"><is><t>{make_id("500224", dt.date(2014, 1, 1), n)}</t></is></c></row>'
                   for n in range(2, 3000))
    path = workbook(tmp_path / "半.xlsx", sheet_xml(HEADER + rows + '<row r="3000"><c r="ZZZ3000" t="inlineStr">'
                                                   '<is><t>x</t></is></c><c r="A1048576"><v>1</v></c></row>'))
    monkeypatch.setattr(halves, "MIN_SPLIT_BYTES", 1000)
    monkeypatch.setattr(halves, "_cores", lambda: 2)
    calls: list[bool] = []
    original = halves.looks_far
    monkeypatch.setattr(halves, "looks_far", lambda *a: calls.append(original(*a)) or calls[-1])
    result = run_cli("import", "police", str(path), "--dry-run", data_dir=data, operator=OPERATOR)
    assert result.exit_code == 1 and "A1:ZZZ1048576" in result.output, result.output
    assert calls[:1] == [False] and True in calls        # the first half was fine, a later piece was not


# --------------------------------------------------------------------------- other formats

def _ods(path: Path, rows: int, columns: int) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="名单">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>身份证号</text:p></table:table-cell></table:table-row>'
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
        f'table:number-columns-repeated="{columns}" '
        'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
        # LibreOffice's own padding to the end of the sheet: empty, so it does not count
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/>'
        '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   '<manifest:file-entry manifest:full-path="/" '
                   'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                   "</manifest:manifest>")
        z.writestr("content.xml", content)
    return path


def test_opendocument_repeated_rows_and_columns(data, tmp_path):
    assert_refused(import_in_child(data, _ods(tmp_path / "重复.ods", 30_000, 1000)),
                   "重复.ods", "名单", "30001 行 × 1000 列")
    fine = run_cli("import", "police", str(_ods(tmp_path / "正常.ods", 3, 2)), "--dry-run", data_dir=data,
                   operator=OPERATOR)
    assert "超过可导入的上限" not in fine.output, fine.output


def _record(kind: int, body: bytes) -> bytes:
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    size, out = len(body), b""
    while True:
        out += bytes([(size & 0x7F) | (0x80 if size > 0x7F else 0)])
        size >>= 7
        if not size:
            break
    return head + out + body


def test_binary_workbook_cell_columns_are_checked(tmp_path):
    """An .xlsb sheet's cells carry their column as a 32-bit number: calamine takes any."""
    def sheet(column: int) -> bytes:
        cell = struct.pack("<I", column) + b"\x00\x00\x00\x00" + struct.pack("<d", 1.0)
        return (_record(0x0081, b"") + _record(0x0091, b"") + _record(0x0000, struct.pack("<I", 5) + b"\x00" * 8)
                + _record(0x0005, cell) + _record(0x0092, b""))
    with zipfile.ZipFile(tmp_path / "far.xlsb", "w") as z:
        z.writestr("xl/workbook.bin", b"")
        z.writestr("xl/worksheets/sheet1.bin", sheet(0x7FFFFFFF))
    with zipfile.ZipFile(tmp_path / "near.xlsb", "w") as z:
        z.writestr("xl/workbook.bin", b"")
        z.writestr("xl/worksheets/sheet1.bin", sheet(12))
    with pytest.raises(limits.WorkbookTooLarge, match="far.xlsb.*sheet1.*6 行 × 2147483648 列"):
        limits.check_xlsb(zipfile.ZipFile(tmp_path / "far.xlsb"), "far.xlsb")
    limits.check_xlsb(zipfile.ZipFile(tmp_path / "near.xlsb"), "near.xlsb")


def test_a_csv_one_comma_wide_row_padded_to_every_row(data, tmp_path):
    path = tmp_path / "宽.csv"
    path.write_text("姓名,身份证号\n" + "," * 200_000 + "\n" + "张三,1\n" * 200, encoding="utf-8")
    result = run_cli("import", "police", str(path), "--dry-run", data_dir=data, operator=OPERATOR)
    assert result.exit_code == 1, result.output
    assert "宽.csv" in result.output and "200001 列" in result.output and "2000万个单元格" in result.output


# --------------------------------------------------------------------------- cell lengths

def test_an_over_long_cell_refuses_its_row_into_the_rejects_workbook(data, tmp_path):
    path = tmp_path / "长.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "户籍地址", "监护人"])
    ws.append(["张三", ID1, "高峰村" * 10_000, "张父"])
    ws.append(["李四", make_id("500224", dt.date(2014, 3, 5), 12), "双山镇高峰村1组", "李父"])
    ws.append(["王" * 5_000, make_id("500224", dt.date(2014, 3, 6), 13), "双山镇高峰村1组", "王父"])
    ws.append(["赵五", make_id("500224", dt.date(2014, 3, 7), 14), "双山镇高峰村1组", "赵" * 51])
    wb.save(path)
    result = run_cli("import", "police", str(path), data_dir=data, operator=OPERATOR)
    assert result.exit_code == 0, result.output
    assert "新增儿童 1 人" in result.output and "未导入 3 行" in result.output
    assert "第2行“户籍地址”列：内容有 30000 个字符，超过上限 200 个字符（整行未导入）" in result.output
    assert "第4行“姓名”列：内容有 5000 个字符，超过上限 50 个字符" in result.output
    assert "第5行“监护人”列：内容有 51 个字符，超过上限 50 个字符" in result.output
    rejects = next((data / "rejects").glob("长-未导入-*.xlsx"))
    rows = list(openpyxl.load_workbook(rejects).active.iter_rows(values_only=True))
    reasons = {r[-1]: r[-2] for r in rows if r and isinstance(r[-1], int)}
    assert set(reasons) == {2, 4, 5} and all("超过上限" in reasons[n] for n in reasons)


def test_other_lists_refuse_over_long_rows_too(data, tmp_path):
    people = tmp_path / "人员.csv"
    people.write_text("姓名,职务,单位,联系电话\n刘老师,教师,双山小学,13800138000\n王老师,教师," + "校" * 600
                      + ",13800138001\n", encoding="utf-8")
    result = run_cli("people", "import", str(people), data_dir=data, operator=OPERATOR)
    assert "“单位”列有 600 个字符，超过上限 500 个字符" in result.output, result.output


# --------------------------------------------------------------------------- the checks themselves

@pytest.mark.parametrize("xml, far", [
    (b'<c r="A1"><v>1</v></c><c r="AZ299999" s="1"><v>1</v></c>', False),
    (b'<c r="BA1"><v>1</v></c>', True),
    (b'<c r="A300000"><v>1</v></c>', True),
    (b'<c r="XFD1"/>', True),
    (b'<c><v>1</v></c>', True),
    (b'<c/>', True),
    (b'<x:c r="A1"><v>1</v></x:c>', True),
    (b'<cols><col min="1" max="16384"/></cols><c r="B2"><v>1</v></c>', False),
])
def test_looks_far(xml, far):
    assert looks_far(xml) is far


def test_used_area_follows_calamine():
    assert used_area([b'<row r="5"><c r="C5"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>']) == (6, 4)
    assert used_area([b'<row><c r="B2"/><c r="XFD9"/></row>']) == (0, 0)         # empty cells hold nothing
    pieces = [b'<row r="1"><c r="A1"><v>1</v></c></row><row r="7"><c r="D', b'7"><v>1</v></c></row>']
    assert used_area(pieces) == (7, 4)                                              # a tag cut between pieces


def test_an_ordinary_list_with_many_columns_still_reads(tmp_path):
    """60 columns (past AZ: the cells are counted one by one) and 2,000 rows: well inside the limit."""
    path = tmp_path / "宽表.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", *[f"列{i}" for i in range(58)]])
    for n in range(2000):
        ws.append([f"张{n}", make_id("500224", dt.date(2014, 1, 1), n), *range(58)])
    wb.save(path)
    table = read_rows(path, fields={"name": ["姓名"], "id_number": ["身份证号"]}, required=["id_number"])
    assert len(table) == 2000 and len(table.headers) == 60


def test_csv_reader_errors_are_a_message(data, tmp_path):
    """A field longer than the csv module takes (an unclosed quote swallowing the file) is a message."""
    path = tmp_path / "坏.csv"
    path.write_bytes('"姓名,'.encode() + b"x" * 200_000 + b"\n")
    result = run_cli("import", "police", str(path), "--dry-run", data_dir=data, operator=OPERATOR)
    assert result.exit_code == 1 and "错误：" in result.output and "Traceback" not in result.output
