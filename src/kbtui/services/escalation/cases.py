"""Cases (一生一案): one case per absent child, its persuasion attempts, return and closing.

A case document in ``store.collection("cases")``::

    {key, id_number, name, status (open | returned | closed), opened_on, opened_how, ladder,
     reason, support_plan [..], persuader, attempts [{date, by, how, result, refused, note}],
     rungs [{ladder, rung, label, date, episode}], legal_start, documents [{step, title, date, file}],
     returned_on, return_school, closed_on, outcome}

The child's situation changes go through ``store.update`` (journaled), appending to
``record["status_history"]`` a dict {status, date, by, how, note}.

The printable forms of a case (legal documents, the 劝返情况记录 workbook) are written by
``services.escalation.case_forms``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kbtui.domain.escalation import (
    CASE_CLOSED,
    CASE_OPEN,
    CASE_RETURNED,
    CASE_STATUS_LABELS,
    RETURNED,
    episodes,
    stronger_mark,
)
from kbtui.domain.normalize import normalize_text
from kbtui.domain.status import DROPOUT_REASONS
from kbtui.errors import StoreError
from kbtui.services.escalation import absences
from kbtui.services.lookup import EscalationError, parse_day

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

COLLECTION = "cases"


def collection(workspace: Workspace):
    return workspace.store.collection(COLLECTION)


# --------------------------------------------------------------------------- reading

def all_cases(workspace: Workspace) -> list[dict]:
    return sorted(collection(workspace).all(), key=lambda c: (c.get("opened_on") or "", c["key"]))


def cases_of(workspace: Workspace, id_number: str) -> list[dict]:
    return sorted(collection(workspace).find(id_number=id_number), key=lambda c: c.get("opened_on") or "")


def open_case_of(workspace: Workspace, id_number: str) -> dict | None:
    """The child's case that is not closed yet (there is at most one), or None."""
    for case in cases_of(workspace, id_number):
        if case.get("status") != CASE_CLOSED:
            return case
    return None


def find_case(workspace: Workspace, key: str) -> dict:
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

def _situation_changes(workspace: Workspace, current: dict, status: str, on: dt.date, how: str, note: str = "",
                       reason: str | None = None) -> dict[str, Any]:
    entry = {"status": status, "date": on.isoformat(), "by": workspace.operator, "how": how, "note": note}
    changes: dict[str, Any] = {"status": status, "status_history": [*(current.get("status_history") or []), entry]}
    if reason:
        changes["status_reason"] = reason
    return changes


def set_situation(workspace: Workspace, id_number: str, status: str | None, on: dt.date, how: str, note: str = "",
                  reason: str | None = None) -> dict:
    """Change the child's situation (journaled), appending to its status history under the store's lock (a
    visit saved meanwhile stays in the history). ``status`` None keeps the situation the child has then
    (劝返复学 when it has none)."""
    if workspace.store.get(id_number) is None:
        raise EscalationError(f"找不到身份证号为 {id_number} 的儿童")
    return workspace.store.update(
        id_number, lambda current: _situation_changes(workspace, current, status or current.get("status") or RETURNED,
                                                      on, how, note, reason),
        workspace.operator, action="escalation", detail={"how": how})


def mark(workspace: Workspace, id_number: str, status: str, on: dt.date, how: str) -> bool:
    """Mark 疑似辍学 / 辍学 unless the child already has that mark or a stronger one (as the record is under
    the store's lock)."""
    if workspace.store.get(id_number) is None:
        raise EscalationError(f"找不到身份证号为 {id_number} 的儿童")
    marked = [False]

    def changes(current: dict) -> dict[str, Any]:
        marked[0] = stronger_mark(current.get("status"), status)
        return _situation_changes(workspace, current, status, on, how) if marked[0] else {}

    workspace.store.update(id_number, changes, workspace.operator, action="escalation", detail={"how": how})
    return marked[0]


def sync_child(workspace: Workspace, id_number: str, how: str, **fields: Any) -> None:
    """Copy case facts the ledgers print onto the child record (``absence_from``, ``persuader``,
    ``persuasion``, ``status_reason``), journaled, only when they change. A value may be a function (no
    arguments), read under the store's lock: a fact other operators may be changing at the same time."""
    def changes(current: dict) -> dict[str, Any]:
        values = {k: v() if callable(v) else v for k, v in fields.items()}
        return {k: v for k, v in values.items() if v is not None and current.get(k) != v}

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


