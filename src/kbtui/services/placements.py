"""Disabled children: record the disability, the expert committee's assessment, the placement (安置),
home-delivery sessions (送教上门), and find what needs doing (``kbtui placement check``).

Collections (``workspace.store.collection``): ``assessments``, ``placements`` (one active per child, the
earlier ones kept with ``active: False``) and ``delivery_sessions``; each document names its child by
``id_number`` (so a scoped operator sees only the documents of children in scope). Every write is journaled.
The child record keeps a summary of the current ``assessment`` and ``placement`` and the ``home_delivery``
totals, so ledgers can be computed from the records alone; a placement that is a studying form (or
免予入学) also sets the child's situation and appends to ``status_history``.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from kbtui.domain import disability as d
from kbtui.domain import status as st
from kbtui.domain.child import Record
from kbtui.domain.idcard import IdNumberError, normalize_id
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.services.workspace import Workspace, WorkspaceError

ASSESSMENTS = "assessments"
PLACEMENTS = "placements"
SESSIONS = d.SESSIONS_COLLECTION

RECOMMENDED_BY_CONCLUSION = {
    d.CAN_LEARN_ORDINARY: d.MAINSTREAM,
    d.NEEDS_SPECIAL_SCHOOL: d.SPECIAL_SCHOOL,
    d.NEEDS_HOME_DELIVERY: d.HOME_DELIVERY,
    d.CANNOT_LEARN: d.EXEMPTION,
}

# Situations that need no placement here: the child is accounted for otherwise (moved away, deceased,
# graduated, abroad, studying elsewhere with 学籍 there …).
NO_PLACEMENT_NEEDED_KINDS = (st.Kind.NOT_DROPOUT, st.Kind.OUTSIDE)
NO_PLACEMENT_NEEDED = frozenset({"外地就读"})


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


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def find_child(workspace: Workspace, id_number: str) -> Record:
    try:
        key = normalize_id(id_number)
    except IdNumberError:
        key = str(id_number).strip()
    record = workspace.store.get(key)
    if record is None:
        raise PlacementError(f"找不到身份证号为 {id_number} 的儿童")
    return record


def option_named(workspace: Workspace, name: str) -> d.PlacementOption:
    option = workspace.placements.get(name)
    if option is None:
        names = "、".join(o.name for o in options(workspace))
        raise PlacementError(f"没有名为“{name}”的安置方式，可用的有：{names}")
    return option


def options(workspace: Workspace) -> list[d.PlacementOption]:
    """Registered placement options in the committee's order of preference."""
    return d.sorted_options(workspace.placements.values())


def frequency_rule(workspace: Workspace) -> d.FrequencyRule | None:
    try:
        return d.FrequencyRule.from_profile(workspace.profile.section("disability"))
    except d.DisabilityError as err:
        raise PlacementError(str(err)) from None


def school_calendar(workspace: Workspace) -> d.Calendar:
    try:
        return d.Calendar.from_profile(workspace.profile.section("calendar"))
    except d.DisabilityError as err:
        raise PlacementError(str(err)) from None


def _history(record: Record, status: str, date: str, by: str, how: str, note: str) -> list[dict]:
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
            changes["disability_category"] = d.normalize_category(category)
        if grade is not None:
            changes["disability_grade"] = d.normalize_grade(grade)
        if source is not None:
            changes["disability_source"] = d.normalize_source(source)
    except d.DisabilityError as err:
        raise PlacementError(str(err)) from None
    if certificate is not None:
        changes["disability_certificate"] = certificate.strip()
    if not changes:
        raise PlacementError("请至少给出残疾类别、等级、残疾证号或来源中的一项")
    if not (changes.get("disability_category") or record.get("disability_category")):
        raise PlacementError("请先填写残疾类别")
    groups = list(record.get("key_groups") or [])
    if "残疾" not in groups:
        changes["key_groups"] = groups + ["残疾"]
    return workspace.store.update(record["id_number"], changes, workspace.operator,
                                  expected_version=record.get("_v"), action="disability")


# --- assessments ----------------------------------------------------------------------------------
def assessments_of(workspace: Workspace, id_number: str) -> list[dict]:
    docs = workspace.store.collection(ASSESSMENTS).find(id_number=id_number)
    return sorted(docs, key=lambda doc: (doc.get("date") or "", doc.get("_at") or ""))


