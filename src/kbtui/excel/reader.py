"""Reading name lists: find the header row, map headers to fields, hand back the raw rows.

Values are kept as the spreadsheet gives them (calamine: str, float/int, bool, date/datetime;
an empty cell is ``""``); normalising is the caller's job (:mod:`kbtui.domain.normalize`,
:mod:`kbtui.domain.idcard`).
"""
from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbtui.domain.child import LABEL_OF
from kbtui.excel.errors import ExcelReadError
from kbtui.excel.headers import (
    DEFAULT_HEADERS,
    build_lookup,
    header_key,
    is_serial_header,
    match_header,
)
from kbtui.excel.opening import OpenedWorkbook, open_source

Progress = Callable[[int, int], None]

#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 30
#: Progress is reported every this many rows.
PROGRESS_EVERY = 5000

class MissingColumnsError(ExcelReadError):
    """Required columns were not found. ``missing`` holds the field keys, ``found`` the headers."""

    def __init__(self, message: str, *, missing: Sequence[str] = (), found: Sequence[str] = ()):
        super().__init__(message)
        self.missing = list(missing)
        self.found = list(found)


class Row:
    """One data row: its Excel row ``number`` (1-based, as the user sees it), the matched ``values``
    by field key and the original ``cells`` of the row."""

    __slots__ = ("number", "_values", "cells", "_fields")

    def __init__(self, number: int, values: dict[str, Any] | None, cells: list[Any],
                 fields: tuple[tuple[str, ...], Callable[[Sequence[Any]], tuple]] | None = None):
        self.number = number
        self._values = values
        self.cells = cells
        # (keys, getter): ``values`` is built from the cells when first asked for (an import reads
        # columns, not rows: 100,000 dicts nobody reads are not built)
        self._fields = fields

    @property
    def values(self) -> dict[str, Any]:
        values = self._values
        if values is None:
            keys, getter = self._fields  # type: ignore[misc]
            values = self._values = dict(zip(keys, getter(self.cells)))
        return values

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def __repr__(self) -> str:
        return f"Row({self.number}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Row)
            and (self.number, self.values, self.cells) == (other.number, other.values, other.cells)
        )


@dataclass
class Table:
    path: Path
    sheet: str
    #: 1-based Excel row number of the header row (the lower one when the header spans two rows).
    header_row: int
    #: field key → (0-based column index, header text as shown in the file)
    columns: dict[str, tuple[int, str]]
    #: the header cells as shown (two-row headers joined), one per column
    headers: list[str]
    unmatched_headers: list[str]
    #: the data rows' cells (each padded to the header's width) and their 1-based Excel row numbers
    cells: list[list[Any]]
    numbers: list[int]
    #: (field keys, getter of their cells): how a row's ``values`` are taken from its cells
    fields: tuple[tuple[str, ...], Callable[[Sequence[Any]], tuple]]
    #: rows that look like data but are not: (row number, reason) — 合计, 填表人, repeated header…
    skipped: list[tuple[int, str]] = field(default_factory=list)
    #: 1-based row number of the first data row
    first_data_row: int = 0

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self):
        return iter(self.rows)

    @functools.cached_property
    def rows(self) -> list[Row]:
        """The data rows as :class:`Row` objects (built when first asked for: an import reads columns)."""
        return [Row(number, None, cells, self.fields) for number, cells in zip(self.numbers, self.cells)]

    def row(self, i: int) -> Row:
        """The ``i``-th data row (without building all of them)."""
        if "rows" in self.__dict__:
            return self.rows[i]
        return Row(self.numbers[i], None, self.cells[i], self.fields)


    def column(self, key: str) -> list[Any]:
        """The raw cells of one matched column, one per row (an import normalises column by column)."""
        return list(map(operator.itemgetter(self.columns[key][0]), self.cells))


# --------------------------------------------------------------------------- header detection

def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_GROUP_SUFFIX = re.compile(r"(信息|情况|基本情况|基本信息|资料)$")


#: A cell longer than this is no header (and is not worth normalising to find out).
MAX_HEADER_CHARS = 200


