"""Cases (一生一案): one case per absent child, its persuasion attempts, return and closing.

A case document in ``store.collection("cases")``::

    {key, id_number, name, status (open | returned | closed), opened_on, opened_how, ladder,
     reason, support_plan [..], persuader, attempts [{date, by, how, result, refused, note}],
     rungs [{ladder, rung, label, date, episode}], legal_start, documents [{step, title, date, file}],
     returned_on, return_school, closed_on, outcome}

The child's situation changes go through ``store.update`` (journaled), appending to
``record["status_history"]`` a dict {status, date, by, how, note}.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

from kbtui.domain.escalation import (
    CASE_CLOSED, CASE_OPEN, CASE_RETURNED, CASE_STATUS_LABELS, RETURNED, SUPPORT_KINDS, stronger_mark,
)
from kbtui.domain import roles as R
from kbtui.domain.normalize import NormalizeError, normalize_text, parse_date
from kbtui.domain.status import DROPOUT_REASONS
from kbtui.services import access, gate
from kbtui.services.absences import EscalationError, _child
from kbtui.store import StoreError

COLLECTION = "cases"
ATTEMPT_HOWS = ("家访", "电话", "约谈", "双线联合劝返", "书面通知", "其他")


def collection(workspace: Any):
    return workspace.store.collection(COLLECTION)


def _day(value: dt.date | str | None, default: dt.date | None = None) -> dt.date:
    if value is None or value == "":
        return default or dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(value)
    except NormalizeError as err:
        raise EscalationError(str(err)) from None


# --------------------------------------------------------------------------- reading

def all_cases(workspace: Any) -> list[dict]:
    return sorted(collection(workspace).all(), key=lambda c: (c.get("opened_on") or "", c["key"]))


def cases_of(workspace: Any, id_number: str) -> list[dict]:
    return sorted(collection(workspace).find(id_number=id_number), key=lambda c: c.get("opened_on") or "")


def open_case_of(workspace: Any, id_number: str) -> dict | None:
    """The child's case that is not closed yet (there is at most one), or None."""
    for case in cases_of(workspace, id_number):
        if case.get("status") != CASE_CLOSED:
            return case
    return None


def find_case(workspace: Any, key: str) -> dict:
    """A case by its key, a unique key prefix, or the child's ID number (its current/last case)."""
    key = str(key).strip()
    coll = collection(workspace)
    case = coll.get(key)
    if case is not None:
        return case
    by_child = cases_of(workspace, key.upper())
    if by_child:
        return open_case_of(workspace, key.upper()) or by_child[-1]
    matches = [c for c in coll.all() if c["key"].startswith(key)] if key else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise EscalationError(f"编号“{key}”对应多个案卷，请写完整的案卷编号")
    raise EscalationError(f"找不到案卷“{key}”（可用 kbtui case list 查看案卷编号）")


def status_label(case: dict) -> str:
    return CASE_STATUS_LABELS.get(case.get("status", ""), case.get("status", ""))


# --------------------------------------------------------------------------- the child's situation

def set_situation(workspace: Any, id_number: str, status: str, on: dt.date, how: str, note: str = "",
                  reason: str | None = None) -> dict:
    """Change the child's situation (journaled), appending to its status history."""
    record = workspace.store.get(id_number)
    if record is None:
        raise EscalationError(f"找不到身份证号为 {id_number} 的儿童")
    history = list(record.get("status_history") or [])
    history.append({"status": status, "date": on.isoformat(), "by": workspace.operator, "how": how,
                    "note": note})
    changes: dict[str, Any] = {"status": status, "status_history": history}
    if reason:
        changes["status_reason"] = reason
    return workspace.store.update(id_number, changes, workspace.operator, action="escalation",
                                  detail={"how": how})


def mark(workspace: Any, id_number: str, status: str, on: dt.date, how: str) -> bool:
    """Mark 疑似辍学 / 辍学 unless the child already has that mark or a stronger one."""
    record = workspace.store.get(id_number) or {}
    if not stronger_mark(record.get("status"), status):
        return False
    set_situation(workspace, id_number, status, on, how)
    return True