def latest_assessment(workspace: Workspace, id_number: str) -> dict | None:
    found = assessments_of(workspace, id_number)
    return found[-1] if found else None


def _assessment_summary(doc: dict) -> dict:
    return {"key": doc["key"], "date": doc.get("date", ""), "conclusion": doc.get("conclusion", ""),
            "recommend": doc.get("recommend", ""), "review_date": doc.get("review_date", ""),
            "members": list(doc.get("members") or [])}


def assess(workspace: Workspace, id_number: str, *, date: Any, members: Any, conclusion: str,
           recommend: str | None = None, review: Any = None, note: str = "") -> dict:
    """Record an assessment by the 残疾人教育专家委员会; the recommendation defaults from the conclusion."""
    record = find_child(workspace, id_number)
    try:
        conclusion = d.normalize_conclusion(conclusion)
    except d.DisabilityError as err:
        raise PlacementError(str(err)) from None
    assessment = d.Assessment(
        child=record["id_number"], date=parse_day(date, "评估日期"), members=tuple(split_names(members)),
        conclusion=conclusion, recommend=(recommend or RECOMMENDED_BY_CONCLUSION[conclusion]).strip(),
        review_date=parse_day(review, "复评日期") if review else "", note=note)
    try:
        assessment.validate(o.name for o in options(workspace))
    except d.DisabilityError as err:
        raise PlacementError(str(err)) from None
    doc = workspace.store.collection(ASSESSMENTS).insert(assessment.to_doc(), workspace.operator)
    latest = latest_assessment(workspace, record["id_number"])
    if latest and latest["key"] == doc["key"]:
        workspace.store.update(record["id_number"], {"assessment": _assessment_summary(doc)},
                               workspace.operator, action="assessment")
    return doc


# --- placements -----------------------------------------------------------------------------------
def current_placement(workspace: Workspace, id_number: str) -> dict | None:
    active = [p for p in workspace.store.collection(PLACEMENTS).find(id_number=id_number) if p.get("active")]
    return max(active, key=lambda p: (p.get("date") or "", p.get("_at") or "")) if active else None


def placement_history(workspace: Workspace, id_number: str) -> list[dict]:
    docs = workspace.store.collection(PLACEMENTS).find(id_number=id_number)
    return sorted(docs, key=lambda p: (p.get("date") or "", p.get("_at") or ""))


@dataclass
class Decision:
    """A placement about to be made (or refused): the document and every failed rule."""

    option: d.PlacementOption
    doc: dict
    findings: list[d.Finding]

    @property
    def refused(self) -> list[d.Finding]:
        return [f for f in self.findings if f.refuse]

    @property
    def flags(self) -> list[d.Finding]:
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
    decided = parse_day(date, "安置日期") if date else _today(today).isoformat()
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
    findings = option.findings(d.RuleInput(record, doc, assessment, option))
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
    previous = current_placement(workspace, child_id)
    saved = placements.insert(doc, workspace.operator)
    if previous is not None:
        placements.update(previous["key"], {"active": False, "ended": doc["date"]}, workspace.operator)
    record = find_child(workspace, child_id)
    option = decision.option
    changes: dict[str, Any] = {
        "status": option.situation,
        "status_history": _history(record, option.situation, doc["date"], workspace.operator,
                                   "专家委员会评估安置" if doc["assessment"] else "安置",
                                   f"安置方式：{option.name}" + (f"；{doc['note']}" if doc["note"] else "")),
        "placement": placement_summary(saved),
        "home_delivery": _delivery_totals(workspace, saved) if option.home_delivery else None,
    }
    if option.studying and doc["school"]:
        changes["school"] = doc["school"]
    workspace.store.update(child_id, changes, workspace.operator, action="placement",
                           detail={"option": option.name})
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


def _delivery_totals(workspace: Workspace, placement: dict, sessions: list[dict] | None = None) -> dict:
    if sessions is None:
        sessions = sessions_of(workspace, placement["id_number"], placement["key"])
    return {"sessions": len(sessions), "periods": sum(int(s.get("periods") or 0) for s in sessions),
            "last": sessions[-1]["date"] if sessions else ""}


