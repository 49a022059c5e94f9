"""What a spreadsheet may hold before it is parsed, and the checks that keep a malicious one out.

python-calamine (Rust) makes a sheet's whole used area at once, from its first to its last cell, and
reserves as many shared strings as the file says it has. A 5 KB workbook with one cell at XFD1048576, or
one declaring ``uniqueCount="100000000000"``, aborts the process (a failed Rust allocation cannot be
caught); a 300 KB zip can unpack to gigabytes. So, before anything is parsed:

- :func:`check_archive`: the zip's parts by their declared sizes (every reader enforces them: a part
  longer than declared fails its CRC): each part, all together, the shared strings, the compression
  ratio, and the number of shared strings the file declares;
- :func:`check_sheet_xml`: a sheet's used area from the cells' own positions (``r="XFD1048576"``, or the
  position a cell without one gets), not from the ``<dimension>`` the file declares. A quick pass
  (:func:`looks_far`, one regular expression) finds whether any cell lies beyond AZ299999 or has no
  plain position (about 0.08 s for the 60 MB sheet of a 100,000-row list); only then are the cells counted one by one
  (:func:`used_area`);
- :func:`check_ods` / :func:`check_xlsb`: the same for OpenDocument (repeated rows and columns) and
  binary workbooks; :func:`check_grid`: a CSV's rows × columns.
Legacy .xls sheets cannot exceed 65,536 × 256 cells, which is below :data:`MAX_CELLS`.

Every refusal is an :class:`WorkbookTooLarge` whose Chinese message names the file, what is too large
and the limit.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kbtui.excel.errors import ExcelReadError

MiB = 1024 * 1024

#: one part of the zip, unpacked (a 100,000-row list's sheet is about 60 MB)
MAX_PART_BYTES = 512 * MiB
#: every part together, unpacked
MAX_TOTAL_BYTES = 768 * MiB
#: the shared strings part (every distinct text of the workbook), unpacked
MAX_SHARED_STRINGS_BYTES = 128 * MiB
#: distinct texts the shared strings part may declare (calamine reserves room for all of them at once)
MAX_SHARED_STRINGS = 5_000_000
#: unpacked ÷ packed, for parts of more than RATIO_FROM_BYTES: spreadsheet XML packs about 8 to 1
MAX_RATIO = 100
RATIO_FROM_BYTES = 4 * MiB
#: parts in the zip
MAX_PARTS = 10_000
#: rows × columns of a sheet's used area, counted from A1 (20 million: 400,000 rows of 50 columns)
MAX_CELLS = 20_000_000
#: a CSV file's size (it is read whole)
MAX_CSV_BYTES = 256 * MiB


class WorkbookTooLarge(ExcelReadError):
    """A workbook (or one of its sheets) beyond the limits above; the message says what and the limit."""


def _size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.0f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"


def _count(n: int) -> str:
    """17179869184 → 约172亿, 20000000 → 2000万, 1234 → 1234."""
    for unit, word in ((100_000_000, "亿"), (10_000, "万")):
        if n >= unit:
            return f"{n // unit}{word}" if n % unit == 0 else f"约{round(n / unit)}{word}"
    return str(n)


_FORGED = "，这不是正常的 Excel 文件（可能已损坏或被人为构造），已拒绝导入"


# --------------------------------------------------------------------------- the zip

_UNIQUE_COUNT = re.compile(rb'<(?:[\w.-]+:)?sst\b[^>]*?\suniqueCount\s*=\s*["\']\s*(\d+)')


def check_archive(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a zip (xlsx, xlsm, xlsb, ods) whose parts are too many, too large or packed too tightly,
    or whose shared strings declare too many texts. Reads only the zip's directory and the first bytes of
    the shared strings."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise WorkbookTooLarge(f"文件“{name}”中有 {len(infos)} 个部件，超过可导入的上限（{MAX_PARTS} 个）{_FORGED}")
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > MAX_PART_BYTES:
            raise WorkbookTooLarge(
                f"文件“{name}”中的“{info.filename}”解压后有 {_size(size)}，超过可导入的上限"
                f"（{_size(MAX_PART_BYTES)}）。请只保留名单所在的工作表，另存为新文件后再导入")
        if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookTooLarge(
                f"文件“{name}”中的“{info.filename}”压缩了 {size // max(info.compress_size, 1)} 倍"
                f"（解压后 {_size(size)}，文件中只有 {_size(info.compress_size)}；正常的表格不超过 {MAX_RATIO} 倍）"
                + _FORGED)
        if info.filename.lower().endswith(("sharedstrings.xml", "sharedstrings.bin")) \
                and size > MAX_SHARED_STRINGS_BYTES:
            raise WorkbookTooLarge(
                f"文件“{name}”的文字内容（{info.filename}）解压后有 {_size(size)}，超过可导入的上限"
                f"（{_size(MAX_SHARED_STRINGS_BYTES)}）。请只保留名单所在的工作表，另存为新文件后再导入")
    if total > MAX_TOTAL_BYTES:
        raise WorkbookTooLarge(f"文件“{name}”解压后共有 {_size(total)}，超过可导入的上限（{_size(MAX_TOTAL_BYTES)}）。"
                               "请只保留名单所在的工作表，另存为新文件后再导入")
    for info in infos:
        if info.filename.lower().endswith("sharedstrings.xml"):
            try:
                with archive.open(info) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                raise ExcelReadError(f"文件“{name}”已损坏（其中的“{info.filename}”无法解压），"
                                     "请用 Excel/WPS 打开后另存为 .xlsx 再导入") from None
            found = _UNIQUE_COUNT.search(head)
            if found and int(found.group(1)) > MAX_SHARED_STRINGS:
                raise WorkbookTooLarge(
                    f"文件“{name}”声明有{_count(int(found.group(1)))}个不同的文字，超过可导入的上限"
                    f"（{_count(MAX_SHARED_STRINGS)}个）" + _FORGED)


# --------------------------------------------------------------------------- a sheet's used area

def column_letters(column: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_area(rows: int, columns: int, name: str, sheet: str) -> None:
    """Refuse a sheet whose used area (``rows`` × ``columns`` from A1) exceeds :data:`MAX_CELLS`."""
    if rows * columns > MAX_CELLS:
        raise WorkbookTooLarge(
            f"文件“{name}”的工作表“{sheet}”的内容范围是 A1:{column_letters(columns)}{rows}"
            f"（{rows} 行 × {columns} 列，{_count(rows * columns)}个单元格），超过可导入的上限"
            f"（{_count(MAX_CELLS)}个单元格）。表格远处可能有多余的内容：请在 Excel/WPS 中删除名单以外的行和列"
            "（或把名单复制到新的工作表）后重新导入")


# A cell tag (<c, or <x:c: calamine reads any prefix) whose position is not plainly "r=" + column A..AZ +
# row 1..299999 as its first attribute: beyond that area, lower case, quoted otherwise, with r elsewhere or
# missing (then calamine counts positions). One pass: "c" first (the fastest search), then what precedes it.
_NOT_NEAR = re.compile(rb'c(?<=[<:]c)(?! r="A?[A-Z][1-9][0-9]{0,4}"| r="A?[A-Z][12][0-9]{5}")[\s/>]')
#: what the quick pass lets through without counting: columns up to AZ, rows up to 299,999
NEAR_COLUMNS, NEAR_ROWS = 52, 299_999
assert NEAR_COLUMNS * NEAR_ROWS <= MAX_CELLS


def looks_far(xml: bytes | memoryview, start: int = 0, end: int | None = None) -> bool:
    """Whether a piece of sheet XML may hold a cell outside A1:AZ299999 or one without a plain position,
    among the tags beginning in ``xml[start:end]`` (the bytes after ``end`` only complete a tag cut there).
    False means every such cell is inside that area, whatever the rest of the sheet holds."""
    found = _NOT_NEAR.search(xml, start)
    return found is not None and found.start() < (len(xml) if end is None else end)


_TAG = re.compile(rb'<(/?)(?:[^\s<>/:!?]+:)?(row|c)(?=[\s/>])((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>')
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _position(ref: bytes) -> tuple[int, int] | None:
    """(row, column), 1-based, of a reference as calamine reads it (letters of either case, then digits)."""
    column = 0
    i = 0
    while i < len(ref) and (65 <= ref[i] <= 90 or 97 <= ref[i] <= 122):
        column = column * 26 + (ref[i] & 0x1F)
        i += 1
    digits = ref[i:]
    if not digits.isdigit():
        return None
    return int(digits), column


def used_area(pieces: Iterable[bytes]) -> tuple[int, int]:
    """(rows, columns) from A1 to the farthest cell holding anything, with the positions calamine gives:
    a cell's ``r``, or the cell after the previous one, in the row after the previous row."""
    row, col = 1, 1               # where the next cell goes without an r (1-based)
    rows = columns = 0
    carry = b""
    for piece in pieces:
        data = carry + bytes(piece)
        cut = data.rfind(b"<")
        if cut < 0:
            carry = b""
            continue
        carry, data = data[cut:], data[:cut]
        for m in _TAG.finditer(data):
            closing, kind, attrs = m.group(1), m.group(2), m.group(3)
            empty = attrs.endswith(b"/")
            if kind == b"row":
                if closing:
                    row, col = row + 1, 1
                    continue
                r = _R_ATTR.search(attrs)
                if r:
                    at = _position(r.group(1) if r.group(1) is not None else r.group(2))
                    if at is not None:
                        row = at[0]
                if empty:
                    row, col = row + 1, 1
                continue
            if closing:
                continue
            r = _R_ATTR.search(attrs)
            at = _position(r.group(1) if r.group(1) is not None else r.group(2)) if r else None
            here = (at[0], at[1]) if at is not None and at[1] else (row, col)
            if not empty:         # <c …/> holds nothing: calamine keeps no cell for it
                rows, columns = max(rows, here[0]), max(columns, here[1])
            col = here[1] + 1
        if len(carry) > 1 << 20:  # an unclosed "<" a megabyte long: nothing more to count in it
            carry = b""
    return rows, columns


