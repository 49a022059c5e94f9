"""A large sheet read in two halves on two threads (``excel.halves``) reads exactly as the whole sheet.

The halving is forced on small workbooks (``min_bytes=0``); every file is compared with calamine's own
whole-sheet parse, which is what the import used before and still uses whenever halving declines.
"""
import datetime as dt
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from kbtui.excel import halves
from kbtui.excel.halves import read_in_halves
from kbtui.excel.opening import open_source
from kbtui.excel.reader import read_rows


def whole(path, index=0):
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(index)
    return sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges


def messy_workbook(path, rows=400):
    """Title and unit rows, a merged title, dates, numbers, formulas, shared strings, a gap of empty rows
    in the middle, a second half wider than the first and starting at column B, a footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws["A1"] = "双山镇适龄儿童户籍人口名单"
    ws.merge_cells("A1:F1")
    ws.append(["填报单位：双山派出所"])
    ws.append(["序号", "身份证号", "姓名", "出生日期", "人数", "合计"])
    for i in range(rows):
        r = ws.max_row + 1
        if rows // 2 - 5 <= i < rows // 2 + 5:
            continue                                   # a gap of empty rows
        if i > rows // 2:
            ws.cell(r, 2, f"5002212012{i:08d}")
            ws.cell(r, 3, f"张{i % 7}")
            ws.cell(r, 8, "宽")                          # the second half is wider
        else:
            ws.cell(r, 1, i + 1)
            ws.cell(r, 2, f"5002212012{i:08d}")
            ws.cell(r, 3, f"张{i % 7}")
            ws.cell(r, 4, dt.date(2012, 1 + i % 12, 1 + i % 28))
            ws.cell(r, 5, 1.5 * i)
            ws.cell(r, 6, f"=E{r}*2")
    ws.append(["合计", f"{rows}人"])
    ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=4)
    wb.create_sheet("说明").append(["本表由派出所提供"])
    wb.save(path)
    return path


def test_a_messy_sheet_reads_the_same_in_halves(tmp_path):
    path = messy_workbook(tmp_path / "户籍.xlsx")
    assert read_in_halves(path, 0, "名单", min_bytes=0) == whole(path)


def test_the_second_sheet_of_a_workbook_reads_the_same(tmp_path):
    path = messy_workbook(tmp_path / "户籍.xlsx")
    wb = openpyxl.load_workbook(path)
    target = wb.create_sheet("学生", 0)                  # the sheet we read is no longer the first part
    for i in range(300):
        target.append([f"学生{i}", i, dt.datetime(2015, 5, 6, 7, 8)])
    wb.save(path)
    assert read_in_halves(path, 0, "学生", min_bytes=0) == whole(path, 0)
    assert read_in_halves(path, 1, "名单", min_bytes=0) == whole(path, 1)


def test_a_sheet_name_that_does_not_match_declines(tmp_path):
    path = messy_workbook(tmp_path / "户籍.xlsx")
    assert read_in_halves(path, 0, "说明", min_bytes=0) is None


def rewrite_sheet(path, change):
    """The workbook with its first sheet's XML passed through ``change``."""
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    out = path.with_name("改-" + path.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return out


_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>', re.S)


def shared_strings(path):
    """The workbook as Excel and WPS save it: texts in xl/sharedStrings.xml, cells holding their index
    (openpyxl writes every text inline)."""
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    table: dict[bytes, int] = {}

    def shared(m):
        return b'<c %bt="s"%b><v>%d</v></c>' % (m[1], m[2], table.setdefault(m[3], len(table)))
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = _INLINE.sub(shared, parts[name])
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="%d">' % len(table)
        + b"".join(b"<si><t>%b</t></si>" % t for t in table) + b"</sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdS" Target="/xl/sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    out = path.with_name("共享-" + path.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return out


def test_a_sheet_with_shared_strings_reads_the_same(tmp_path):
    path = shared_strings(messy_workbook(tmp_path / "户籍.xlsx"))
    with zipfile.ZipFile(path) as archive:
        assert b't="s"' in archive.read("xl/worksheets/sheet1.xml")
    assert read_in_halves(path, 0, "名单", min_bytes=0) == whole(path)


def test_the_cut_is_the_last_row_tag_read_whole():
    xml = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row spans="1:2" r="2'
    assert halves.last_row_start(xml, 0)[1] == b"1"        # the read ended inside row 2's position
    assert halves.last_row_start(xml + b'">', 0)[1] == b"2"
    assert halves.last_row_start(b"<worksheet><sheetData><row>", 0) is None


@pytest.mark.parametrize("change", [
    pytest.param(lambda rels: re.sub(rb'<Relationship [^>]*relationships/styles"[^>]*/>', b"", rels), id="no-link"),
    pytest.param(lambda rels: rels.replace(b'Target="/xl/styles.xml"', b'Target="/xl/Styles.xml"')
                 .replace(b'Target="styles.xml"', b'Target="Styles.xml"'), id="other-case"),
])
def test_styles_the_relationships_do_not_name_still_make_dates(tmp_path, change):
    """calamine reads xl/styles.xml by its name: a half without it would turn every date into a number."""
    path = messy_workbook(tmp_path / "户籍.xlsx")
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    parts["xl/_rels/workbook.xml.rels"] = change(parts["xl/_rels/workbook.xml.rels"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    grid, _merges = whole(path)
    assert any(isinstance(v, dt.date) for row in grid for v in row)
    assert read_in_halves(path, 0, "名单", min_bytes=0) == whole(path)


@pytest.mark.parametrize("change", [
    pytest.param(lambda xml: xml.replace(b'<row r="', b'<row x="'), id="rows-without-positions"),
    pytest.param(lambda xml: xml.replace(b"<sheetData>", b"<x:sheetData>").replace(b"</sheetData>", b"</x:sheetData>"),
                 id="prefixed-namespace"),
])
def test_a_sheet_that_cannot_be_cut_safely_is_read_whole(tmp_path, change):
    path = rewrite_sheet(messy_workbook(tmp_path / "户籍.xlsx"), change)
    assert read_in_halves(path, 0, "名单", min_bytes=0) is None


def test_small_sheets_and_one_core_machines_read_whole(tmp_path, monkeypatch):
    path = messy_workbook(tmp_path / "户籍.xlsx")
    assert read_in_halves(path, 0, "名单") is None                  # far below MIN_SPLIT_BYTES
    monkeypatch.setattr(halves, "_cores", lambda: 1)
    assert read_in_halves(path, 0, "名单", min_bytes=0) is None


def test_without_memfd_the_halves_go_through_a_private_folder_that_is_removed(tmp_path, monkeypatch):
    path = messy_workbook(tmp_path / "户籍.xlsx")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(halves, "in_memory", lambda: False)
    monkeypatch.setattr(halves.tempfile, "tempdir", str(scratch))
    written = []
    real = halves.parse_half

    def spy(common, member, pieces, index, file):
        written.append(file)
        return real(common, member, pieces, index, file)
    monkeypatch.setattr(halves, "parse_half", spy)
    assert read_in_halves(path, 0, "名单", min_bytes=0) == whole(path)
    assert len(written) == 2 and list(scratch.iterdir()) == []


def test_with_memfd_nothing_is_written_to_disk(tmp_path, monkeypatch):
    if not halves.in_memory():
        pytest.skip("no memfd on this system")
    path = messy_workbook(tmp_path / "户籍.xlsx")
    monkeypatch.setattr(halves.tempfile, "TemporaryDirectory", None)     # would fail if used
    assert read_in_halves(path, 0, "名单", min_bytes=0) == whole(path)


def test_a_damaged_workbook_declines_instead_of_failing(tmp_path):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    assert read_in_halves(path, 0, "名单", min_bytes=0) is None


def test_the_import_reader_uses_the_halves_and_keeps_rows_and_merges(tmp_path, monkeypatch):
    path = messy_workbook(tmp_path / "户籍.xlsx")
    calls = []
    real = halves.read_in_halves

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, min_bytes=0)
    monkeypatch.setattr("kbtui.excel.opening.read_in_halves", spy)
    source = open_source(path)
    assert (source.grid(0), source.merged(0)) == whole(path)
    assert calls
    table = read_rows(path, fields={"id_number": ["身份证号"], "name": ["姓名"]}, required=["id_number"])
    assert table.header_row == 3
    assert table.row(0).values["name"] == "张0"


cells = st.one_of(st.none(), st.integers(-10**6, 10**6), st.text("张王李0123 ", min_size=1, max_size=6),
                  st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), st.floats(-1e6, 1e6, allow_nan=False))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=st.lists(st.lists(cells, max_size=8), min_size=1, max_size=60))
def test_any_sheet_reads_the_same_in_halves(tmp_path, grid):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    path = tmp_path / "任意.xlsx"
    wb.save(path)
    read = read_in_halves(path, 0, ws.title, min_bytes=0)
    if read is not None:                  # declining (too few rows to cut) is always allowed
        assert read == whole(path)