def sync_child(workspace: Any, id_number: str, how: str, **fields: Any) -> None:
    """Copy case facts the ledgers print onto the child record (``absence_from``, ``persuader``,
    ``persuasion``, ``status_reason``), journaled, only when they change."""
    record = workspace.store.get(id_number) or {}
    changes = {k: v for k, v in fields.items() if v is not None and record.get(k) != v}
    if changes:
        workspace.store.update(id_number, changes, workspace.operator, action="escalation", detail={"how": how})


def _last_attempt(case: dict) -> str | None:
    attempts = case.get("attempts") or []
    if not attempts:
        return None
    a = attempts[-1]
    return f"{a['date']} {a['by']}{a['how']}：{a['result']}（共{len(attempts)}次）"


# --------------------------------------------------------------------------- writing cases

def _new_key(on: dt.date, taken: Iterable[str]) -> str:
    prefix = f"C{on:%Y%m%d}-"
    used = {k for k in taken if k.startswith(prefix)}
    n = len(used) + 1
    while f"{prefix}{n:03d}" in used:
        n += 1
    return f"{prefix}{n:03d}"


def _check_reason(reason: str) -> str:
    reason = normalize_text(reason)
    if reason and reason not in DROPOUT_REASONS:
        raise EscalationError(f"原因“{reason}”不在规定的列表中，可选：{'、'.join(DROPOUT_REASONS)}")
    return reason


def _check_support(support: Iterable[str]) -> list[str]:
    return [s for s in (normalize_text(x) for x in support) if s]


def open_case(workspace: Any, id_number: str, *, on: dt.date | str | None = None, reason: str = "",
              support: Iterable[str] = (), persuader: str = "", ladder: str = "", how: str = "手动立案",
              rung: dict | None = None) -> dict:
    """Open the child's case (一生一案). Refused when the child already has one that is not closed."""
    record = _child(workspace, id_number)
    day = _day(on)
    existing = open_case_of(workspace, record["id_number"])
    if existing is not None:
        raise EscalationError(f"{record.get('name', '')} 已有未销号的案卷 {existing['key']}（{status_label(existing)}）")
    doc = {"id_number": record["id_number"], "name": record.get("name", ""), "status": CASE_OPEN,
           "opened_on": day.isoformat(), "opened_how": how, "ladder": ladder,
           "reason": _check_reason(reason), "support_plan": _check_support(support),
           "persuader": normalize_text(persuader), "attempts": [], "rungs": [rung] if rung else [],
           "legal_start": None, "documents": [], "returned_on": None, "return_school": "",
           "closed_on": None, "outcome": ""}
    coll = collection(workspace)
    for _attempt in range(20):
        doc["key"] = _new_key(day, (c["key"] for c in coll.all()))
        try:
            case = coll.insert(doc, workspace.operator)
            break
        except StoreError as err:
            if "已存在" not in str(err):
                raise
    else:  # pragma: no cover - twenty concurrent openings on one day
        raise EscalationError("案卷编号冲突，请重试")
    sync_child(workspace, record["id_number"], "立案", status_reason=doc["reason"] or None,
               persuader=doc["persuader"] or None)
    return case


def _require_open(case: dict, doing: str) -> None:
    if case.get("status") == CASE_CLOSED:
        raise EscalationError(f"案卷 {case['key']} 已销号，不能再{doing}")


def update_case(workspace: Any, key: str, *, reason: str | None = None, support: Iterable[str] | None = None,
                persuader: str | None = None) -> dict:
    case = find_case(workspace, key)
    _require_open(case, "修改")
    changes: dict[str, Any] = {}
    if reason is not None:
        changes["reason"] = _check_reason(reason)
    if support is not None:
        changes["support_plan"] = _check_support(support)
    if persuader is not None:
        changes["persuader"] = normalize_text(persuader)
    case = collection(workspace).update(case["key"], changes, workspace.operator)
    sync_child(workspace, case["id_number"], "修改案卷", status_reason=changes.get("reason") or None,
               persuader=changes.get("persuader"))
    return case