def is_home_delivery(workspace: Workspace, placement: dict | None) -> bool:
    if not placement:
        return False
    option = workspace.placements.get(placement.get("option", ""))
    return option.home_delivery if option else placement.get("option") == d.HOME_DELIVERY


def log_session(workspace: Workspace, id_number: str, *, date: Any, teacher: str, periods: Any,
                content: str = "", today: dt.date | None = None) -> dict:
    """Log one home-delivery session (date, teacher, periods, content) against the active plan."""
    record = find_child(workspace, id_number)
    placement = current_placement(workspace, record["id_number"])
    if not is_home_delivery(workspace, placement):
        now = placement.get("option") if placement else "未安置"
        raise PlacementError(f"{record.get('name', '')}当前安置方式为“{now}”，不是送教上门，不能登记送教记录")
    day = parse_day(date, "送教日期")
    if day > _today(today).isoformat():
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
    earlier = sessions_of(workspace, record["id_number"], placement["key"])
    if any(s.get("date") == day and s.get("teacher") == teacher for s in earlier):
        raise PlacementError(f"{teacher} 在 {day} 已有一条送教记录，不能重复登记")
    doc = workspace.store.collection(SESSIONS).insert(
        {"id_number": record["id_number"], "placement": placement["key"], "date": day, "teacher": teacher,
         "periods": count, "content": (content or "").strip()}, workspace.operator)
    workspace.store.update(record["id_number"],
                           {"home_delivery": _delivery_totals(workspace, placement, [*earlier, doc])},
                           workspace.operator, action="delivery_session")
    return doc


@dataclass
class DeliveryStatus:
    rule: d.FrequencyRule | None
    terms: list[d.TermResult]
    current: d.TermResult | None

    @property
    def behind(self) -> bool:
        return bool(self.current and self.current.behind)

    def describe(self) -> str:
        if self.rule is None:
            return "本地配置未规定送教频次（[disability] home_delivery），未检查"
        if self.current is None:
            return f"送教频次{self.rule.describe()}；尚无应送的教学周"
        return f"送教频次{self.rule.describe()}；{self.current.describe()}"

    def as_dict(self) -> dict:
        return {"rule": self.rule.describe() if self.rule else None, "behind": self.behind,
                "current": self.current.as_dict() if self.current else None,
                "terms": [t.as_dict() for t in self.terms]}


def delivery_status(workspace: Workspace, placement: dict, sessions: list[dict], on: dt.date,
                    rule: d.FrequencyRule | None = None, calendar: d.Calendar | None = None) -> DeliveryStatus:
    rule = rule if rule is not None else frequency_rule(workspace)
    if rule is None:
        return DeliveryStatus(None, [], None)
    calendar = calendar or school_calendar(workspace)
    start = dt.date.fromisoformat(placement.get("start") or placement["date"])
    terms = d.delivery_by_term(rule, calendar, start, sessions, on)
    return DeliveryStatus(rule, terms, d.current_term_result(terms, on))


# --- what needs doing ------------------------------------------------------------------------------
NO_PLACEMENT = "无安置"
NO_ASSESSMENT = "无评估"
REVIEW_DUE = "复评到期"
BEHIND = "送教落后"
FLAGGED = "待补材料"
UNKNOWN_OPTION = "安置方式未登记"
COMPLIANT = "达标"
NOT_NEEDED = "无需安置"        # accounted for otherwise (休学, 迁出, 外地就读 …)
COMPLIANCE_ORDER = (NO_PLACEMENT, BEHIND, REVIEW_DUE, NO_ASSESSMENT, FLAGGED, UNKNOWN_OPTION, COMPLIANT,
                    NOT_NEEDED)


@dataclass(frozen=True)
class Action:
    """Something the responsible person must do for one disabled child."""

    id_number: str
    name: str
    village: str
    kind: str                 # one of COMPLIANCE_ORDER except 达标
    message: str
    responsible: str
    option: str = ""

    def as_dict(self) -> dict:
        return {"id_number": self.id_number, "name": self.name, "village": self.village, "kind": self.kind,
                "message": self.message, "responsible": self.responsible, "option": self.option}