def check_sheet_xml(pieces: Callable[[], Iterator[bytes]], name: str, sheet: str) -> None:
    """Refuse a sheet whose used area exceeds :data:`MAX_CELLS`. ``pieces()`` yields the sheet's XML in
    pieces (called a second time only if the quick pass finds something to count)."""
    tail = b""
    for piece in pieces():
        buffer = tail + bytes(piece)
        if looks_far(buffer, 0, len(buffer) - _OVERLAP):   # a tag cut at the end: looked at with the next piece
            break
        tail = buffer[-_OVERLAP:]
    else:
        if not looks_far(tail):
            return
    check_area(*used_area(pieces()), name, sheet)


#: bytes of one piece looked at again with the next: more than the longest tag start the quick pass reads
_OVERLAP = 64


def member_pieces(archive: zipfile.ZipFile, member: str, size: int = 4 * MiB) -> Callable[[], Iterator[bytes]]:
    """``pieces`` for :func:`check_sheet_xml`: a zip part unpacked a few MB at a time."""
    def pieces() -> Iterator[bytes]:
        with archive.open(member) as fh:
            while True:
                chunk = fh.read(size)
                if not chunk:
                    return
                yield chunk
    return pieces


# --------------------------------------------------------------------------- OpenDocument

_ODS_TAG = re.compile(rb'<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])'
                      rb'((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>')
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated\s*=\s*["\'](\d+)')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated\s*=\s*["\'](\d+)')
_HAS_VALUE = re.compile(rb'office:value-type\s*=')


