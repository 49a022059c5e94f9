"""Disabled children's records: record, each after its rules, and read back the disability, the expert
committee's assessment, the placement (安置) and the home-delivery sessions (送教上门).

Collections (``workspace.store.collection``): ``assessments``, ``placements`` (one active per child, the
earlier ones kept with ``active: False``) and ``delivery_sessions``; each document names its child by
``id_number`` (so a scoped operator sees only the documents of children in scope). Every write is journaled.
The child record keeps a summary of the current ``assessment`` and ``placement`` and the ``home_delivery``
totals, so ledgers can be computed from the records alone; a placement that is a studying form (or
免予入学) also sets the child's situation and appends to ``status_history``.

What needs doing (``kbtui placement check``) is found by ``services.disability.placement_check``; the demo's records
are made by ``services.disability.placement_demo``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kbtui.domain.child import Record
from kbtui.domain.disability_info import DisabilityError, normalize_category, normalize_grade, normalize_source
from kbtui.domain.disability_placement import (
    CAN_LEARN_ORDINARY,
    CANNOT_LEARN,
    EXEMPTION,
    HOME_DELIVERY,
    MAINSTREAM,
    NEEDS_HOME_DELIVERY,
    NEEDS_SPECIAL_SCHOOL,
    SPECIAL_SCHOOL,
    Assessment,
    Finding,
    PlacementOption,
    RuleInput,
    normalize_conclusion,
    sorted_options,
)
from kbtui.domain.home_delivery import SESSIONS_COLLECTION, Calendar, FrequencyRule
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.services import lookup
from kbtui.services import school_calendar as school_calendar_service
from kbtui.services.workspace import Workspace, WorkspaceError

ASSESSMENTS = "assessments"
PLACEMENTS = "placements"
SESSIONS = SESSIONS_COLLECTION

RECOMMENDED_BY_CONCLUSION = {
    CAN_LEARN_ORDINARY: MAINSTREAM,
    NEEDS_SPECIAL_SCHOOL: SPECIAL_SCHOOL,
    NEEDS_HOME_DELIVERY: HOME_DELIVERY,
    CANNOT_LEARN: EXEMPTION,
}


class PlacementError(WorkspaceError):
    """A disability, assessment, placement or session that is refused; the message is Chinese."""


# --- small helpers ---------------------------------------------------------------------------------
def parse_day(value: Any, what: str) -> str:
    """An ISO date from what an operator typed (2024-09-03, 2024.9.3, 2024年9月3日 …)."""
    try:
        return parse_date(value).isoformat()
    except NormalizeError as err:
        raise PlacementError(f"{what}：{err}") from None


def split_names(value: str | Sequence[str] | None) -> list[str]:
    """Names given as 张三,李四 / 张三、李四 / 张三 李四 or as a list."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in items:
        for part in str(item).replace("，", ",").replace("、", ",").replace("；", ",").replace(";", ",").split(","):
            names.extend(p for p in part.split() if p)
    return names