def open_case(workspace: Workspace, id_number: str, *, on: dt.date | str | None = None, reason: str = "",
              support: Iterable[str] = (), persuader: str = "", ladder: str = "", how: str = "手动立案",
              rung: dict | None = None) -> dict:
    """Open the child's case (一生一案). Refused when the child already has one that is not closed."""
    record = absences.find_child(workspace, id_number)
    day = parse_day(on)

    def no_open_case(docs: list[dict]) -> None:
        # under the cases file's lock: another operator's opening a moment ago is seen here
        for existing in docs:
            if existing.get("id_number") == record["id_number"] and existing.get("status") != CASE_CLOSED:
                raise EscalationError(f"{record.get('name', '')} 已有未销号的案卷 {existing['key']}"
                                      f"（{status_label(existing)}）")

    no_open_case(cases_of(workspace, record["id_number"]))
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
            case = coll.insert(doc, workspace.operator, check=no_open_case)
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


def _require_not_returned(case: dict) -> None:
    _require_open(case, "记录劝返")
    if case.get("status") == CASE_RETURNED:
        raise EscalationError(f"案卷 {case['key']} 的儿童已劝返复学，请销号（kbtui case close）")


def _require_returnable(case: dict) -> None:
    _require_open(case, "记录复学")
    if case.get("status") == CASE_RETURNED:
        raise EscalationError(f"案卷 {case['key']} 已记录劝返复学（{case.get('returned_on')}）")


def _edit_case(workspace: Workspace, case: dict, changes: Any, **kwargs: Any) -> dict:
    """Save changes of a case, worked out under the collection's lock on the case as it is then (the checks
    in ``changes`` see a closing or a return saved meanwhile by someone else; see ``store.edits``)."""
    return collection(workspace).update(case["key"], changes, workspace.operator, **kwargs)