def check_ods(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse an OpenDocument spreadsheet one of whose tables, with its repeated rows and columns
    expanded, holds anything beyond :data:`MAX_CELLS` (trailing empty repetitions, as LibreOffice
    writes them to the end of the sheet, do not count)."""
    try:
        pieces = member_pieces(archive, "content.xml")
        sheet, row, rows, columns = "", 0, 0, 0
        row_repeat, col, in_row, row_has = 1, 0, False, False
        carry = b""
        for piece in pieces():
            data = carry + piece
            cut = data.rfind(b"<")
            carry, data = (data[cut:], data[:cut]) if cut >= 0 else (b"", data)
            for m in _ODS_TAG.finditer(data):
                closing, kind, attrs = m.group(1), m.group(2), m.group(3)
                empty = attrs.endswith(b"/")
                if kind == b"table":
                    if closing:
                        check_area(rows, columns, name, sheet)
                    else:
                        found = re.search(rb'table:name\s*=\s*"([^"]*)"', attrs)
                        sheet = found.group(1).decode("utf-8", "replace") if found else ""
                        row, rows, columns = 0, 0, 0
                    continue
                if kind == b"table-row":
                    if closing or empty:
                        if row_has:
                            rows = row + row_repeat
                        row += row_repeat
                        in_row = False
                        continue
                    repeat = _ROWS_REPEATED.search(attrs)
                    row_repeat, col, in_row, row_has = int(repeat.group(1)) if repeat else 1, 0, True, False
                    continue
                if closing or not in_row:
                    continue
                repeat = _COLUMNS_REPEATED.search(attrs)
                span = int(repeat.group(1)) if repeat else 1
                if not empty or _HAS_VALUE.search(attrs):
                    row_has = True
                    columns = max(columns, col + span)
                    check_area(row + row_repeat, columns, name, sheet)
                col += span
    except (KeyError, zipfile.BadZipFile):
        return                    # no content.xml, or a broken one: the reader says what is wrong


# --------------------------------------------------------------------------- binary workbooks (.xlsb)

#: record types of a binary sheet: the row header, then the cells holding a value (BrtCellRk … BrtFmlaError)
_ROW_HEADER, _CELLS = 0x0000, range(0x0002, 0x000C)


def _records(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(type, start of the record's data, its length) of each record, as calamine reads them."""
    pos, end = 0, len(data)
    while pos < end:
        b = data[pos]
        pos += 1
        kind = b & 0x7F
        if b & 0x80:
            if pos >= end:
                return
            kind += (data[pos] & 0x7F) << 7
            pos += 1
        length = 0
        for i in range(4):
            if pos >= end:
                return
            b = data[pos]
            pos += 1
            length += (b & 0x7F) << (7 * i)
            if not b & 0x80:
                break
        yield kind, pos, length
        pos += length


def check_xlsb(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a binary workbook one of whose sheets holds a cell beyond :data:`MAX_CELLS`."""
    for info in archive.infolist():
        part = info.filename.lower()
        if not (part.startswith("xl/worksheets/") and part.endswith(".bin")):
            continue
        data = archive.read(info)
        row = rows = columns = 0
        for kind, at, length in _records(data):
            if kind == _ROW_HEADER and length >= 4:
                row = struct.unpack_from("<I", data, at)[0]
            elif kind in _CELLS and length >= 4:
                column = struct.unpack_from("<I", data, at)[0]
                rows, columns = max(rows, row + 1), max(columns, column + 1)
                if rows * columns > MAX_CELLS:
                    check_area(rows, columns, name, Path(info.filename).stem)


# --------------------------------------------------------------------------- CSV

def check_csv_size(size: int, name: str) -> None:
    if size > MAX_CSV_BYTES:
        raise WorkbookTooLarge(f"文件“{name}”有 {_size(size)}，超过可导入的上限（{_size(MAX_CSV_BYTES)}）。"
                               "请分成几个文件后再导入")


def check_grid(rows: int, columns: int, name: str, sheet: str) -> None:
    """A grid read whole (CSV): rows × its widest row, before every row is padded to that width."""
    check_area(rows, columns, name, sheet)