def add_attempt(workspace: Any, key: str, *, on: dt.date | str | None = None, by: str = "", how: str = "",
                result: str = "", refused: bool = False, note: str = "", rung: str | None = None) -> dict:
    """Record one persuasion attempt (date, who, how, result). ``refused``: the guardian refused to send
    the child back; it starts the legal ladder on that date (if the profile uses one).
    ``rung`` ("ladder:rung" or "rung"): the due action this attempt carries out."""
    case = find_case(workspace, key)
    _require_open(case, "记录劝返")
    if case.get("status") == CASE_RETURNED:
        raise EscalationError(f"案卷 {case['key']} 的儿童已劝返复学，请销号（kbtui case close）")
    day = _day(on)
    attempt = {"date": day.isoformat(), "by": normalize_text(by) or workspace.operator,
               "how": normalize_text(how) or "家访", "result": normalize_text(result),
               "refused": bool(refused), "note": normalize_text(note)}
    if not attempt["result"]:
        raise EscalationError("请填写劝返结果（如：监护人同意下周送返、拒绝、无法联系）")
    changes: dict[str, Any] = {"attempts": list(case.get("attempts") or []) + [attempt]}
    if refused and not case.get("legal_start"):
        changes["legal_start"] = day.isoformat()
    case = collection(workspace).update(case["key"], changes, workspace.operator)
    sync_child(workspace, case["id_number"], "劝返", persuasion=_last_attempt(case))
    if rung:
        from kbtui.services import escalation

        ladder_id, _, rung_id = rung.rpartition(":")
        escalation.record_done(workspace, case["id_number"], rung_id, ladder=ladder_id or None, on=day,
                               by=attempt["by"], note=f"{attempt['how']}：{attempt['result']}")
    return case


def record_return(workspace: Any, key: str, on: dt.date | str | None = None, *, school: str = "",
                  _from_absence: bool = False) -> dict:
    """劝返复学: the child is back at ``school`` on ``on``; running absences end that day."""
    case = find_case(workspace, key)
    _require_open(case, "记录复学")
    if case.get("status") == CASE_RETURNED:
        raise EscalationError(f"案卷 {case['key']} 已记录劝返复学（{case.get('returned_on')}）")
    day = _day(on)
    record = _child(workspace, case["id_number"])
    school = normalize_text(school) or record.get("school") or ""
    if not school:
        raise EscalationError("请填写复学学校（--school）")
    case = collection(workspace).update(
        case["key"], {"status": CASE_RETURNED, "returned_on": day.isoformat(), "return_school": school},
        workspace.operator)
    set_situation(workspace, case["id_number"], RETURNED, day, "劝返复学", note=f"复学学校：{school}")
    if not record.get("school"):
        workspace.store.update(case["id_number"], {"school": school}, workspace.operator, action="escalation",
                               detail={"how": "劝返复学"})
    if not _from_absence:
        from kbtui.services import absences

        absences.record_return(workspace, case["id_number"], day, school=school, _from_case=True)
    return case


def close_case(workspace: Any, key: str, on: dt.date | str | None = None, *, outcome: str = "") -> dict:
    """动态销号: close the case. A returned child's case closes with outcome 劝返复学; otherwise an
    outcome must be given (e.g. 经评估免予入学, 户籍迁出). The case stays in the history."""
    case = find_case(workspace, key)
    _require_open(case, "销号")
    day = _day(on)
    outcome = normalize_text(outcome)
    if case.get("status") != CASE_RETURNED and not outcome:
        raise EscalationError(f"案卷 {case['key']} 尚未记录劝返复学；请先记录复学（kbtui case return），"
                              f"或用 --outcome 写明其他结果后销号")
    outcome = outcome or f"劝返复学（{case.get('returned_on')}，{case.get('return_school')}）"
    case = collection(workspace).update(
        case["key"], {"status": CASE_CLOSED, "closed_on": day.isoformat(), "outcome": outcome},
        workspace.operator)
    record = workspace.store.get(case["id_number"]) or {}
    set_situation(workspace, case["id_number"], record.get("status") or RETURNED, day, "动态销号",
                  note=f"案卷 {case['key']} 销号：{outcome}")
    return case


