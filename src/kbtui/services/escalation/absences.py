"""Absences (缺课记录): record, return, import from an Excel list, and group into episodes.

An absence document in ``store.collection("absences")``::

    {key, id_number, name, start, days | until | hours (optional), excused, reason, reported_by,
     returned_on (optional), recorded_on}

``days`` / ``hours`` / ``until`` describe an absence of known length (the child came back afterwards);
without them the child is still away until its return is recorded (``cases.record_absence_return``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain.calendar import SchoolCalendar
from kbtui.domain.escalation import Episode, Span, episodes, span_of
from kbtui.domain.idcard import IdNumberError, normalize_id
from kbtui.domain.normalize import NormalizeError, normalize_text, parse_date, too_long
from kbtui.services import lookup, school_calendar
from kbtui.services.lookup import EscalationError

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

COLLECTION = "absences"

# Headers of an absence list (import source ``absence``): field key → accepted header texts.
ABSENCE_HEADERS: dict[str, list[str]] = {
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "学生身份证号", "证件号码"],
    "name": ["姓名", "学生姓名"],
    "start": ["缺课开始日期", "开始日期", "缺课日期", "缺课起始日期", "未到校日期", "起始日期"],
    "days": ["缺课天数", "天数", "缺课日数", "未到校天数"],
    "hours": ["缺课小时数", "小时数"],
    "until": ["缺课结束日期", "结束日期", "返校前最后一天"],
    "excused": ["是否请假", "请假", "是否履行请假手续"],
    "reason": ["原因", "缺课原因", "未到校原因"],
    "reported_by": ["报告人", "填报人", "报告教师", "班主任"],
}
YES = {"是", "有", "已请假", "请假", "y", "yes", "true", "1", "√", "✓"}
NO = {"", "否", "无", "未请假", "没有", "n", "no", "false", "0", "×"}


def calendar_of(workspace: Workspace) -> SchoolCalendar:
    """The school calendar (national holidays and 调休 with the profile's terms and local days)."""
    try:
        return school_calendar.calendar_of(workspace)
    except ValueError as err:
        raise EscalationError(str(err)) from None


def collection(workspace: Workspace):
    return workspace.store.collection(COLLECTION)


def find_child(workspace: Workspace, id_number: str) -> dict:
    return lookup.find_child(workspace, id_number, EscalationError, "，请先导入或录入该儿童")


def _iso(day: dt.date | str | None) -> str | None:
    if day is None or day == "":
        return None
    if isinstance(day, dt.date):
        return day.isoformat()
    return parse_date(day).isoformat()


def absences_of(workspace: Workspace, id_number: str) -> list[dict]:
    return sorted(collection(workspace).find(id_number=id_number), key=lambda d: (d["start"], d["key"]))


def spans_by_child(workspace: Workspace, calendar: SchoolCalendar | None = None) -> dict[str, list[Span]]:
    calendar = calendar or calendar_of(workspace)
    result: dict[str, list[Span]] = {}
    for doc in collection(workspace).all():
        span = span_of(doc, calendar)
        if span is not None:
            result.setdefault(doc["id_number"], []).append(span)
    return result


def episodes_of(workspace: Workspace, id_number: str, calendar: SchoolCalendar | None = None) -> list[Episode]:
    calendar = calendar or calendar_of(workspace)
    spans = [s for s in (span_of(d, calendar) for d in absences_of(workspace, id_number)) if s]
    return episodes(spans, calendar)


def _open_docs(workspace: Workspace, id_number: str, on: dt.date, calendar: SchoolCalendar) -> list[dict]:
    """Absences of the child still running on ``on`` (no known end, started before ``on``)."""
    found = []
    for doc in absences_of(workspace, id_number):
        span = span_of(doc, calendar)
        if span is not None and span.last is None and span.start < on:
            found.append(doc)
    return found


def add_absence(workspace: Workspace, id_number: str, start: dt.date | str, *, days: int | None = None,
                until: dt.date | str | None = None, hours: int | None = None, excused: bool = False,
                reason: str = "", reported_by: str = "", source: str = "") -> dict:
    """Record one absence of a child; returns the stored document. ``source``: where it was read
    (考勤表 for an attendance sheet)."""
    record = find_child(workspace, id_number)
    given = [n for n, v in (("天数", days), ("结束日期", until), ("小时数", hours)) if v not in (None, "")]
    if len(given) > 1:
        raise EscalationError(f"缺课天数、结束日期、小时数只能填一项，现在填了：{'、'.join(given)}")
    for label, value in (("缺课天数", days), ("缺课小时数", hours)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise EscalationError(f"{label}应为正整数，而不是“{value}”")
    try:
        start_iso = _iso(start)
        until_iso = _iso(until)
    except NormalizeError as err:
        raise EscalationError(str(err)) from None
    if start_iso is None:
        raise EscalationError("缺少缺课开始日期")
    if until_iso and until_iso < start_iso:
        raise EscalationError(f"缺课结束日期 {until_iso} 早于开始日期 {start_iso}")
    calendar = calendar_of(workspace)
    start_day = dt.date.fromisoformat(start_iso)
    if not given and not excused:
        running = [d for d in absences_of(workspace, record["id_number"])
                   if not d.get("excused") and (s := span_of(d, calendar)) is not None and s.last is None]
        if running:
            raise EscalationError(
                f"{record.get('name', '')} 已有一条未返校的缺课记录（自 {running[0]['start']} 起），"
                f"请先记录返校（kbtui absence return）或修改原记录")
    doc = {"id_number": record["id_number"], "name": record.get("name", ""), "start": start_iso,
           "days": days, "until": until_iso, "hours": hours, "excused": bool(excused),
           "reason": normalize_text(reason), "reported_by": normalize_text(reported_by),
           "returned_on": None, "recorded_on": dt.date.today().isoformat()}
    if source:
        doc["source"] = source
    span = span_of(doc, calendar)
    if span is None or next(iter(calendar.school_days(start_day, span.last)), None) is None:
        raise EscalationError(f"{start_iso} 起没有上课日（不在学期内或全是节假日），无需记录缺课")
    return collection(workspace).insert(doc, workspace.operator)


def end_absences(workspace: Workspace, id_number: str, on: dt.date | str, *, required: bool = True
                 ) -> tuple[dict, dt.date, list[dict]]:
    """The child is back at school on ``on``: close every running absence (``required``: refuse when none is
    running). Returns the child, the day and the closed absences. The case side of a return (劝返复学 on an
    open case) is ``cases.record_absence_return``."""
    record = find_child(workspace, id_number)
    try:
        day = dt.date.fromisoformat(_iso(on))  # type: ignore[arg-type]
    except NormalizeError as err:
        raise EscalationError(str(err)) from None
    calendar = calendar_of(workspace)
    docs = _open_docs(workspace, record["id_number"], day, calendar)
    if not docs and required:
        raise EscalationError(f"{record.get('name', '')} 在 {day} 之前没有未返校的缺课记录")
    coll = collection(workspace)
    # base: a return recorded meanwhile by someone else with another date is not overwritten (refused)
    changed = [coll.update(d["key"], {"returned_on": day.isoformat()}, workspace.operator, base=d) for d in docs]
    return record, day, changed


# --------------------------------------------------------------------------- import

@dataclass
class AbsenceImport:
    added: list[dict] = field(default_factory=list)
    rejects: list[tuple[Any, str]] = field(default_factory=list)
    rejects_path: Path | None = None
    rows: int = 0


def _flag(value: Any) -> bool:
    text = normalize_text(value).lower() if not isinstance(value, bool) else ("是" if value else "否")
    if text in YES:
        return True
    if text in NO:
        return False
    raise EscalationError(f"是否请假“{value}”看不懂，请填“是”或“否”")


def _positive_int(value: Any, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = float(normalize_text(value)) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        raise EscalationError(f"{label}“{value}”不是数字") from None
    if number < 1 or not number.is_integer():
        raise EscalationError(f"{label}“{value}”应为正整数")
    return int(number)


def import_absences(workspace: Workspace, path: str | Path, *, today: dt.date | None = None) -> AbsenceImport:
    """Import an Excel absence list (身份证号/姓名/缺课开始日期/缺课天数/是否请假/原因/报告人).

    Good rows are stored; every refused row goes to a rejects workbook in ``rejects/`` with its reason.
    """
    from kbtui.excel.errors import ExcelReadError  # heavy: imported where used
    from kbtui.excel.reader import read_rows  # heavy: imported where used
    from kbtui.excel.rejects import write_rejects  # heavy: imported where used

    try:
        table = read_rows(path, fields=ABSENCE_HEADERS, required=("id_number", "start"))
    except ExcelReadError as err:
        raise EscalationError(str(err)) from None
    result = AbsenceImport(rows=len(table))
    headers = {key: shown for key, (_j, shown) in table.columns.items()}
    for row in table:
        try:
            problem = too_long(row.values, headers)
            if problem:
                raise EscalationError(problem)
            try:
                id_number = normalize_id(row.get("id_number"))
            except IdNumberError as err:
                raise EscalationError(str(err)) from None
            record = workspace.store.get(id_number)
            if record is None:
                raise EscalationError("找不到该身份证号的儿童")
            name = normalize_text(row.get("name", ""))
            if name and record.get("name") and name != record["name"]:
                raise EscalationError(f"姓名“{name}”与系统中的“{record['name']}”不一致")
            try:
                start = parse_date(row.get("start"))
                until = parse_date(row.get("until")) if row.get("until") not in (None, "") else None
            except NormalizeError as err:
                raise EscalationError(str(err)) from None
            doc = add_absence(
                workspace, id_number, start,
                days=_positive_int(row.get("days"), "缺课天数"),
                hours=_positive_int(row.get("hours"), "缺课小时数"), until=until,
                excused=_flag(row.get("excused", "")), reason=row.get("reason", "") or "",
                reported_by=row.get("reported_by", "") or "")
            result.added.append(doc)
        except EscalationError as err:
            result.rejects.append((row, str(err)))
    if result.rejects:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = workspace.folder("rejects") / f"缺课名单未导入-{stamp}.xlsx"
        result.rejects_path = write_rejects(target, table, result.rejects, unit=workspace.profile.township,
                                            date=today or dt.date.today())
    return result