@dataclass
class ChildPlacement:
    """One disabled child of the campaign with its placement state (for lists and the TUI)."""

    record: Record
    situation: str
    assessment: dict | None
    placement: dict | None
    delivery: DeliveryStatus | None
    actions: list[Action] = field(default_factory=list)

    @property
    def compliance(self) -> str:
        kinds = {a.kind for a in self.actions}
        if not kinds and self.placement is None:
            return NOT_NEEDED
        return next((k for k in COMPLIANCE_ORDER if k in kinds), COMPLIANT)

    @property
    def option(self) -> str:
        return (self.placement or {}).get("option") or "未安置"

    def as_dict(self) -> dict:
        r = self.record
        return {"id_number": r.get("id_number"), "name": r.get("name"), "village": r.get("village"),
                "disability_category": r.get("disability_category"), "disability_grade": r.get("disability_grade"),
                "situation": self.situation, "option": self.option,
                "school": (self.placement or {}).get("school", ""),
                "assessment_date": (self.assessment or {}).get("date", ""),
                "review_date": review_date(self.placement, self.assessment),
                "compliance": self.compliance, "delivery": self.delivery.as_dict() if self.delivery else None,
                "actions": [a.as_dict() for a in self.actions]}


def review_date(placement: dict | None, assessment: dict | None) -> str:
    return (placement or {}).get("review_date") or (assessment or {}).get("review_date") or ""


def _responsible(record: Record) -> str:
    return record.get("responsible_edu") or record.get("responsible_gov") or "未指定责任人"


def needs_placement(record: Record, situation: str, statuses: st.StatusRegistry) -> bool:
    if situation == d.EXEMPTION:
        return True
    if situation in NO_PLACEMENT_NEEDED:
        return False
    return statuses.kind_of(situation) not in NO_PLACEMENT_NEEDED_KINDS


def disabled_children(workspace: Workspace, on: dt.date | None = None) -> list[ChildPlacement]:
    """Every disabled child of the campaign cohorts with assessment, placement, delivery and actions."""
    on = _today(on)
    ctx = workspace.context(on)
    statuses = workspace.statuses
    by_child: dict[str, list[dict]] = defaultdict(list)
    for doc in workspace.store.collection(ASSESSMENTS).all():
        by_child[doc.get("id_number", "")].append(doc)
    active: dict[str, dict] = {}
    for doc in workspace.store.collection(PLACEMENTS).all():
        child = doc.get("id_number", "")
        if doc.get("active") and (child not in active or doc.get("date", "") >= active[child].get("date", "")):
            active[child] = doc
    sessions: dict[str, list[dict]] = defaultdict(list)
    for doc in workspace.store.collection(SESSIONS).all():
        sessions[doc.get("placement", "")].append(doc)
    rule, calendar = frequency_rule(workspace), school_calendar(workspace)
    found = []
    for record in workspace.store.all():
        if not d.is_disabled(record):
            continue
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        assessments = sorted(by_child.get(record["id_number"], []), key=lambda a: a.get("date") or "")
        assessment = assessments[-1] if assessments else None
        placement = active.get(record["id_number"])
        delivery = None
        if is_home_delivery(workspace, placement):
            delivery = delivery_status(workspace, placement, sessions.get(placement["key"], []), on, rule, calendar)
        item = ChildPlacement(record, c.situation, assessment, placement, delivery)
        item.actions = _actions(workspace, item, on, statuses)
        found.append(item)
    return sorted(found, key=lambda i: (i.record.get("village") or "", i.record.get("name") or "",
                                        i.record["id_number"]))


