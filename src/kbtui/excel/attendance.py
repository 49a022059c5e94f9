"""Reading daily attendance sheets (考勤表): a class's month, one row per pupil, one column per day.

What is found on each sheet: the text above the header (title rows: school, class, month), the header row
(姓名 with optionally 身份证号 / 学籍号 / 班级 / 学校), the day columns (headed 1 … 31, 1日, 1号, 9月1日, 9.1,
9-1, or real dates) and the pupils' rows with their raw cells. A row of weekdays (一 二 三 …) under the
header, blank rows and footer rows (合计, 班主任签字 …) are skipped. Interpreting the marks and the month is
``services.escalation.attendance_sheets``' job.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from kbtui.excel.errors import ExcelReadError
from kbtui.excel.headers import build_lookup, header_key
from kbtui.excel.opening import open_source
from kbtui.excel.reader import apply_merges, cell_text, find_header, footer_reason

#: Fields of an attendance sheet's header besides the days (header synonyms as for name lists).
ATTENDANCE_HEADERS: dict[str, list[str]] = {
    "name": ["姓名", "学生姓名", "学生", "名字"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "学生身份证号", "证件号码"],
    "student_no": ["学籍号", "全国学籍号", "学籍辅号", "国家学籍号"],
    "class_name": ["班级", "班别", "班"],
    "school": ["学校", "就读学校", "学校名称"],
}
#: A sheet is an attendance sheet when its header has a name column and at least this many day columns.
MIN_DAY_COLUMNS = 5
WEEKDAY_CELLS = frozenset("一二三四五六日天") | {f"周{c}" for c in "一二三四五六日天"} | \
    {f"星期{c}" for c in "一二三四五六日天"}

_DAY = re.compile(r"(?P<day>[0-3]?\d)\s*(?:日|号)?")
_MONTH_DAY = re.compile(r"(?P<month>1[0-2]|0?[1-9])\s*(?:月|[./\-])\s*(?P<day>[0-3]?\d)\s*(?:日|号)?")
_FULL_DATE = re.compile(r"(?P<year>20\d\d)\s*[-./年]\s*(?P<month>1[0-2]|0?[1-9])\s*[-./月]\s*(?P<day>[0-3]?\d)"
                        r"\s*日?(?:\s+00:00:00)?")


@dataclass(frozen=True)
class DayColumn:
    index: int                                  # 0-based column
    header: str                                 # as shown
    day: int                                    # day of the month
    month: int | None = None                    # when the header says it (9月1日, 9.1, a date)
    year: int | None = None                     # when the header is a full date

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class PupilRow:
    number: int                                 # 1-based Excel row
    values: dict[str, Any]                      # name, id_number, student_no, class_name, school (raw)
    cells: list[Any]                            # the whole row as read


@dataclass
class AttendanceGrid:
    path: Path
    sheet: str
    title: str                                  # the text of the rows above the header, joined
    header_row: int                             # 1-based
    headers: list[str]
    columns: dict[str, int]                     # field key -> 0-based column
    days: list[DayColumn]
    rows: list[PupilRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def where(self, column: int) -> str:
        """``K列（10日）``: a column as messages name it."""
        header = self.headers[column] if column < len(self.headers) else ""
        return f"{get_column_letter(column + 1)}列" + (f"（{header}）" if header else "")


def day_of_header(value: Any) -> tuple[int, int | None, int | None] | None:
    """(day, month, year) when a header cell names a day of the month, else None."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.day, value.month, value.year
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value), None, None) if float(value).is_integer() and 1 <= value <= 31 else None
    text = cell_text(value)
    if not text:
        return None
    for pattern in (_FULL_DATE, _MONTH_DAY, _DAY):
        m = pattern.fullmatch(text)
        if m:
            day = int(m["day"])
            if not 1 <= day <= 31:
                return None
            groups = m.groupdict()
            month = int(groups["month"]) if groups.get("month") else None
            year = int(groups["year"]) if groups.get("year") else None
            return day, month, year
    return None


def _is_weekday_row(cells: list[Any], days: list[DayColumn]) -> bool:
    texts = [cell_text(cells[d.index]) if d.index < len(cells) else "" for d in days]
    filled = [t for t in texts if t]
    return bool(filled) and all(t in WEEKDAY_CELLS for t in filled)


def _grid(path: Path, source, index: int) -> AttendanceGrid | None:
    name = source.names[index]
    try:
        grid = source.grid(index)
    except Exception:
        raise ExcelReadError(f"读取文件“{path.name}”的工作表“{name}”时出错，文件可能已损坏。"
                             f"请用 Excel/WPS 打开后另存为 .xlsx 再导入") from None
    lookup = build_lookup(ATTENDANCE_HEADERS)
    header = find_header(grid, lookup)
    if header is None or "name" not in header.found:
        return None
    h = header.index
    raw_header = grid[h]
    days = []
    for j, cell in enumerate(raw_header):
        if j in header.found.values():
            continue
        found = day_of_header(cell)
        if found is not None:
            days.append(DayColumn(j, cell_text(cell), *found))
    if len(days) < MIN_DAY_COLUMNS:
        return None
    merges = source.merged(index)
    if merges:
        apply_merges(grid, merges, h + 1)
    title = " ".join(t for row in grid[:h] for t in (cell_text(c) for c in row) if t)
    headers = [cell_text(c) for c in raw_header]
    width = max(len(headers), max((len(r) for r in grid), default=0))
    headers += [""] * (width - len(headers))
    result = AttendanceGrid(path, name, title, h + 1, headers, dict(header.found), days)
    name_col = header.found["name"]
    for i in range(h + 1, len(grid)):
        cells = list(grid[i]) + [""] * (width - len(grid[i]))
        number = i + 1
        if not any(cell_text(c) for c in cells):
            continue
        if _is_weekday_row(cells, days):
            result.skipped.append((number, "星期行"))
            continue
        reason = footer_reason(cells, -1)
        if reason is not None or header_key(cells[name_col]) in ("合计", "小计", "总计", "说明", "备注"):
            result.skipped.append((number, reason or "表尾行"))
            continue
        values = {key: cells[j] for key, j in header.found.items()}
        result.rows.append(PupilRow(number, values, cells))
    return result


def read_attendance(path: str | Path) -> list[AttendanceGrid]:
    """Every visible sheet of ``path`` that is an attendance sheet (a name column and day columns)."""
    path = Path(path)
    source = open_source(path)
    try:
        return [g for g in (_grid(path, source, i) for i in range(len(source.names))) if g is not None]
    finally:
        source.close()


def is_attendance_file(path: str | Path) -> bool:
    """Whether ``path`` holds attendance sheets (rather than a list of absences)."""
    try:
        return bool(read_attendance(path))
    except ExcelReadError:
        return False