def today_or(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def find_child(workspace: Workspace, id_number: str) -> Record:
    return lookup.find_child(workspace, id_number, PlacementError)


def option_named(workspace: Workspace, name: str) -> PlacementOption:
    option = workspace.placements.get(name)
    if option is None:
        names = "、".join(o.name for o in options(workspace))
        raise PlacementError(f"没有名为“{name}”的安置方式，可用的有：{names}")
    return option


def options(workspace: Workspace) -> list[PlacementOption]:
    """Registered placement options in the committee's order of preference."""
    return sorted_options(workspace.placements.values())


def frequency_rule(workspace: Workspace) -> FrequencyRule | None:
    return workspace.profile.settings.home_delivery


def school_calendar(workspace: Workspace) -> Calendar:
    """The terms and holidays home delivery is counted on: the profile's, with the national calendar's
    weekday holidays and the profile's breaks (农忙假 …) added (services.school_calendar)."""
    calendar = workspace.profile.settings.calendar.delivery
    try:
        school = school_calendar_service.calendar_of(workspace)
    except ValueError as err:
        raise PlacementError(str(err)) from None
    extra = {day for day in (school.national.holidays if school.national else ()) if day.weekday() < 5}
    for rest in school.breaks:
        extra.update(rest.start + dt.timedelta(days=i) for i in range((rest.end - rest.start).days + 1))
    return dataclasses.replace(calendar, holidays=calendar.holidays | extra) if extra else calendar


def history_with(record: Record, status: str, date: str, by: str, how: str, note: str) -> list[dict]:
    history = list(record.get("status_history") or [])
    history.append({"status": status, "date": date, "by": by, "how": how, "note": note})
    return history


# --- the disability on the record ------------------------------------------------------------------
def set_disability(workspace: Workspace, id_number: str, *, category: str | None = None,
                   grade: str | None = None, certificate: str | None = None,
                   source: str | None = None) -> Record:
    """Record or correct the disability (category, grade, certificate number, where it was learnt)."""
    record = find_child(workspace, id_number)
    changes: dict[str, Any] = {}
    try:
        if category is not None:
            changes["disability_category"] = normalize_category(category)
        if grade is not None:
            changes["disability_grade"] = normalize_grade(grade)
        if source is not None:
            changes["disability_source"] = normalize_source(source)
    except DisabilityError as err:
        raise PlacementError(str(err)) from None
    if certificate is not None:
        changes["disability_certificate"] = certificate.strip()
    if not changes:
        raise PlacementError("请至少给出残疾类别、等级、残疾证号或来源中的一项")

    def disability(current: Record) -> dict[str, Any]:
        """On the record as it is under the store's lock: key groups added meanwhile stay."""
        if not (changes.get("disability_category") or current.get("disability_category")):
            raise PlacementError("请先填写残疾类别")
        groups = list(current.get("key_groups") or [])
        return {**changes, "key_groups": groups if "残疾" in groups else [*groups, "残疾"]}

    disability(record)      # refused before taking the lock
    return workspace.store.update(record["id_number"], disability, workspace.operator, action="disability")


# --- assessments ----------------------------------------------------------------------------------
def assessments_of(workspace: Workspace, id_number: str) -> list[dict]:
    docs = workspace.store.collection(ASSESSMENTS).find(id_number=id_number)
    return sorted(docs, key=lambda doc: (doc.get("date") or "", doc.get("_at") or ""))


def latest_assessment(workspace: Workspace, id_number: str) -> dict | None:
    found = assessments_of(workspace, id_number)
    return found[-1] if found else None


def assessment_summary(doc: dict) -> dict:
    return {"key": doc["key"], "date": doc.get("date", ""), "conclusion": doc.get("conclusion", ""),
            "recommend": doc.get("recommend", ""), "review_date": doc.get("review_date", ""),
            "members": list(doc.get("members") or [])}


def assess(workspace: Workspace, id_number: str, *, date: Any, members: Any, conclusion: str,
           recommend: str | None = None, review: Any = None, note: str = "") -> dict:
    """Record an assessment by the 残疾人教育专家委员会; the recommendation defaults from the conclusion."""
    record = find_child(workspace, id_number)
    try:
        conclusion = normalize_conclusion(conclusion)
    except DisabilityError as err:
        raise PlacementError(str(err)) from None
    assessment = Assessment(
        child=record["id_number"], date=parse_day(date, "评估日期"), members=tuple(split_names(members)),
        conclusion=conclusion, recommend=(recommend or RECOMMENDED_BY_CONCLUSION[conclusion]).strip(),
        review_date=parse_day(review, "复评日期") if review else "", note=note)
    try:
        assessment.validate(o.name for o in options(workspace))
    except DisabilityError as err:
        raise PlacementError(str(err)) from None
    doc = workspace.store.collection(ASSESSMENTS).insert(assessment.to_doc(), workspace.operator)
    # the latest assessment read under the child's lock: of two assessments saved at once the record keeps
    # the later one's summary, whichever process writes last
    workspace.store.update(record["id_number"],
                           lambda current: {"assessment": assessment_summary(latest_assessment(
                               workspace, current["id_number"]) or doc)},
                           workspace.operator, action="assessment")
    return doc


# --- placements -----------------------------------------------------------------------------------
def _decided(placement: dict) -> tuple[str, str, str]:
    """Which of two placements is the later decision (date, then when it was saved)."""
    return placement.get("date") or "", placement.get("_at") or "", placement.get("key") or ""


def current_placement(workspace: Workspace, id_number: str) -> dict | None:
    active = [p for p in workspace.store.collection(PLACEMENTS).find(id_number=id_number) if p.get("active")]
    return max(active, key=_decided) if active else None


def placement_history(workspace: Workspace, id_number: str) -> list[dict]:
    docs = workspace.store.collection(PLACEMENTS).find(id_number=id_number)
    return sorted(docs, key=lambda p: (p.get("date") or "", p.get("_at") or ""))


@dataclass
class Decision:
    """A placement about to be made (or refused): the document and every failed rule."""

    option: PlacementOption
    doc: dict
    findings: list[Finding]

    @property
    def refused(self) -> list[Finding]:
        return [f for f in self.findings if f.refuse]

    @property
    def flags(self) -> list[Finding]:
        return [f for f in self.findings if not f.refuse]


def decide(workspace: Workspace, id_number: str, option_name: str, *, school: str = "",
           teachers: Any = None, plan: str = "", start: Any = None, date: Any = None,
           evidence: Sequence[str] = (), fields: dict[str, str] | None = None, review: Any = None,
           note: str = "", today: dt.date | None = None) -> Decision:
    """Apply the option's rules without saving anything (used by ``place`` and by the TUI form)."""
    record = find_child(workspace, id_number)
    option = option_named(workspace, option_name)
    if option.situation not in workspace.statuses:
        raise PlacementError(f"安置方式“{option.name}”对应的情况“{option.situation}”未登记，请检查插件")
    assessment = latest_assessment(workspace, record["id_number"])
    decided = parse_day(date, "安置日期") if date else today_or(today).isoformat()
    unknown = sorted(set(fields or {}) - set(option.fields))
    if unknown:
        allowed = "、".join(f"{k}（{v}）" for k, v in option.fields.items()) or "（无）"
        raise PlacementError(f"安置方式“{option.name}”没有字段 {'、'.join(unknown)}，可用的有：{allowed}")
    doc = {
        "id_number": record["id_number"], "option": option.name, "situation": option.situation,
        "date": decided, "school": (school or "").strip(), "teachers": split_names(teachers),
        "plan": (plan or "").strip(),
        "start": parse_day(start, "开始日期") if start else (decided if option.home_delivery else ""),
        "evidence": [e.strip() for e in evidence if e and e.strip()],
        "fields": {k: str(v).strip() for k, v in (fields or {}).items()},
        "review_date": parse_day(review, "复评日期") if review else (assessment or {}).get("review_date", ""),
        "assessment": (assessment or {}).get("key", ""), "note": note, "active": True,
    }
    findings = option.findings(RuleInput(record, doc, assessment, option))
    return Decision(option, doc, findings)


def place(workspace: Workspace, id_number: str, option_name: str, **kwargs: Any) -> Decision:
    """Decide and save a placement; refused with every failing refusing rule named, in Chinese.

    The previous active placement is closed (``active: False``, ``ended``), the child's situation
    becomes the option's situation, and the record keeps a summary of the placement.
    """
    decision = decide(workspace, id_number, option_name, **kwargs)
    if decision.refused:
        reasons = "；".join(f.message for f in decision.refused)
        raise PlacementError(f"不能安置为“{decision.option.name}”：{reasons}")
    doc = dict(decision.doc, flags=[f.message for f in decision.flags])
    child_id = doc["id_number"]
    placements = workspace.store.collection(PLACEMENTS)
    earlier = {p["key"] for p in placements.find(id_number=child_id) if p.get("active")}
    saved = placements.insert(doc, workspace.operator)
    # the placements active before this one end, and so does one saved meanwhile by someone else that is an
    # earlier decision (of two made at once the later one stays, whichever process gets here first)
    for other in placements.find(id_number=child_id):
        if other["key"] != saved["key"] and other.get("active") and (
                other["key"] in earlier or _decided(other) < _decided(saved)):
            placements.update(other["key"], lambda current: {"active": False, "ended": doc["date"]}
                              if current.get("active") else {}, workspace.operator)
    option = decision.option

    def placed(current: Record) -> dict[str, Any]:
        """Under the child's lock: the history keeps every placement's entry, and the situation and summary
        are those of the current placement as it is then (one made at the same moment by someone else may
        be it)."""
        now = current_placement(workspace, child_id) or saved
        now_option = workspace.placements.get(now.get("option", "")) or option
        changes: dict[str, Any] = {
            "status": now_option.situation,
            "status_history": history_with(current, option.situation, doc["date"], workspace.operator,
                                       "专家委员会评估安置" if doc["assessment"] else "安置",
                                       f"安置方式：{option.name}" + (f"；{doc['note']}" if doc["note"] else "")),
            "placement": placement_summary(now),
            "home_delivery": _delivery_totals(workspace, now) if now_option.home_delivery else None,
        }
        if now_option.studying and now.get("school"):
            changes["school"] = now["school"]
        return changes

    workspace.store.update(child_id, placed, workspace.operator, action="placement", detail={"option": option.name})
    return Decision(option, saved, decision.findings)


def placement_summary(doc: dict) -> dict:
    return {k: doc.get(k) for k in ("key", "option", "situation", "date", "school", "teachers", "plan",
                                    "start", "review_date", "fields", "evidence")}


# --- home-delivery sessions ------------------------------------------------------------------------
def sessions_of(workspace: Workspace, id_number: str, placement_key: str | None = None) -> list[dict]:
    docs = workspace.store.collection(SESSIONS).find(id_number=id_number)
    if placement_key:
        docs = [s for s in docs if s.get("placement") == placement_key]
    return sorted(docs, key=lambda s: (s.get("date") or "", s.get("_at") or ""))


def _delivery_totals(workspace: Workspace, placement: dict) -> dict:
    sessions = sessions_of(workspace, placement["id_number"], placement["key"])
    return {"sessions": len(sessions), "periods": sum(int(s.get("periods") or 0) for s in sessions),
            "last": sessions[-1]["date"] if sessions else ""}


def is_home_delivery(workspace: Workspace, placement: dict | None) -> bool:
    if not placement:
        return False
    option = workspace.placements.get(placement.get("option", ""))
    return option.home_delivery if option else placement.get("option") == HOME_DELIVERY


def log_session(workspace: Workspace, id_number: str, *, date: Any, teacher: str, periods: Any,
                content: str = "", today: dt.date | None = None) -> dict:
    """Log one home-delivery session (date, teacher, periods, content) against the active plan."""
    record = find_child(workspace, id_number)
    placement = current_placement(workspace, record["id_number"])
    if placement is None or not is_home_delivery(workspace, placement):
        now = placement.get("option") if placement else "未安置"
        raise PlacementError(f"{record.get('name', '')}当前安置方式为“{now}”，不是送教上门，不能登记送教记录")
    day = parse_day(date, "送教日期")
    if day > today_or(today).isoformat():
        raise PlacementError(f"送教日期 {day} 晚于今天，不能预先登记")
    if placement.get("start") and day < placement["start"]:
        raise PlacementError(f"送教日期 {day} 早于送教开始日期 {placement['start']}")
    teacher = (teacher or "").strip()
    if not teacher:
        raise PlacementError("请填写送教教师")
    try:
        count = int(str(periods).strip())
    except ValueError:
        raise PlacementError(f"课时数“{periods}”应为正整数") from None
    if not 1 <= count <= 12:
        raise PlacementError(f"课时数 {count} 不合理，应在 1 到 12 之间")

    def not_logged_yet(docs: list[Record]) -> None:
        # under the sessions file's lock: the same session logged a moment ago by someone else is seen here
        if any(s.get("id_number") == record["id_number"] and s.get("placement") == placement["key"]
               and s.get("date") == day and s.get("teacher") == teacher for s in docs):
            raise PlacementError(f"{teacher} 在 {day} 已有一条送教记录，不能重复登记")

    not_logged_yet(sessions_of(workspace, record["id_number"], placement["key"]))
    doc = workspace.store.collection(SESSIONS).insert(
        {"id_number": record["id_number"], "placement": placement["key"], "date": day, "teacher": teacher,
         "periods": count, "content": (content or "").strip()}, workspace.operator, check=not_logged_yet)

    def totals(_current: Record) -> dict[str, Any]:
        # counted under the child's lock: a session logged at the same moment by another teacher counts too
        return {"home_delivery": _delivery_totals(workspace, placement)}

    workspace.store.update(record["id_number"], totals, workspace.operator, action="delivery_session")
    return doc