def _actions(workspace: Workspace, item: ChildPlacement, on: dt.date, statuses: st.StatusRegistry) -> list[Action]:
    record = item.record
    acts: list[Action] = []

    def add(kind: str, message: str, responsible: str | None = None) -> None:
        acts.append(Action(record["id_number"], record.get("name", ""), record.get("village", ""), kind,
                           message, responsible or _responsible(record), item.option))

    placement, assessment = item.placement, item.assessment
    if placement is None:
        if not needs_placement(record, item.situation, statuses):
            return acts
        if assessment:
            add(NO_PLACEMENT, f"已于{assessment.get('date')}评估（建议{assessment.get('recommend')}），尚未安置，"
                              f"当前情况“{item.situation}”")
        else:
            add(NO_PLACEMENT, f"没有安置记录（当前情况“{item.situation}”）：请提请县残疾人教育专家委员会评估，并按建议安置")
        return acts
    option = workspace.placements.get(placement.get("option", ""))
    if option is None:
        add(UNKNOWN_OPTION, f"安置方式“{placement.get('option')}”未登记（插件已停用？），请重新安置")
        return acts
    if assessment is None:
        add(NO_ASSESSMENT, f"安置为“{option.name}”但没有专家委员会评估，请提请评估")
    review = review_date(placement, assessment)
    if review and review < on.isoformat():
        add(REVIEW_DUE, f"复评日期 {review} 已过，请提请专家委员会复评")
    findings = option.findings(d.RuleInput(record, placement, assessment, option), )
    for finding in findings:
        if finding.rule != "assessment":
            add(FLAGGED, f"{option.name}：{finding.message}")
    if item.delivery is not None and item.delivery.behind:
        who = "、".join(placement.get("teachers") or []) or placement.get("school") or None
        if who and placement.get("school") and placement.get("teachers"):
            who = f"{placement['school']} {who}"
        add(BEHIND, item.delivery.describe(), who)
    return acts


def check(workspace: Workspace, on: dt.date | None = None) -> list[Action]:
    """Every action due for disabled children on ``on`` (default today), worst first within a village."""
    actions = [a for item in disabled_children(workspace, on) for a in item.actions]
    order = {k: i for i, k in enumerate(COMPLIANCE_ORDER)}
    return sorted(actions, key=lambda a: (a.village, order.get(a.kind, 99), a.name, a.id_number))


def roster(workspace: Workspace) -> list[tuple[Record, dict, dict | None]]:
    """The 免予入学 roster: (child, placement, assessment) for every active exemption."""
    rows = []
    exempt = {o.name for o in workspace.placements.values() if o.kind == d.EXEMPT}
    for doc in workspace.store.collection(PLACEMENTS).all():
        if doc.get("active") and doc.get("option") in exempt and doc.get("id_number"):
            record = workspace.store.get(doc["id_number"])
            if record is not None:
                assessment = next((a for a in assessments_of(workspace, doc["id_number"])
                                   if a.get("key") == doc.get("assessment")), None)
                rows.append((record, doc, assessment))
    return sorted(rows, key=lambda r: (r[0].get("village") or "", r[0].get("name") or ""))


def summary(workspace: Workspace, on: dt.date | None = None) -> dict:
    """Counts by placement option and by compliance (for the dashboard and ``placement list``)."""
    items = disabled_children(workspace, on)
    by_option: dict[str, int] = defaultdict(int)
    by_compliance: dict[str, int] = defaultdict(int)
    for item in items:
        by_option[item.option] += 1
        by_compliance[item.compliance] += 1
    return {"children": len(items), "by_option": dict(by_option),
            "by_compliance": {k: by_compliance[k] for k in COMPLIANCE_ORDER if by_compliance.get(k)}}


def child_view(workspace: Workspace, id_number: str, on: dt.date | None = None) -> dict:
    """Everything about one disabled child's placement, JSON-ready (``placement show``, the TUI screen)."""
    on = _today(on)
    record = find_child(workspace, id_number)
    child_id = record["id_number"]
    situation = workspace.context(on).classify(record).situation
    assessments = assessments_of(workspace, child_id)
    placement = current_placement(workspace, child_id)
    sessions = sessions_of(workspace, child_id, placement["key"]) if is_home_delivery(workspace, placement) else []
    delivery = delivery_status(workspace, placement, sessions, on) if is_home_delivery(workspace, placement) else None
    item = ChildPlacement(record, situation, assessments[-1] if assessments else None, placement, delivery)
    item.actions = _actions(workspace, item, on, workspace.statuses) if d.is_disabled(record) else []
    child = {k: record.get(k) or "" for k in ("id_number", "name", "sex", "birth_date", "village", "school",
                                              "student_no", "disability_category", "disability_grade",
                                              "disability_certificate", "guardian", "guardian_phone")}
    child["disability_source"] = d.source_of(record)
    strip = lambda doc: {k: v for k, v in doc.items() if not k.startswith("_")}  # noqa: E731
    return {"on": on.isoformat(), "child": child, "situation": situation,
            "assessments": [strip(a) for a in assessments],
            "placement": strip(placement) if placement else None,
            "history": [strip(p) for p in placement_history(workspace, child_id)],
            "sessions": [strip(s) for s in sessions],
            "delivery": delivery.as_dict() if delivery else None,
            "delivery_text": delivery.describe() if delivery else "",
            "compliance": item.compliance, "actions": [a.as_dict() for a in item.actions]}


