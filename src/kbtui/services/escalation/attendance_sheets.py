"""Importing daily attendance sheets (考勤表) into absences, as schools keep them.

A sheet is a class's month (``excel.attendance``): the month comes from ``month`` (``--month 2025-09``),
the day headers when they are dates, or the title rows, sheet name or file name (``2025年9月``, ``9月`` in a
year of the profile's terms). Each pupil is found by 身份证号, else 学籍号, else 姓名 among the children the
operator may see (narrowed by the school — a 学校 column, ``school``, or a school of the profile named in the
title — and by the class). Marks (``domain.attendance``) on the sheet's school days become absences:

- a run of days absent is one absence (``until`` its last day); a run reaching the last day the sheet was
  filled in (the latest day anyone has a mark) is still running (no end: the ladders count on);
- a running absence from an earlier sheet continues when the sheet starts with the child absent, and ends
  (``cases.record_absence_return``, which also records 劝返复学 on an open case) on the first day present;
- importing the same sheet again adds nothing (an absence with the same first day is there already);
- a mark the vocabulary does not know, an absence marked on a day that is not a school day, a day the month
  does not have, a pupil not found or found twice: the row is not imported, and the rejects workbook lists it
  with the reason (row and column), under the sheet's own title and header so that it can be fixed and
  imported again.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import roles as R
from kbtui.domain.attendance import Mark, MarkError, parse_mark, runs
from kbtui.domain.calendar import SchoolCalendar
from kbtui.domain.escalation import span_of
from kbtui.domain.idcard import IdNumberError, normalize_id
from kbtui.domain.normalize import normalize_text
from kbtui.services.access import gate
from kbtui.services.escalation import absences, cases
from kbtui.services.lookup import EscalationError

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

SOURCE = "考勤表"
WEEKDAYS = "一二三四五六日"
_YEAR_MONTH = re.compile(r"(?P<year>20\d\d)\s*(?:年|[-./])\s*(?P<month>1[0-2]|0?[1-9])(?:\s*月|(?!\d))")
_MONTH = re.compile(r"(?<![\d年])(?P<month>1[0-2]|0?[1-9])\s*月(?!\d*日)")
_CLASS = re.compile(r"(?P<grade>[一二三四五六七八九1-9]\s*年级|初[一二三]|高[一二三])?"
                    r"\s*[（(]?\s*(?P<cls>\d+)\s*[）)]?\s*班")


@dataclass
class SheetResult:
    sheet: str
    month: str = ""                         # 2025-09
    school: str = ""
    class_name: str = ""
    pupils: int = 0
    recorded_through: str | None = None     # the last day of the sheet anyone has a mark


@dataclass
class AttendanceImport:
    sheets: list[SheetResult] = field(default_factory=list)
    rows: int = 0
    added: list[dict] = field(default_factory=list)        # absences stored
    returned: list[tuple[str, str]] = field(default_factory=list)   # (ID number, first day back)
    unchanged: int = 0                                      # absences already there (same first day)
    rejects: list[tuple[Any, Any, str]] = field(default_factory=list)   # (grid, row, reason)
    rejects_path: Path | None = None

    def summary(self) -> dict[str, Any]:
        return {"kind": "attendance", "sheets": [s.__dict__ for s in self.sheets], "rows": self.rows,
                "added": len(self.added), "returned": len(self.returned), "unchanged": self.unchanged,
                "rejected": len(self.rejects),
                "rejects_file": str(self.rejects_path) if self.rejects_path else None}


# --------------------------------------------------------------------------- the month and the school

def _month_from(text: str, calendar: SchoolCalendar) -> tuple[int, int] | None:
    m = _YEAR_MONTH.search(text)
    if m:
        return int(m["year"]), int(m["month"])
    m = _MONTH.search(text)
    if m:
        month = int(m["month"])
        years = sorted({y for start, end in calendar.terms for y in range(start.year, end.year + 1)
                        if any(s <= dt.date(y, month, 15) <= e for s, e in calendar.terms)})
        if len(years) == 1:
            return years[0], month
    return None


def sheet_month(grid, calendar: SchoolCalendar, given: str | None = None) -> tuple[int, int]:
    """(year, month) of a sheet, or EscalationError saying where it was looked for."""
    if given:
        m = _YEAR_MONTH.fullmatch(given.strip())
        if not m:
            raise EscalationError(f"月份“{given}”看不懂，请写成 2025-09")
        return int(m["year"]), int(m["month"])
    dated = {(d.year, d.month) for d in grid.days if d.year}
    if len(dated) == 1:
        return dated.pop()
    for text in (grid.title, grid.sheet, grid.path.stem):
        found = _month_from(text or "", calendar)
        if found:
            return found
    raise EscalationError(f"工作表“{grid.sheet}”看不出是哪一年哪个月的考勤：请在标题中写明（如“2025年9月考勤表”），"
                          f"或导入时指定月份（kbtui absence import 文件 --month 2025-09）")


def _school_of(grid, known: list[str], given: str | None) -> str:
    if given:
        return given
    for school in sorted(known, key=len, reverse=True):
        if school and (school in grid.title or school in grid.sheet or school in grid.path.stem):
            return school
    return ""


def _class_of(grid) -> str:
    for text in (grid.title, grid.sheet):
        m = _CLASS.search(text or "")
        if m:
            return f"{(m['grade'] or '').replace(' ', '')}{m['cls']}班"
    return ""


# --------------------------------------------------------------------------- the pupils

class _Pupils:
    """The children the operator may see, by ID number, 学籍号 and name."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.by_no: dict[str, dict] = {}
        self.by_name: dict[str, list[dict]] = defaultdict(list)
        for record in workspace.store.all():
            if record.get("student_no"):
                self.by_no[str(record["student_no"]).strip().upper()] = record
            if record.get("name"):
                self.by_name[record["name"]].append(record)
        self.scoped = hasattr(workspace.store, "scope") and not workspace.store.scope.everything

    def find(self, values: dict[str, Any], school: str, class_name: str) -> dict:
        raw_id = normalize_text(values.get("id_number"))
        if raw_id:
            try:
                id_number = normalize_id(raw_id)
            except IdNumberError as err:
                raise EscalationError(f"身份证号：{err}") from None
            record = self.workspace.store.get(id_number)
            if record is None:
                raw = getattr(self.workspace.store, "raw", None)
                if raw is not None and raw.get(id_number) is not None:
                    raise EscalationError(self.workspace.store.scope.outside())
                raise EscalationError(f"找不到身份证号为 {id_number} 的儿童，请先导入户籍或学籍名单")
            return self._same_name(record, values)
        student_no = normalize_text(values.get("student_no")).upper()
        if student_no:
            record = self.by_no.get(student_no) or self.by_no.get(student_no.lstrip("GLJ"))
            if record is None and len(student_no) == 19:
                try:
                    record = self.workspace.store.get(normalize_id(student_no[1:]))
                except IdNumberError:
                    record = None
            if record is None:
                raise EscalationError(f"找不到学籍号为 {student_no} 的学生")
            return self._same_name(record, values)
        name = normalize_text(values.get("name"))
        if not name:
            raise EscalationError("姓名为空")
        found = self.by_name.get(name, [])
        school = normalize_text(values.get("school")) or school
        if school:
            found = [r for r in found if (r.get("school") or "") == school]
        row_class = normalize_text(values.get("class_name")) or class_name
        if len(found) > 1 and row_class:
            narrowed = [r for r in found if _same_class(r.get("class_name"), row_class)]
            found = narrowed or found
        where = f"{school}的" if school else ""
        if not found:
            mine = "在您能查看的儿童中" if self.scoped else ""
            raise EscalationError(f"{mine}找不到{where}学生“{name}”：请核对姓名，或在考勤表中加一列身份证号或学籍号")
        if len(found) > 1:
            raise EscalationError(f"{where}有{len(found)}名学生叫“{name}”：请在考勤表中加一列身份证号或学籍号")
        return found[0]

    @staticmethod
    def _same_name(record: dict, values: dict[str, Any]) -> dict:
        name = normalize_text(values.get("name"))
        if name and record.get("name") and name != record["name"]:
            raise EscalationError(f"姓名“{name}”与系统中的“{record['name']}”不一致")
        return record


