"""Workbooks written part by part, as a malicious sender would (no spreadsheet program involved): the zip
parts of a one-sheet .xlsx with a shared-strings table, for tests that need what openpyxl will not write."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from kbtui.domain.idcard import make_id

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')
ID1 = make_id("500224", dt.date(2014, 3, 4), 11)
HEADER = ('<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
          '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>')
CHILD = (f'<row r="2"><c r="A2" t="s"><v>0</v></c>'
         f'<c r="B2" t="inlineStr"><is><t>{ID1}</t></is></c></row>')


def sheet_xml(rows: str, dimension: str = "A1:B2") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
            f"<sheetData>{rows}</sheetData></worksheet>")


def shared(*texts: str, unique: int | None = None) -> str:
    count = len(texts) if unique is None else unique
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<sst xmlns="{MAIN}" count="{len(texts)}" uniqueCount="{count}">{items}</sst>'


def workbook(path: Path, sheet: str, strings: str | None = None) -> Path:
    """An .xlsx written part by part (what a malicious sender does: no spreadsheet program involved)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", strings if strings is not None else shared("张三"))
    return path