def note_rung(workspace: Any, case: dict, entry: dict) -> dict:
    """Add a rung reached (ladder, rung, label, date, episode) to the case unless already there."""
    rungs = list(case.get("rungs") or [])
    ident = (entry["ladder"], entry["rung"], entry.get("episode"))
    if any((r.get("ladder"), r.get("rung"), r.get("episode")) == ident for r in rungs):
        return case
    rungs.append(entry)
    rungs.sort(key=lambda r: r.get("date") or "")
    return collection(workspace).update(case["key"], {"rungs": rungs}, workspace.operator)


def note_document(workspace: Any, case: dict, entry: dict) -> dict:
    """Note a document on the case (the same step written again the same day replaces the entry)."""
    documents = [d for d in case.get("documents") or []
                 if (d.get("step"), d.get("date")) != (entry.get("step"), entry.get("date"))] + [entry]
    return collection(workspace).update(case["key"], {"documents": documents}, workspace.operator)


# --------------------------------------------------------------------------- ledgers

def ledger_extra(workspace: Any) -> dict[str, Any]:
    """What the escalation ledgers read from ``LedgerContext.extra``: each child's current (or last)
    case under ``"cases"``, the first day of its absence episode under ``"absence_start"``."""
    from kbtui.services import absences

    cases: dict[str, dict] = {}
    for case in all_cases(workspace):
        current = cases.get(case["id_number"])
        if current is None or current.get("status") == CASE_CLOSED:
            cases[case["id_number"]] = case
    starts: dict[str, str] = {}
    calendar = absences.calendar_of(workspace)
    for id_number, spans in absences.spans_by_child(workspace, calendar).items():
        from kbtui.domain.escalation import episodes

        found = episodes(spans, calendar)
        if found:
            starts[id_number] = (found[-1].start or found[-1].first).isoformat()
    return {"cases": cases, "absence_start": starts}


def attempts_text(case: dict | None) -> str:
    if not case:
        return ""
    return "；".join(f"{a['date']} {a['by']} {a['how']}：{a['result']}" for a in case.get("attempts") or [])



# --------------------------------------------------------------------------- printable forms

def _cn(day: dt.date | str | None) -> str:
    if not day:
        return "    年  月  日"
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def _child_line(record: dict) -> str:
    parts = [record.get("name", ""), record.get("sex", ""), f"身份证号 {record.get('id_number', '')}"]
    if record.get("birth_date"):
        parts.append(f"{_cn(record['birth_date'])}出生")
    return "，".join(p for p in parts if p)


def _school_line(record: dict) -> str:
    return "".join(record.get(k) or "" for k in ("school", "grade", "class_name")) or "（学校）"


def document_steps(workspace: Any) -> list[tuple[str, Any, Any]]:
    """(ladder id, ladder, rung) of every rung that produces a document, the profile's ladders first."""
    from kbtui.services import escalation

    seen = set()
    result = []
    ladders = []
    try:
        ladders = escalation.profile_ladders(workspace)
    except EscalationError:
        pass
    for ladder in ladders + list(workspace.ladders.values()):
        for rung in ladder.rungs:
            if rung.document and (ladder.id, rung.id) not in seen:
                seen.add((ladder.id, rung.id))
                result.append((ladder.id, ladder, rung))
    return result