def _same_class(stored: Any, wanted: str) -> bool:
    digits = re.sub(r"\D", "", str(stored or ""))
    return bool(digits) and digits == re.sub(r"\D", "", wanted)


# --------------------------------------------------------------------------- the days

def _day_columns(grid, year: int, month: int, calendar: SchoolCalendar
                 ) -> tuple[list[tuple[Any, dt.date | None]], list[str]]:
    """(column, date) of the sheet's day columns (None: a day the month does not have), and problems (a
    header of another month)."""
    found: list[tuple[Any, dt.date | None]] = []
    problems: list[str] = []
    for column in grid.days:
        if column.month is not None and column.month != month:
            problems.append(f"{column.letter}列表头“{column.header}”不是{year}年{month}月的日期")
            continue
        try:
            found.append((column, dt.date(year, month, column.day)))
        except ValueError:
            found.append((column, None))          # 31 in a 30-day month: fine while the column is empty
    return found, problems


def _read_marks(grid, row, days, calendar: SchoolCalendar, month: int) -> list[tuple[dt.date, Mark]]:
    """The row's marks on school days; MarkError-like EscalationError listing every bad cell."""
    problems, marks = [], []
    for column, day in days:
        cell = row.cells[column.index] if column.index < len(row.cells) else None
        try:
            mark = parse_mark(cell)
        except MarkError as err:
            problems.append(f"{column.letter}列（{_day_label(column, day, month)}）{err}")
            continue
        if day is None:
            if mark.away:
                problems.append(f"{column.letter}列：{month}月没有{column.day}日，却标了“{mark.text}”")
            continue
        if not calendar.is_school_day(day):
            if mark.away:
                why = calendar.day_off_name(day) if calendar.in_term(day) else "不在学期内"
                problems.append(f"{column.letter}列（{month}月{day.day}日，星期{WEEKDAYS[day.weekday()]}）"
                                f"不是上课日（{why}），却标了“{mark.text}”；请核对校历（kbtui calendar show）")
            continue
        marks.append((day, mark))
    if problems:
        raise EscalationError("；".join(problems))
    return marks