def update_case(workspace: Workspace, key: str, *, reason: str | None = None, support: Iterable[str] | None = None,
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

    def edit(current: dict) -> dict[str, Any]:
        _require_open(current, "修改")
        return changes

    # base: a field another operator changed meanwhile (to another value) refuses the edit
    case = _edit_case(workspace, case, edit, base=case)
    sync_child(workspace, case["id_number"], "修改案卷", status_reason=changes.get("reason") or None,
               persuader=changes.get("persuader"))
    return case


def add_attempt(workspace: Workspace, key: str, *, on: dt.date | str | None = None, by: str = "", how: str = "",
                result: str = "", refused: bool = False, note: str = "") -> dict:
    """Record one persuasion attempt (date, who, how, result). ``refused``: the guardian refused to send
    the child back; it starts the legal ladder on that date (if the profile uses one). An attempt that
    carries out a due action of a ladder is ``escalation.add_attempt``."""
    case = find_case(workspace, key)
    _require_not_returned(case)
    day = parse_day(on)
    attempt = {"date": day.isoformat(), "by": normalize_text(by) or workspace.operator,
               "how": normalize_text(how) or "家访", "result": normalize_text(result),
               "refused": bool(refused), "note": normalize_text(note)}
    if not attempt["result"]:
        raise EscalationError("请填写劝返结果（如：监护人同意下周送返、拒绝、无法联系）")

    def add(current: dict) -> dict[str, Any]:
        _require_not_returned(current)
        changes: dict[str, Any] = {"attempts": [*(current.get("attempts") or []), attempt]}
        if refused and not current.get("legal_start"):
            changes["legal_start"] = day.isoformat()
        return changes

    case = _edit_case(workspace, case, add)
    case_key = case["key"]
    sync_child(workspace, case["id_number"], "劝返",
               persuasion=lambda: _last_attempt(collection(workspace).get(case_key) or case))
    return case


def record_return(workspace: Workspace, key: str, on: dt.date | str | None = None, *, school: str = "",
                  _from_absence: bool = False) -> dict:
    """劝返复学: the child is back at ``school`` on ``on``; running absences end that day."""
    case = find_case(workspace, key)
    _require_returnable(case)
    day = parse_day(on)
    record = absences.find_child(workspace, case["id_number"])
    school = normalize_text(school) or record.get("school") or ""
    if not school:
        raise EscalationError("请填写复学学校（--school）")

    def back(current: dict) -> dict[str, Any]:
        _require_returnable(current)
        return {"status": CASE_RETURNED, "returned_on": day.isoformat(), "return_school": school}

    case = _edit_case(workspace, case, back)
    set_situation(workspace, case["id_number"], RETURNED, day, "劝返复学", note=f"复学学校：{school}")
    workspace.store.update(case["id_number"], lambda current: {} if current.get("school") else {"school": school},
                           workspace.operator, action="escalation", detail={"how": "劝返复学"})
    if not _from_absence:
        absences.end_absences(workspace, case["id_number"], day, required=False)
    return case


def record_absence_return(workspace: Workspace, id_number: str, on: dt.date | str, *, school: str | None = None
                          ) -> list[dict]:
    """The child is back at school on ``on``: close every running absence. If the child has an open
    case, it records 劝返复学 on the case too (and the situation change)."""
    record, day, changed = absences.end_absences(workspace, id_number, on)
    case = open_case_of(workspace, record["id_number"])
    if case is not None and case.get("status") == "open":
        record_return(workspace, case["key"], day, school=school or record.get("school") or "原就读学校",
                      _from_absence=True)
    return changed


def close_case(workspace: Workspace, key: str, on: dt.date | str | None = None, *, outcome: str = "") -> dict:
    """动态销号: close the case. A returned child's case closes with outcome 劝返复学; otherwise an
    outcome must be given (e.g. 经评估免予入学, 户籍迁出). The case stays in the history."""
    case = find_case(workspace, key)
    _require_open(case, "销号")
    day = parse_day(on)
    given = normalize_text(outcome)

    def close(current: dict) -> dict[str, Any]:
        _require_open(current, "销号")
        if current.get("status") != CASE_RETURNED and not given:
            raise EscalationError(f"案卷 {current['key']} 尚未记录劝返复学；请先记录复学（kbtui case return），"
                                  f"或用 --outcome 写明其他结果后销号")
        ending = given or f"劝返复学（{current.get('returned_on')}，{current.get('return_school')}）"
        return {"status": CASE_CLOSED, "closed_on": day.isoformat(), "outcome": ending}

    close(case)         # refused before anything is written
    case = _edit_case(workspace, case, close)
    set_situation(workspace, case["id_number"], None, day, "动态销号",
                  note=f"案卷 {case['key']} 销号：{case['outcome']}")
    return case


def note_rung(workspace: Workspace, case: dict, entry: dict) -> dict:
    """Add a rung reached (ladder, rung, label, date, episode) to the case unless already there."""
    ident = (entry["ladder"], entry["rung"], entry.get("episode"))

    def add(current: dict) -> dict[str, Any]:
        rungs = list(current.get("rungs") or [])
        if any((r.get("ladder"), r.get("rung"), r.get("episode")) == ident for r in rungs):
            return {}
        return {"rungs": sorted([*rungs, entry], key=lambda r: r.get("date") or "")}

    return _edit_case(workspace, case, add)


def note_document(workspace: Workspace, case: dict, entry: dict) -> dict:
    """Note a document on the case (the same step written again the same day replaces the entry)."""
    same = (entry.get("step"), entry.get("date"))
    return _edit_case(workspace, case, lambda current: {"documents": [
        *(d for d in current.get("documents") or [] if (d.get("step"), d.get("date")) != same), entry]})


# --------------------------------------------------------------------------- ledgers

def ledger_extra(workspace: Workspace) -> dict[str, Any]:
    """What the escalation ledgers read from ``LedgerContext.extra``: each child's current (or last)
    case under ``"cases"``, the first day of its absence episode under ``"absence_start"``."""
    cases: dict[str, dict] = {}
    for case in all_cases(workspace):
        current = cases.get(case["id_number"])
        if current is None or current.get("status") == CASE_CLOSED:
            cases[case["id_number"]] = case
    starts: dict[str, str] = {}
    calendar = absences.calendar_of(workspace)
    for id_number, spans in absences.spans_by_child(workspace, calendar).items():
        found = episodes(spans, calendar)
        if found:
            starts[id_number] = (found[-1].start or found[-1].first).isoformat()
    return {"cases": cases, "absence_start": starts}