def document_text(workspace: Any, case: dict, step: str, on: dt.date) -> tuple[str, list[str], Any]:
    """(title, paragraphs, rung) of a legal document for the case."""
    steps = document_steps(workspace)
    ladder_id, _, rung_id = step.rpartition(":")
    matches = [(lid, ladder, rung) for lid, ladder, rung in steps
               if (rung.id == rung_id or rung.document == rung_id) and (not ladder_id or lid == ladder_id)]
    if not matches:
        names = "、".join(f"{r.id}（{r.document}）" for _l, _ld, r in steps) or "（无）"
        raise EscalationError(f"没有名为“{step}”的文书步骤，可用的有：{names}")
    _lid, ladder, rung = matches[0]
    record = access.export_record(workspace, workspace.store.get(case["id_number"])
                                  or {"id_number": case["id_number"]})
    profile = workspace.profile
    town = f"{profile.township}人民政府"
    guardian = record.get("guardian") or "（监护人）"
    phone = record.get("guardian_phone") or ""
    address = record.get("current_address") or record.get("household_address") or ""
    deadline = on + dt.timedelta(days=rung.notice_days) if rung.notice_days else None
    attempts = case.get("attempts") or []
    refused = case.get("legal_start")
    extra = ledger_extra(workspace)
    started = extra["absence_start"].get(case["id_number"]) or case.get("opened_on")
    facts = (f"你的子女（被监护人）{_child_line(record)}，系{_school_line(record)}学生"
             f"{'，住' + address if address else ''}。该生自{_cn(started)}起无正当理由未到校接受义务教育，"
             f"学校和镇村干部已劝返{len(attempts)}次"
             + (f"，你于{_cn(refused)}明确拒绝送其返校" if refused else "") + "。")
    previous = {d.get("step"): d for d in case.get("documents") or []}
    if rung.id == "order" or rung.document == "责令限期改正通知书":
        body = [
            f"{guardian}（监护人{('，联系电话 ' + phone) if phone else ''}）：",
            facts,
            "依照《中华人民共和国义务教育法》第五条、第十一条和第五十八条的规定，适龄儿童、少年的父母或者"
            "其他法定监护人无正当理由未依照本法规定送适龄儿童、少年入学接受义务教育的，由当地乡镇人民政府"
            "或者县级人民政府教育行政部门给予批评教育，责令限期改正。",
            f"现责令你于{_cn(deadline)}前将{record.get('name', '')}送回{_school_line(record)}就读，"
            "并配合学校做好复学工作。逾期不改正的，将报请司法机关依法发放督促监护令；情节严重的，依法追究法律责任。",
        ]
        issuer = town
    elif rung.id == "supervision" or rung.document == "督促监护令":
        order = previous.get("order")
        body = [
            f"{guardian}（监护人{('，联系电话 ' + phone) if phone else ''}）：",
            facts,
            (f"{town}已于{_cn(order['date'])}向你下达责令限期改正通知书（限{_cn(order.get('deadline'))}前改正），"
             if order else f"{town}已责令你限期改正，") + "你逾期仍未送其返校。",
            "依照《中华人民共和国义务教育法》《中华人民共和国未成年人保护法》《中华人民共和国家庭教育促进法》"
            "的规定，现督促你依法履行监护职责，"
            f"于{_cn(deadline)}前送{record.get('name', '')}返校就读，保证其完成义务教育。",
            "拒不履行的，将依法追究法律责任。",
        ]
        issuer = f"{profile.township}司法所"
    else:
        body = [
            f"{profile.county or ''}司法局、{profile.county or ''}教育局：",
            f"{record.get('name', '')}（{_child_line(record)}）的监护人{guardian}"
            f"{('（住' + address + '）') if address else ''}，经批评教育、责令限期改正和督促监护令，"
            f"仍拒不送子女返校接受义务教育（已劝返{len(attempts)}次）。",
            "依照《中华人民共和国义务教育法》第五十八条等规定，特提请依法追究其法律责任。",
            "附：劝返情况记录、责令限期改正通知书、督促监护令（复印件）。",
        ]
        issuer = town
    body.append("")
    body.append(f"{issuer}（盖章）")
    body.append(_cn(on))
    body.append("")
    body.append("送达人：              受送达人（签名）：              送达日期：    年  月  日")
    return rung.document or rung.label, body, (rung, deadline)