def describe_view(view: dict) -> list[str]:
    """``child_view`` as Chinese lines."""
    c = view["child"]
    lines = [f"{c['name']}（{c['id_number']}）{c['sex']} {c['birth_date']} {c['village']}",
             f"残疾：{c['disability_category'] or '未登记'}{c['disability_grade']}  残疾证号 {c['disability_certificate'] or '无'}"
             f"  来源 {c['disability_source'] or '未填'}",
             f"当前情况：{view['situation']}  达标情况：{view['compliance']}"]
    if view["assessments"]:
        a = view["assessments"][-1]
        lines.append(f"评估：{a.get('date')} {a.get('conclusion')}，建议{a.get('recommend')}；"
                     f"成员 {'、'.join(a.get('members') or [])}；复评 {a.get('review_date') or '未定'}")
    else:
        lines.append("评估：无")
    p = view["placement"]
    if p:
        lines.append(f"安置：{p['option']}（{p['date']}）{p.get('school') or ''}"
                     + (f"；复评 {p['review_date']}" if p.get("review_date") else ""))
        if p.get("teachers") or p.get("plan"):
            lines.append(f"送教：教师 {'、'.join(p.get('teachers') or [])}；开始 {p.get('start')}；计划 {p.get('plan')}")
        for key, value in (p.get("fields") or {}).items():
            lines.append(f"  {key}：{value}")
    else:
        lines.append("安置：未安置")
    if view["delivery_text"]:
        lines.append(view["delivery_text"])
    for s in view["sessions"]:
        lines.append(f"  {s['date']} {s.get('teacher')} {s.get('periods')}课时 {s.get('content') or ''}")
    for a in view["actions"]:
        lines.append(f"待办【{a['kind']}】{a['message']}（责任人：{a['responsible']}）")
    return lines


# --- demo data ------------------------------------------------------------------------------------
DEMO_MEMBERS = ["县教育局 王建国", "县残联 刘芳", "县人民医院 陈医生", "县特殊教育学校 周老师"]
DEMO_CONCLUSION = {"随班就读": d.CAN_LEARN_ORDINARY, "特校就读": d.NEEDS_SPECIAL_SCHOOL,
                   "送教上门": d.NEEDS_HOME_DELIVERY}
DEMO_OPTION = {"随班就读": d.MAINSTREAM, "特校就读": d.SPECIAL_SCHOOL, "送教上门": d.HOME_DELIVERY}