def _day_label(column, day: dt.date | None, month: int) -> str:
    return f"{month}月{day.day}日" if day is not None else column.header


def _filled_through(grid, days, school_days: list[dt.date], today: dt.date) -> dt.date | None:
    """The last school day the sheet tells about. A sheet that marks presence too (√) is filled up to the
    last day anyone has a mark; a sheet that marks absences only (blank = present) up to today (or the
    month's last school day)."""
    marked: set[dt.date] = set()
    presence = False
    for column, day in days:
        if day is None:
            continue
        for row in grid.rows:
            cell = row.cells[column.index] if column.index < len(row.cells) else None
            if cell in (None, "") or not str(cell).strip():
                continue
            marked.add(day)
            try:
                presence = presence or not parse_mark(cell).away
            except MarkError:
                pass
    upto = [d for d in school_days if d <= today]
    if not presence:
        return upto[-1] if upto else None
    filled = [d for d in upto if d <= max(marked, default=dt.date.min)]
    return filled[-1] if filled else None


# --------------------------------------------------------------------------- storing

def _is_open(doc: dict, calendar: SchoolCalendar) -> bool:
    span = span_of(doc, calendar)
    return span is not None and span.last is None


def _apply(workspace: Workspace, record: dict, marks: list[tuple[dt.date, Mark]], first: dt.date, through: dt.date,
           calendar: SchoolCalendar, reporter: str, result: AttendanceImport) -> None:
    """Store one pupil's runs of absence (see the module docstring)."""
    id_number = record["id_number"]
    docs = absences.absences_of(workspace, id_number)
    by_start = {(d["start"], bool(d.get("excused"))): d for d in docs}
    before = [d for d in docs if d["start"] < first.isoformat() and _is_open(d, calendar)]

    def back_on(day: dt.date | None) -> None:
        if day is not None and day <= through:
            cases.record_absence_return(workspace, id_number, day)
            result.returned.append((id_number, day.isoformat()))

    found = runs([(d, m) for d, m in marks if d <= through], calendar)
    if before and not (found and found[0].start == first):
        back_on(min((d for d, m in marks if not m.away and d <= through), default=None))
    for run in found:
        ongoing = run.last >= through
        doc = by_start.get((run.start.isoformat(), run.excused))
        if doc is None and before and run.start == first:
            doc = before[0]                      # the absence of the last sheet goes on
        if doc is None:
            result.added.append(absences.add_absence(
                workspace, id_number, run.start, until=None if ongoing else run.last, excused=run.excused,
                reason=run.reason, reported_by=reporter, source=SOURCE))
            continue
        if not (before and doc is before[0]):
            result.unchanged += 1           # the same absence imported before
        if not ongoing and _is_open(doc, calendar):
            back_on(calendar.next_school_day(run.last))


