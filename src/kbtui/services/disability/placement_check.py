"""What each disabled child of the campaign still needs (``kbtui placement check``): whether home delivery
keeps to the profile's frequency, the actions due (无安置, 送教落后, 复评到期 …), and the lists, counts, 免予入学
roster and one-child view built on them. Reads only; the records are written by ``services.disability.placements``.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from kbtui.domain import status as st
from kbtui.domain.child import Record
from kbtui.domain.disability_info import is_disabled, source_of
from kbtui.domain.disability_placement import EXEMPT, EXEMPTION, RuleInput
from kbtui.domain.home_delivery import Calendar, FrequencyRule, TermResult, current_term_result, delivery_by_term
from kbtui.services.disability.placements import (
    ASSESSMENTS,
    PLACEMENTS,
    SESSIONS,
    assessments_of,
    current_placement,
    find_child,
    frequency_rule,
    is_home_delivery,
    placement_history,
    school_calendar,
    sessions_of,
    today_or,
)
from kbtui.services.workspace import Workspace

__all__ = [
    "NO_PLACEMENT_NEEDED_KINDS", "NO_PLACEMENT_NEEDED", "DeliveryStatus", "delivery_status",
    "NO_PLACEMENT", "NO_ASSESSMENT", "REVIEW_DUE", "BEHIND", "FLAGGED", "UNKNOWN_OPTION", "COMPLIANT",
    "NOT_NEEDED", "COMPLIANCE_ORDER", "Action", "ChildPlacement", "review_date", "needs_placement",
    "disabled_children", "check", "roster", "summary", "child_view", "describe_view",
]

# Situations that need no placement here: the child is accounted for otherwise (moved away, deceased,
# graduated, abroad, studying elsewhere with 学籍 there …).
NO_PLACEMENT_NEEDED_KINDS = (st.Kind.NOT_DROPOUT, st.Kind.OUTSIDE)
NO_PLACEMENT_NEEDED = frozenset({"外地就读"})


# --- is home delivery on schedule ------------------------------------------------------------------
@dataclass
class DeliveryStatus:
    rule: FrequencyRule | None
    terms: list[TermResult]
    current: TermResult | None

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
                    rule: FrequencyRule | None = None, calendar: Calendar | None = None) -> DeliveryStatus:
    rule = rule if rule is not None else frequency_rule(workspace)
    if rule is None:
        return DeliveryStatus(None, [], None)
    calendar = calendar or school_calendar(workspace)
    start = dt.date.fromisoformat(placement.get("start") or placement["date"])
    terms = delivery_by_term(rule, calendar, start, sessions, on)
    return DeliveryStatus(rule, terms, current_term_result(terms, on))


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
    if situation == EXEMPTION:
        return True
    if situation in NO_PLACEMENT_NEEDED:
        return False
    return statuses.kind_of(situation) not in NO_PLACEMENT_NEEDED_KINDS


def disabled_children(workspace: Workspace, on: dt.date | None = None) -> list[ChildPlacement]:
    """Every disabled child of the campaign cohorts with assessment, placement, delivery and actions."""
    on = today_or(on)
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
        if not is_disabled(record):
            continue
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        assessments = sorted(by_child.get(record["id_number"], []), key=lambda a: a.get("date") or "")
        assessment = assessments[-1] if assessments else None
        placement = active.get(record["id_number"])
        delivery = None
        if placement is not None and is_home_delivery(workspace, placement):
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
            add(NO_PLACEMENT,
                f"没有安置记录（当前情况“{item.situation}”）：请提请县残疾人教育专家委员会评估，并按建议安置")
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
    findings = option.findings(RuleInput(record, placement, assessment, option), )
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
    exempt = {o.name for o in workspace.placements.values() if o.kind == EXEMPT}
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
    on = today_or(on)
    record = find_child(workspace, id_number)
    child_id = record["id_number"]
    situation = workspace.context(on).classify(record).situation
    assessments = assessments_of(workspace, child_id)
    placement = current_placement(workspace, child_id)
    sessions: list[dict] = []
    delivery = None
    if placement is not None and is_home_delivery(workspace, placement):
        sessions = sessions_of(workspace, child_id, placement["key"])
        delivery = delivery_status(workspace, placement, sessions, on)
    item = ChildPlacement(record, situation, assessments[-1] if assessments else None, placement, delivery)
    item.actions = _actions(workspace, item, on, workspace.statuses) if is_disabled(record) else []
    child = {k: record.get(k) or "" for k in ("id_number", "name", "sex", "birth_date", "village", "school",
                                              "student_no", "disability_category", "disability_grade",
                                              "disability_certificate", "guardian", "guardian_phone")}
    child["disability_source"] = source_of(record)
    strip = lambda doc: {k: v for k, v in doc.items() if not k.startswith("_")}  # noqa: E731
    option = workspace.placements.get(placement["option"]) if placement else None
    return {"on": on.isoformat(), "child": child, "situation": situation,
            "field_labels": dict(option.fields) if option is not None else {},
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
             f"残疾：{c['disability_category'] or '未登记'}{c['disability_grade']}  残疾证号 "
             f"{c['disability_certificate'] or '无'}"
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
            lines.append(f"送教：教师 {'、'.join(p.get('teachers') or [])}；开始 {p.get('start')}；计划 "
                         f"{p.get('plan')}")
        labels = view.get("field_labels") or {}
        for key, value in (p.get("fields") or {}).items():
            lines.append(f"  {labels.get(key, key)}：{value}")
    else:
        lines.append("安置：未安置")
    if view["delivery_text"]:
        lines.append(view["delivery_text"])
    for s in view["sessions"]:
        lines.append(f"  {s['date']} {s.get('teacher')} {s.get('periods')}课时 {s.get('content') or ''}")
    for a in view["actions"]:
        lines.append(f"待办【{a['kind']}】{a['message']}（责任人：{a['responsible']}）")
    return lines