def write_document(workspace: Any, key: str, step: str, path: str | Path, on: dt.date | str | None = None) -> Path:
    """Write the legal step's document for the case as a printable .xlsx (or .txt) and note it on the case.

    Issuing a document is a change to the case (roles that may not change data are refused before anything
    is written); the file is an export: private, journaled, with who/what/scope/when in its properties."""
    gate.require(workspace, R.WRITE, "制发法律文书")
    case = find_case(workspace, key)
    day = _day(on)
    title, body, (rung, deadline) = document_text(workspace, case, step, day)
    target = Path(path)

    def write(properties: dict[str, str]) -> int:
        if target.suffix.lower() in (".txt", ".text"):
            from kbtui.store.storage import atomic_write

            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, (title + "\n\n" + "\n".join(body) + "\n").encode("utf-8"))
        else:
            _write_letter(target, title, body, properties)
        return 1

    access.export_file(workspace, title, target, write, properties={"subject": "法律文书"},
                       detail={"case": case["key"], "step": rung.id})
    note_document(workspace, case, {"step": rung.id, "title": title, "date": day.isoformat(),
                                    "deadline": deadline.isoformat() if deadline else None,
                                    "file": str(target)})
    # issuing the document is the step's action
    from kbtui.services import escalation

    try:
        escalation.record_done(workspace, case["id_number"], rung.id, on=day, note=f"已制发{title}")
    except EscalationError:
        pass      # not reached by the legal ladder (yet), or already recorded
    return target