def make_demo(workspace: Workspace, plan: Any, rng: Any) -> None:
    """Assessments, placements and home-delivery sessions for the demo's disabled children (batched).

    Most placed children are assessed; a few are left without assessment, one child studying at home is
    exempted, some home deliveries fall behind the profile's rule, and unvisited ones stay unplaced.
    """
    if not len(workspace.placements):      # the disability plugins are disabled
        return
    ctx = workspace.context()
    year = workspace.profile.year
    rule = frequency_rule(workspace) or d.FrequencyRule(1, 2)
    calendar = school_calendar(workspace)
    term = calendar.terms[0] if calendar.terms else (dt.date(year, 9, 1), dt.date(year + 1, 1, 15))
    today = dt.date.today()
    assessments, placements, sessions, updates = [], [], [], []
    exempted = False
    for record in workspace.store.all():
        if not record.get("disability_category") or not ctx.classify(record).in_campaign:
            continue
        situation = record.get("status")
        changes: dict[str, Any] = {"disability_source": rng.choice(("残联", "残联", "入户", "学校"))}
        if situation is None and ctx.classify(record).situation == st.IN_SCHOOL and rng.random() < 0.8:
            situation = "随班就读"              # in an ordinary class on the school list
            changes["status"] = situation
            changes["status_history"] = _history(record, situation, dt.date(year, 9, 2).isoformat(), "demo",
                                                 "专家委员会评估安置", "安置方式：随班就读")
        if situation in DEMO_OPTION:
            option, conclusion = DEMO_OPTION[situation], DEMO_CONCLUSION[situation]
        elif situation is None and not record.get("school") and not exempted:
            exempted = True
            situation, option, conclusion = "免予入学", d.EXEMPTION, d.CANNOT_LEARN
        else:                                   # not visited yet: stays without placement
            updates.append((record["id_number"], changes))
            continue
        assessed = dt.date(year, 6, 10 + rng.randrange(15))
        assessment = None
        if option == d.EXEMPTION or rng.random() < 0.85:
            assessment = {"key": f"demo-a-{record['id_number']}", "id_number": record["id_number"],
                          "date": assessed.isoformat(), "members": DEMO_MEMBERS, "conclusion": conclusion,
                          "recommend": option, "review_date": dt.date(year + 2, 6, 30).isoformat(), "note": ""}
            assessments.append(assessment)
            changes["assessment"] = _assessment_summary(assessment)
        decided = dt.date(year, 9, 2) + dt.timedelta(days=rng.randrange(6))
        school = record.get("school") or (workspace.profile.schools or ["中心小学"])[0]
        if option != d.EXEMPTION and not record.get("student_no"):
            changes.update(school=school, student_no="G" + record["id_number"])
        doc = {"key": f"demo-p-{record['id_number']}", "id_number": record["id_number"], "option": option,
               "situation": situation, "date": decided.isoformat(), "school": "" if option == d.EXEMPTION else school,
               "teachers": [], "plan": "", "start": "", "evidence": [], "fields": {},
               "review_date": assessment["review_date"] if assessment else "",
               "assessment": assessment["key"] if assessment else "", "note": "演示数据", "active": True,
               "flags": []}
        if option == d.SPECIAL_SCHOOL:
            doc["evidence"] = ["特殊教育学校入学通知书"]
        if option == d.EXEMPTION:
            doc["evidence"] = ["监护人申请"]
        if option == d.HOME_DELIVERY:
            teachers = [rng.choice(("张", "李", "王", "刘", "陈")) + "老师" for _ in range(2)]
            start = dt.date(year, 9, 9)
            doc.update(teachers=sorted(set(teachers)), plan="个别化教育计划：生活适应、语文、数学、康复训练",
                       start=start.isoformat(), evidence=["送教上门协议书"])
            behind = rng.random() < 0.35
            own = []
            for week, monday in enumerate(calendar.teaching_weeks(start, term[1], today)):
                for i in range(rule.per_week or 1):
                    if behind and week > 3 and rng.random() < 0.4:
                        continue
                    day = monday + dt.timedelta(days=min(4, i * 2 + rng.randrange(2)))
                    while day in calendar.holidays and day.weekday() < 4:
                        day += dt.timedelta(days=1)
                    own.append({"key": f"demo-s-{record['id_number']}-{week}-{i}", "id_number": record["id_number"],
                                "placement": doc["key"], "date": day.isoformat(),
                                "teacher": rng.choice(doc["teachers"]), "periods": rule.periods or 2,
                                "content": rng.choice(("生活自理训练", "语文：识字", "数学：认识数字", "康复训练",
                                                       "绘画与手工"))})
            sessions.extend(own)
            changes["home_delivery"] = {"sessions": len(own), "periods": sum(s["periods"] for s in own),
                                        "last": own[-1]["date"] if own else ""}
        placements.append(doc)
        changes["placement"] = placement_summary(doc)
        if situation == "免予入学":
            changes["status"] = situation
            changes["status_history"] = _history(record, situation, decided.isoformat(), "demo",
                                                 "专家委员会评估安置", "安置方式：免予入学")
        updates.append((record["id_number"], changes))
    store, operator = workspace.store, workspace.operator
    store.collection(ASSESSMENTS).insert_many(assessments, operator)
    store.collection(PLACEMENTS).insert_many(placements, operator)
    store.collection(SESSIONS).insert_many(sessions, operator)
    store.apply_many(updates, operator, action="demo")