def import_attendance(workspace: Workspace, path: str | Path, *, month: str | None = None, school: str | None = None,
                      today: dt.date | None = None) -> AttendanceImport:
    """Import every attendance sheet of ``path``; rows refused go to a rejects workbook with their reason."""
    from kbtui.excel.attendance import read_attendance  # heavy: imported where used
    from kbtui.excel.errors import ExcelReadError  # heavy: imported where used

    gate.require(workspace, R.IMPORT, "导入考勤表")
    try:
        grids = read_attendance(path)
    except ExcelReadError as err:
        raise EscalationError(str(err)) from None
    if not grids:
        raise EscalationError(f"文件“{Path(path).name}”中没有考勤表：需要“姓名”列和至少5个日期列（1、2、3……或9月1日）")
    calendar = absences.calendar_of(workspace)
    pupils = _Pupils(workspace)
    schools = list(workspace.profile.schools) + sorted({r["school"] for rs in pupils.by_name.values()
                                                         for r in rs if r.get("school")})
    result = AttendanceImport()
    today = today or dt.date.today()
    for grid in grids:
        year, mon = sheet_month(grid, calendar, month)
        sheet_school = _school_of(grid, schools, school)
        class_name = _class_of(grid)
        days, problems = _day_columns(grid, year, mon, calendar)
        info = SheetResult(grid.sheet, f"{year}-{mon:02d}", sheet_school, class_name, len(grid.rows))
        result.sheets.append(info)
        result.rows += len(grid.rows)
        if problems:
            for row in grid.rows:
                result.rejects.append((grid, row, "；".join(problems)))
            continue
        school_days = sorted(d for _c, d in days if d is not None and calendar.is_school_day(d))
        through = _filled_through(grid, days, school_days, today)
        info.recorded_through = through.isoformat() if through else None
        reporter = f"{SOURCE}（{sheet_school}{class_name}）" if sheet_school or class_name else SOURCE
        seen: dict[str, int] = {}
        for row in grid.rows:
            try:
                record = pupils.find(row.values, sheet_school, class_name)
                if record["id_number"] in seen:
                    raise EscalationError(f"与第{seen[record['id_number']]}行是同一名学生")
                seen[record["id_number"]] = row.number
                marks = _read_marks(grid, row, days, calendar, mon)
                if through is None or not school_days:
                    continue
                _apply(workspace, record, marks, school_days[0], through, calendar, reporter, result)
            except EscalationError as err:
                result.rejects.append((grid, row, f"第{row.number}行：{err}"))
    if result.rejects:
        result.rejects_path = write_rejects(workspace, path, result, today)
    return result


def import_file(workspace: Workspace, path: str | Path, *, month: str | None = None, school: str | None = None,
                today: dt.date | None = None):
    """Import absences from ``path``: daily attendance sheets (a class's month, a mark per day:
    ``import_attendance``) or a list of absences (``absences.import_absences``), whichever it holds."""
    from kbtui.excel.attendance import is_attendance_file  # heavy: imported where used

    if is_attendance_file(path):
        return import_attendance(workspace, path, month=month, school=school, today=today)
    if month:
        raise EscalationError(f"文件“{Path(path).name}”不是考勤表（没有姓名列和日期列），--month 只用于考勤表")
    return absences.import_absences(workspace, path, today=today)


def write_rejects(workspace: Workspace, path: str | Path, result: AttendanceImport, today: dt.date) -> Path:
    """The refused rows under their sheet's title and header (so the file can be fixed and imported
    again), each with its reason and row number; one sheet per attendance sheet."""
    from kbtui.excel.writer import FormSheet, write_form  # heavy: imported where used

    by_grid: dict[int, tuple[Any, list]] = {}
    for grid, row, reason in result.rejects:
        by_grid.setdefault(id(grid), (grid, []))[1].append((row, reason))
    forms = []
    for grid, rows in by_grid.values():
        info = next(s for s in result.sheets if s.sheet == grid.sheet)
        year, month = info.month.split("-")
        columns = [(h or " ", 6 if i in {d.index for d in grid.days} else 12) for i, h in enumerate(grid.headers)]
        columns += [("拒收原因", 50), ("原行号", 8)]
        lines = [[None if c == "" else c for c in row.cells[:len(grid.headers)]] + [reason, row.number]
                 for row, reason in rows]
        title = grid.title or grid.sheet
        if _YEAR_MONTH.search(title) is None:        # the month must be found again on re-import
            title += f"（{int(year)}年{int(month)}月考勤）"
        title += "（未导入的行）"
        forms.append(FormSheet(title, columns, lines, grid.sheet[:28] or "未导入"))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = workspace.folder("rejects") / f"考勤表未导入-{stamp}.xlsx"
    first, rest = forms[0], forms[1:]
    write_form(target, title=first.title, unit=workspace.profile.township, date=today, columns=first.columns,
               rows=first.rows, sheet_title=first.sheet_title, footer=False, sheets=rest,
               subtitle=f"来自“{Path(path).name}”。请按“拒收原因”改正后重新导入本文件（kbtui absence import）",
               properties={"subject": "拒收清单", "description": f"来源：{Path(path).name}"})
    return target