def _write_letter(target: Path, title: str, body: list[str], properties: dict[str, str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from kbtui.excel.writer import atomic_save, clean_text, is_risky, set_properties

    wb = Workbook()
    ws = wb.active
    ws.title = "文书"
    ws.column_dimensions["A"].width = 90
    ws["A1"] = clean_text(title)
    ws["A1"].font = Font(size=18, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 36
    for i, text in enumerate(body, 3):
        cell = ws.cell(row=i, column=1, value=clean_text(text) if text else None)
        if is_risky(text):
            cell.data_type = "s"
            cell.quotePrefix = True
        cell.font = Font(size=12)
        cell.alignment = Alignment(wrap_text=True, vertical="top",
                                   horizontal="right" if text.endswith(("（盖章）", "日")) and len(text) < 30 else "left")
        ws.row_dimensions[i].height = max(20, 18 * (len(text) // 42 + 1))
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    set_properties(wb, title, properties)
    atomic_save(wb, target)


def write_case_record(workspace: Any, key: str, path: str | Path, today: dt.date | None = None) -> Path:
    """The 劝返情况记录 workbook of one case: the child, reason, support plan, persuader, every attempt,
    the rungs reached with dates and the outcome, with the usual footer. An export: ID and phone numbers
    masked for roles that may not see them, private, journaled, who/what/scope/when in its properties."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from kbtui.excel.writer import atomic_save, clean_text, is_risky, set_properties

    case = find_case(workspace, key)
    record = access.export_record(workspace, workspace.store.get(case["id_number"])
                                  or {"id_number": case["id_number"]})
    profile = workspace.profile
    today = today or dt.date.today()
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    wb = Workbook()
    ws = wb.active
    ws.title = "劝返情况记录"
    widths = (6, 14, 14, 12, 34, 20)
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[chr(64 + col)].width = width
    row = 1

    def put(r: int, c: int, value: Any, *, bold: bool = False, span: int = 1, framed: bool = True) -> None:
        if isinstance(value, str):
            value = clean_text(value)
        cell = ws.cell(row=r, column=c, value=value if value not in ("", None) else None)
        if is_risky(value):
            cell.data_type = "s"
            cell.quotePrefix = True
        cell.alignment = wrap
        if bold:
            cell.font = Font(bold=True)
        if span > 1:
            ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + span - 1)
        if framed:
            for k in range(c, c + span):
                ws.cell(row=r, column=k).border = border

    ws.cell(row=1, column=1, value=f"{profile.township}义务教育阶段学生劝返情况记录").font = Font(size=16, bold=True)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.merge_cells("A1:F1")
    put(2, 1, f"填报单位：{profile.township}    案卷编号：{case['key']}    填报日期：{_cn(today)}", span=6,
        framed=False)
    row = 3
    support = "、".join(case.get("support_plan") or [])
    info = [
        ("学生姓名", record.get("name", ""), "身份证号", record.get("id_number", "")),
        ("性别", record.get("sex", ""), "出生日期", record.get("birth_date", "")),
        ("就读学校", record.get("school", ""), "年级班级", f"{record.get('grade') or ''}{record.get('class_name') or ''}"),
        ("户籍地址", record.get("household_address", ""), "现住址", record.get("current_address", "")),
        ("监护人", record.get("guardian", ""), "联系电话", record.get("guardian_phone", "")),
        ("辍学原因", case.get("reason", ""), "劝返责任人", case.get("persuader", "")),
        ("立案日期", case.get("opened_on", ""), "立案方式", case.get("opened_how", "")),
        ("帮扶措施", support, "当前状态", status_label(case)),
    ]
    for a, b, c, d in info:
        put(row, 1, a, bold=True, span=2)
        put(row, 3, b)
        put(row, 4, c, bold=True)
        put(row, 5, d, span=2)
        row += 1
    row += 1
    put(row, 1, "劝返记录", bold=True, span=6, framed=False)
    row += 1
    for col, header in enumerate(("序号", "劝返日期", "劝返人", "方式", "劝返结果", "备注"), 1):
        put(row, col, header, bold=True)
    row += 1
    for n, attempt in enumerate(case.get("attempts") or [], 1):
        note = attempt.get("note", "")
        if attempt.get("refused"):
            note = ("监护人拒绝送返；" + note).rstrip("；")
        for col, value in enumerate((n, attempt["date"], attempt["by"], attempt["how"], attempt["result"], note), 1):
            put(row, col, value)
        row += 1
    if not case.get("attempts"):
        put(row, 1, "（尚无劝返记录）", span=6)
        row += 1
    row += 1
    put(row, 1, "逐级处置", bold=True, span=6, framed=False)
    row += 1
    for col, header in enumerate(("序号", "到达日期", "流程", "步骤", "文书", ""), 1):
        put(row, col, header, bold=True)
    row += 1
    docs = {d.get("step"): d for d in case.get("documents") or []}
    for n, rung in enumerate(case.get("rungs") or [], 1):
        ladder = workspace.ladders.get(rung["ladder"])
        doc = docs.get(rung["rung"])
        values = (n, rung["date"], ladder.title if ladder else rung["ladder"], rung.get("label", rung["rung"]),
                  f"{doc['title']}（{doc['date']}）" if doc else "", "")
        for col, value in enumerate(values, 1):
            put(row, col, value)
        row += 1
    row += 1
    outcome = case.get("outcome") or ("劝返复学" if case.get("returned_on") else "劝返中")
    put(row, 1, "处理结果", bold=True, span=2)
    put(row, 3, f"{outcome}" + (f"；复学日期 {case['returned_on']}，复学学校 {case.get('return_school', '')}"
                                if case.get("returned_on") else "")
        + (f"；{case['closed_on']} 动态销号" if case.get("closed_on") else ""), span=4)
    row += 2
    put(row, 1, "填表人：            审核人：            联系电话：            "
        f"填表日期：{_cn(today)}", span=6, framed=False)
    ws.print_title_rows = None
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0

    def write(properties: dict[str, str]) -> int:
        set_properties(wb, "劝返情况记录", properties)
        atomic_save(wb, path)
        return 1

    access.export_file(workspace, "劝返情况记录", path, write, properties={"subject": "劝返情况记录"},
                       detail={"case": case["key"]})
    return Path(path)