def _match_row(cells: Sequence[Any], lookup: Mapping[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for j, cell in enumerate(cells):
        if isinstance(cell, str) and cell and len(cell) <= MAX_HEADER_CHARS:
            key = match_header(cell, lookup)
            if key is not None and key not in found:
                found[key] = j
    return found


def _combine(parent_row: Sequence[Any], child_row: Sequence[Any],
             lookup: Mapping[str, str]) -> list[str]:
    """Texts of a two-row header: the child cell, qualified by its (forward-filled) group cell."""
    texts: list[str] = []
    parent = ""
    for j in range(max(len(parent_row), len(child_row))):
        top = cell_text(parent_row[j]) if j < len(parent_row) else ""
        low = cell_text(child_row[j]) if j < len(child_row) else ""
        if top:
            parent = top
        elif not low:
            parent = ""
        if not low:
            texts.append(top)
            continue
        if not top and not parent:
            texts.append(low)
            continue
        group = top or parent
        candidates = (group + low, _GROUP_SUFFIX.sub("", header_key(group)) + low)
        text = next((c for c in candidates if match_header(c, lookup)), low)
        texts.append(text)
    return texts


@dataclass
class _Header:
    index: int               # 0-based index of the (lower) header row
    texts: list[str]          # header text per column
    found: dict[str, int]     # field key → column index


def find_header(grid: Sequence[Sequence[Any]], lookup: Mapping[str, str],
                scan: int = HEADER_SCAN_ROWS) -> _Header | None:
    """The row (or pair of rows) within the first ``scan`` rows matching most known headers."""
    scores: list[tuple[int, int]] = []
    matched: list[dict[str, int]] = []
    for i, row in enumerate(grid[:scan]):
        m = _match_row(row, lookup)
        matched.append(m)
        scores.append((len(m), -i))
    if not scores or max(scores)[0] == 0:
        return None
    best = -max(scores)[1]
    header = _Header(best, [cell_text(c) for c in grid[best]], matched[best])
    # A two-row header (group cells such as 监护人信息 above 姓名 / 联系电话) scores higher combined.
    for top in (best - 1, best):
        if top < 0 or top + 1 >= len(grid):
            continue
        texts = _combine(grid[top], grid[top + 1], lookup)
        m = _match_row(texts, lookup)
        if len(m) > len(header.found) and len(m) > len(matched[top]) and (
            top + 1 >= len(matched) or len(m) > len(matched[top + 1])
        ):
            header = _Header(top + 1, texts, m)
    return header


def _label(key: str, fields: Mapping[str, Sequence[str]]) -> str:
    names = list(fields.get(key, ()))
    return LABEL_OF.get(key) or (names[0] if names else key)


def _missing_message(path: Path, sheet: str, header: _Header | None, missing: Sequence[str],
                     fields: Mapping[str, Sequence[str]], grid: Sequence[Sequence[Any]]) -> str:
    parts = []
    for key in missing:
        names = list(dict.fromkeys(fields.get(key, ())))
        shown = "、".join(names[:8]) + ("等" if len(names) > 8 else "")
        parts.append(f"{_label(key, fields)}（可用列名：{shown}）" if shown else _label(key, fields))
    where = f"文件“{path.name}”工作表“{sheet}”"
    if header is None:
        first = next((r for r in grid[:HEADER_SCAN_ROWS] if any(cell_text(c) for c in r)), [])
        seen = "、".join(t for t in (cell_text(c) for c in first) if t) or "（无）"
        return (f"{where}的前{HEADER_SCAN_ROWS}行中没有找到可识别的表头。"
                f"需要的列：{'；'.join(parts) or '（无）'}。第一行非空内容为：{seen}")
    seen = "、".join(t for t in header.texts if t) or "（无）"
    return (f"{where}缺少必需的列：{'；'.join(parts)}。"
            f"在第{header.index + 1}行找到的表头为：{seen}。请把表头改成可用列名之一后重新导入")


# --------------------------------------------------------------------------- data rows

_FOOTER = re.compile(
    r"\s*(?:合\s*计|总\s*计|小\s*计|共\s*计|累\s*计|填\s*表\s*人|填\s*报\s*人|制\s*表\s*人|"
    r"审\s*核\s*人|审\s*核\s*[:：]|统\s*计\s*人|校\s*对\s*人|负\s*责\s*人\s*[:：]|"
    r"单\s*位\s*负\s*责\s*人|分\s*管\s*领\s*导|主\s*要\s*领\s*导|填\s*表\s*日\s*期|填\s*报\s*日\s*期|"
    r"制\s*表\s*日\s*期)"
)
_SPACES_COLON = re.compile(r"[\s:：]")
_NOTE = re.compile(r"\s*(?:说\s*明|注|备\s*注|填\s*表\s*说\s*明|填\s*报\s*说\s*明)\s*\d*\s*[:：.、]")


def _meaningful(row: Sequence[Any], skip: int) -> bool:
    """Whether a row holds anything but blanks (ignoring the 序号 column ``skip``)."""
    for j, cell in enumerate(row):
        if cell == "" or cell is None or j == skip:
            continue
        if cell.__class__ is str and not cell.strip():
            continue
        return True
    return False


# First characters of every footer/note pattern: a cheap filter before the regexes.
#: Every character for which ``str.isspace`` is true: a text not starting with one is not blank.
SPACES = frozenset(c for c in map(chr, [*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680,
                                          *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
                    if c.isspace())
_FOOTER_FIRST = frozenset("合总小共累填制审统校负单分主说注备 \t\u3000")
_FOOTER_OR_SPACE = _FOOTER_FIRST | SPACES


def _suspect_rows(data: list[list[Any]], first: int, header_first: list[Any]) -> set[int]:
    """Rows that may not be children (``_is_data`` decides): a blank first cell, a text in the first four
    columns starting like a footer or a note, the header's first cell again. Every other row is data;
    the tests run column by column, so 100,000 ordinary rows cost a few list scans."""
    narrowest = min(map(len, data), default=0)

    def column(j: int) -> list[Any]:
        if j < narrowest:
            return list(map(operator.itemgetter(j), data))
        return [r[j] if j < len(r) else None for r in data]

    # one pass per column: the first data column also finds blank cells (a text starting with a space is
    # looked at too), column A also the header's first cell again
    head = header_first[0] if header_first else None
    out: list[int] = []
    for j in range(4):
        cells = column(j)
        if j == first == 0:
            out += [i for i, v in enumerate(cells) if v is None or v == head
                    or (v.__class__ is str and (not v or v[0] in _FOOTER_OR_SPACE))]
        elif j == first:
            out += [i for i, v in enumerate(cells)
                    if v is None or (v.__class__ is str and (not v or v[0] in _FOOTER_OR_SPACE))]
        elif j == 0:
            out += [i for i, v in enumerate(cells)
                    if (v.__class__ is str and v and v[0] in _FOOTER_FIRST) or (header_first and v == head)]
        else:
            out += [i for i, v in enumerate(cells) if v.__class__ is str and v and v[0] in _FOOTER_FIRST]
    return set(out)


def _is_data(row: list[Any], number: int, serial: int, header_cells: list[Any],
             skipped: list[tuple[int, str]]) -> bool:
    """Whether a suspect row is a child's row; the others are noted in ``skipped`` (blank rows silently)."""
    if not _meaningful(row, serial):
        return False
    reason = footer_reason(row, serial)
    if reason is not None:
        skipped.append((number, reason))
        return False
    if row == header_cells:
        skipped.append((number, "重复的表头行"))
        return False
    return True


def footer_reason(row: Sequence[Any], skip: int) -> str | None:
    for cell in row[:4]:
        if cell.__class__ is str and cell and cell[0] in _FOOTER_FIRST:
            m = _FOOTER.match(cell)
            if m:
                return "表尾行（" + _SPACES_COLON.sub("", m.group(0)) + "）"
            if _NOTE.match(cell):
                filled = sum(1 for c in row if c != "" and c is not None)
                if filled <= 2:
                    return "表尾说明行"
    return None


def apply_merges(grid: list[list[Any]], merges: Iterable, from_row: int) -> None:
    """Copy the value of a merged range into all its cells (a village merged over its children)."""
    height = len(grid)
    for (r0, c0), (r1, c1) in merges:
        if r0 < from_row or r0 >= height or (r0 == r1 and c0 == c1):
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else ""
        if value == "" or value is None:
            continue
        for r in range(r0, min(r1, height - 1) + 1):
            row = grid[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] == "" or row[c] is None:
                    row[c] = value


def _resolve_sheet(source: OpenedWorkbook, sheet: str | int | None, path: Path) -> list[int]:
    if not source.names:
        raise ExcelReadError(f"文件“{path.name}”中没有工作表")
    if sheet is None:
        return list(range(len(source.names)))
    if isinstance(sheet, int):
        if 0 <= sheet < len(source.names):
            return [sheet]
    else:
        for i, name in enumerate(source.names):
            if name == sheet or name.strip() == str(sheet).strip():
                return [i]
    raise ExcelReadError(
        f"文件“{path.name}”中没有工作表“{sheet}”，现有工作表：{'、'.join(source.names)}"
    )


def read_rows(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    required: Sequence[str] = (),
    progress: Progress | None = None,
) -> Table:
    """Read a name list (.xlsx/.xlsm/.xls/.xlsb/.ods/.csv) into a :class:`Table`.

    ``fields`` maps field keys to accepted header names (default :data:`DEFAULT_HEADERS`);
    ``required`` lists the keys that must be found. ``sheet`` is a name or 0-based index; by default
    the first visible sheet holding the required columns is used.
    Raises :class:`ExcelReadError` (Chinese message) and :class:`MissingColumnsError`.
    """
    path = Path(path)
    fields = DEFAULT_HEADERS if fields is None else fields
    lookup = build_lookup(fields)
    source = open_source(path)
    try:
        return _read_source(source, path, sheet, fields, lookup, required, progress)
    finally:
        source.close()


def _read_source(source: OpenedWorkbook, path: Path, sheet: str | int | None,
                 fields: Mapping[str, Sequence[str]], lookup: Mapping[str, str],
                 required: Sequence[str], progress: Progress | None) -> Table:
    candidates = _resolve_sheet(source, sheet, path)

    first_error: ExcelReadError | None = None
    for index in candidates:
        name = source.names[index]
        try:
            grid = source.grid(index)
        except ExcelReadError:
            raise
        except Exception:
            raise ExcelReadError(
                f"读取文件“{path.name}”的工作表“{name}”时出错，文件可能已损坏。请用 Excel/WPS 打开后另存为 .xlsx 再导入"
            ) from None
        if not any(_meaningful(r, -1) for r in grid[:HEADER_SCAN_ROWS]) and not any(
            _meaningful(r, -1) for r in grid[HEADER_SCAN_ROWS:]
        ):
            error: ExcelReadError = ExcelReadError(f"文件“{path.name}”的工作表“{name}”是空的，没有任何内容")
            first_error = first_error or error
            continue
        header = find_header(grid, lookup)
        missing = [k for k in required if header is None or k not in header.found]
        if header is None or missing:
            error = MissingColumnsError(
                _missing_message(path, name, header, missing or list(required), fields, grid),
                missing=missing or list(required),
                found=[t for t in (header.texts if header else []) if t],
            )
            if first_error is None or (
                not isinstance(first_error, MissingColumnsError) and header is not None
            ):
                first_error = error
            continue
        return _build_table(path, name, grid, header, source.merged(index), progress)
    assert first_error is not None
    raise first_error


_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


def one_line(header: str) -> str:
    """A header as messages quote it: a line break inside the cell (公民身份⏎号码) left out."""
    return _LINE_BREAK.sub("", header) if "\n" in header or "\r" in header else header


def _build_table(path: Path, sheet: str, grid: list[list[Any]], header: _Header,
                 merges: list, progress: Progress | None) -> Table:
    h = header.index
    texts = header.texts
    width = max(len(texts), max(map(len, grid), default=0))
    texts = texts + [""] * (width - len(texts))
    columns = {key: (j, one_line(texts[j])) for key, j in header.found.items()}
    used = set(header.found.values())
    serial = next((j for j, t in enumerate(texts) if is_serial_header(t)), -1)
    unmatched = [one_line(t) for j, t in enumerate(texts) if t and j not in used and j != serial]
    if merges:
        apply_merges(grid, merges, h + 1)

    keys = tuple(header.found)
    idx = tuple(header.found.values())
    getter: Callable[[Sequence[Any]], tuple] = (
        operator.itemgetter(*idx) if len(idx) > 1 else (lambda r, i=idx[0]: (r[i],))
    )
    fields = (keys, getter)
    header_cells = list(grid[h])
    first = 1 if serial == 0 else 0
    start = h + 1
    data = grid[start:]
    total = len(data)
    if progress is not None:
        progress(0, total)
    suspects = _suspect_rows(data, first, header_cells[:1])
    skipped: list[tuple[int, str]] = []
    kept = range(total) if not suspects else [i for i in range(total) if i not in suspects or _is_data(
        data[i], i + start + 1, serial, header_cells, skipped)]
    cells: list[list[Any]] = []
    for lo in range(0, len(kept), PROGRESS_EVERY):
        part = kept[lo:lo + PROGRESS_EVERY]
        cells += data[part.start:part.stop] if isinstance(part, range) else map(data.__getitem__, part)
        if progress is not None and lo:
            progress(kept[lo], total)
    if min(map(len, cells), default=width) < width:
        cells = [r if len(r) >= width else list(r) + [""] * (width - len(r)) for r in cells]
    if progress is not None:
        progress(total, total)
    return Table(
        path=path,
        sheet=sheet,
        header_row=h + 1,
        columns=columns,
        headers=texts,
        unmatched_headers=unmatched,
        cells=cells,
        numbers=[i + start + 1 for i in kept],
        fields=fields,
        skipped=skipped,
        first_data_row=h + 2,
    )
