"""The early-warning list (辍学风险预警名单) of the current campaign.

``risk_list`` scores every campaign child of the operator's scope (``domain.risk``, the profile's ``[risk]``
over the registered factors) as of a day and keeps those at the lowest level or above, most at risk first;
a child whose factors clear leaves the list by itself. Each entry carries its score factor by factor, its
结对帮扶 helper, its planned home visit and its open case. The work the list turns into is
``services.risk.risk_work``, its weekly trend ``services.risk.risk_trend``, its printable form
``services.risk.risk_export``.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kbtui.domain.escalation import CASE_CLOSED, Span, span_of
from kbtui.domain.risk import (
    ChildFacts,
    RiskContext,
    RiskError,
    RiskScore,
    RiskSettings,
    episodes_as_of,
    on_list,
    score,
)
from kbtui.services import lookup
from kbtui.services.campaign import tasks
from kbtui.services.campaign.campaigns import current_campaign_id
from kbtui.services.children.places import Place, find_village, village_label
from kbtui.services.escalation import absences, cases
from kbtui.services.lookup import EscalationError

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

PAIRINGS = "pairings"          # 结对帮扶 (services.risk.risk_work)


def settings(workspace: Workspace) -> RiskSettings:
    """The profile's ``[risk]`` over the registered factors (RiskError, in Chinese, for a wrong setting)."""
    risk = workspace.profile.settings.risk
    return RiskSettings.of(risk.levels, risk.factors, dict(workspace.risk_factors.items()))


def pairing_key(campaign_id: str, id_number: str) -> str:
    return f"{campaign_id}:{id_number}"


# --------------------------------------------------------------------------- the list

@dataclass
class RiskEntry:
    record: dict
    result: RiskScore
    helper: dict | None = None          # the pairing document (结对帮扶)
    visit: dict | None = None           # the planned home visit (a task)
    case: dict | None = None            # the child's case not closed yet

    @property
    def id_number(self) -> str:
        return self.record["id_number"]

    @property
    def level(self) -> str:
        return self.result.level or ""

    @property
    def helper_name(self) -> str:
        return (self.helper or {}).get("helper") or ""

    def factors_text(self, sep: str = "；") -> str:
        return sep.join(f"{h.label}+{h.points}" for h in self.result.hits)

    def work_text(self) -> str:
        """What is being done: the open case, the planned visit."""
        parts = []
        if self.case:
            parts.append(f"案卷{self.case['key']}（{cases.status_label(self.case)}）")
        if self.visit:
            due = (self.visit.get("due") or "")[:10]
            state = "已家访" if self.visit.get("state") == tasks.DONE else f"家访{due}前"
            parts.append(state + (f"（{self.visit['visitor']}）" if self.visit.get("visitor") else ""))
        return "；".join(parts)

    def as_dict(self) -> dict[str, Any]:
        r = self.record
        return {"id_number": r["id_number"], "name": r.get("name") or "", "sex": r.get("sex") or "",
                "village": r.get("village") or "", "group": r.get("group") or "", "school": r.get("school") or "",
                "grade": r.get("grade") or "", "class_name": r.get("class_name") or "",
                "responsible_gov": r.get("responsible_gov") or "", "responsible_edu": r.get("responsible_edu") or "",
                "score": self.result.score, "level": self.level,
                "factors": [h.as_dict() for h in self.result.hits],
                "helper": self.helper_name, "visit_due": (self.visit or {}).get("due"),
                "visit_state": (self.visit or {}).get("state"), "case": (self.case or {}).get("key")}


@dataclass
class RiskList:
    today: dt.date
    campaign: str
    settings: RiskSettings
    entries: list[RiskEntry]
    scored: int                         # campaign children looked at
    warnings: list[str] = field(default_factory=list)
    district: bool = False              # a district's villages are counted with their town (城头镇新村)

    def counts(self) -> dict[str, int]:
        found = {name: 0 for name, _threshold in self.settings.levels}
        for entry in self.entries:
            found[entry.level] += 1
        return found

    def by_village(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        district = self.district
        for entry in self.entries:
            village = village_label(entry.record, district) or "（未分村）"
            counts = found.setdefault(village, {name: 0 for name, _t in self.settings.levels})
            counts[entry.level] += 1
        return dict(sorted(found.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))

    def levels_text(self) -> str:
        return "，".join(f"{name}≥{threshold}分" for name, threshold in self.settings.levels)

    def summary(self) -> str:
        counts = "，".join(f"{name} {n}" for name, n in self.counts().items())
        return f"预警 {len(self.entries)} 人（{counts}）"

    def find(self, id_number: str) -> RiskEntry | None:
        return next((e for e in self.entries if e.id_number == id_number), None)


class Survey:
    """What scoring reads, gathered once: the records in scope, their absences, cases, helpers, visits."""

    def __init__(self, workspace: Workspace, today: dt.date, records: list[dict] | None = None) -> None:
        self.workspace = workspace
        self.settings = settings(workspace)
        self.calendar = absences.calendar_of(workspace)
        self.ctx = workspace.context(today)
        if records is None:
            workspace.store.refresh()
        self.records = list(workspace.store.all()) if records is None else records
        self.spans: dict[str, list[Span]] = defaultdict(list)
        self.absence_docs: dict[str, list[dict]] = defaultdict(list)
        for doc in absences.collection(workspace).all():
            self.absence_docs[doc["id_number"]].append(doc)
            span = span_of(doc, self.calendar)
            if span is not None:
                self.spans[doc["id_number"]].append(span)
        self.cases: dict[str, list[dict]] = defaultdict(list)
        for case in cases.all_cases(workspace):
            self.cases[case["id_number"]].append(case)
        self.campaign = current_campaign_id(workspace)
        self._candidates: list[tuple[dict, str, Any]] | None = None

    @cached_property
    def helpers(self) -> dict[str, dict]:
        """The campaign's 结对帮扶 helpers by ID number (read when an entry is made: the trend needs none)."""
        return {d["id_number"]: d for d in self.workspace.store.collection(PAIRINGS).find(campaign=self.campaign)
                if d.get("helper")}

    @cached_property
    def visits(self) -> dict[str, dict]:
        """The planned home visits by ID number (read when an entry is made)."""
        return tasks.planned_visits(self.workspace)

    def candidates(self) -> list[tuple[dict, str, Any]]:
        """(record, situation, kind) of the campaign children that may be on the list (classified once)."""
        if self._candidates is None:
            self._candidates = self.classified(self.records)
        return self._candidates

    def classified(self, records: Iterable[dict]) -> list[tuple[dict, str, Any]]:
        """(record, situation, kind) of those of ``records`` that may be on the list."""
        kind_of = self.workspace.statuses.kind_of
        found = []
        for record in records:
            c = self.ctx.classify(record)
            kind = kind_of(c.situation)
            if on_list(kind, c.in_campaign):
                found.append((record, c.situation, kind))
        return found

    def score_on(self, day: dt.date, candidates: list[tuple[dict, str, Any]] | None = None,
                 ) -> list[tuple[dict, RiskScore]]:
        """(record, score) of every campaign child that may be on the list (or of ``candidates``, from
        ``classified``), as of ``day``."""
        rctx = RiskContext(day, self.calendar, self.ctx.profile)
        iso = day.isoformat()
        found = []
        for record, situation, kind in self.candidates() if candidates is None else candidates:
            id_number = record["id_number"]
            spans = self.spans.get(id_number)
            docs = self.absence_docs.get(id_number)
            own_cases = self.cases.get(id_number)
            facts = ChildFacts(
                record, situation, kind, rctx,
                episodes_as_of(spans, self.calendar, day) if spans else (),
                tuple(d for d in docs if str(d.get("start")) <= iso) if docs else (),
                tuple(k for k in own_cases if str(k.get("opened_on") or "") <= iso) if own_cases else ())
            found.append((record, score(facts, self.settings)))
        return found

    def entry(self, record: dict, result: RiskScore) -> RiskEntry:
        id_number = record["id_number"]
        open_case = next((c for c in reversed(self.cases.get(id_number, [])) if c.get("status") != CASE_CLOSED), None)
        return RiskEntry(record, result, self.helpers.get(id_number), self.visits.get(id_number), open_case)


def _matches(record: dict, helper: dict | None, *, place: Place | None, school: str | None,
             person: str | None) -> bool:
    if place is not None and not place.holds(record):
        return False
    if school and (record.get("school") or "") != school:
        return False
    if person:
        name = person.partition("@")[0]
        people = {str(record.get(k) or "").partition("@")[0] for k in ("responsible_gov", "responsible_edu")}
        people.add(str((helper or {}).get("helper") or "").partition("@")[0])
        if name not in people:
            return False
    return True


def risk_list(workspace: Workspace, today: dt.date | None = None, *, village: str | None = None,
              school: str | None = None, person: str | None = None, level: str | None = None,
              town: str | None = None) -> RiskList:
    """The children at risk in the operator's scope as of ``today``, most at risk first.

    ``village`` / ``school`` / ``town`` (a district's) keep one village, school or town, ``person`` the
    children whose responsible person (either line) or helper it is, ``level`` one level. Raises RiskError
    or EscalationError (Chinese)."""
    today = today or dt.date.today()
    survey = Survey(workspace, today)
    check_level(survey.settings, level)
    scored = survey.score_on(today)
    warnings = {error for _record, result in scored for error in result.errors}
    return list_of(survey, [(r, s) for r, s in scored if s.listed], len(scored), warnings,
                   village=village, school=school, person=person, level=level, town=town)


def check_level(settings: RiskSettings, level: str | None) -> None:
    """A level asked for that the settings do not have: a Chinese refusal."""
    if level and level not in dict(settings.levels):
        raise RiskError(f"没有“{level}”这个预警等级，可用的有：{'、'.join(n for n, _t in settings.levels)}")


def list_of(survey: Survey, listed: Iterable[tuple[dict, RiskScore]], scored: int, warnings: Iterable[str], *,
            village: str | None = None, school: str | None = None, person: str | None = None,
            level: str | None = None, town: str | None = None) -> RiskList:
    """The list from the children scored at a level (``listed``), filtered, most at risk first."""
    order = {name: i for i, (name, _t) in enumerate(survey.settings.levels)}
    place = find_village(survey.workspace, village, RiskError, town)     # 城头镇新村 (or 城头镇) in a district
    entries = []
    for record, result in listed:
        if level and result.level != level:
            continue
        entry = survey.entry(record, result)
        if _matches(record, entry.helper, place=place, school=school, person=person):
            entries.append(entry)
    entries.sort(key=lambda e: (order[e.level], -e.result.score, e.record.get("village") or "",
                                e.record.get("name") or "", e.id_number))
    return RiskList(survey.ctx.today, survey.campaign, survey.settings, entries, scored, sorted(warnings),
                    survey.workspace.profile.district is not None)


def child_risk(workspace: Workspace, id_number: str, today: dt.date | None = None) -> RiskEntry:
    """One child's score as of ``today``, on the list or not (``entry.result.listed``)."""
    record = find_child(workspace, id_number)
    survey = Survey(workspace, today or dt.date.today(), records=[record])
    scored = survey.score_on(survey.ctx.today)
    result = scored[0][1] if scored else RiskScore(0, None, ())
    return survey.entry(record, result)


def explain(entry: RiskEntry) -> list[str]:
    """The entry's score, factor by factor, what is being done, and whom to call (the numbers are masked
    where shown, for the operator: ``services.access.disclosure``)."""
    r = entry.record
    lines = [f"{r.get('name', '')}（{r.get('village') or '未分村'}，{r.get('school') or '学校未填'}"
             f"{' ' + r['grade'] if r.get('grade') else ''}）  预警等级：{entry.level}  评分：{entry.result.score}",
             f"身份证号：{r['id_number']}　监护人：{r.get('guardian') or '未填'}　电话："
             f"{r.get('guardian_phone') or '未填'}"]
    lines += [f"  {hit.explain()}" for hit in entry.result.hits]
    people = [f"政府线 {r['responsible_gov']}" if r.get("responsible_gov") else "",
              f"教育线 {r['responsible_edu']}" if r.get("responsible_edu") else ""]
    lines.append("责任人：" + ("，".join(p for p in people if p) or "未分配"))
    lines.append(f"结对帮扶：{entry.helper_name or '未安排'}"
                 + (f"（自 {entry.helper['since']}）" if entry.helper and entry.helper.get("since") else ""))
    work = entry.work_text()
    if work:
        lines.append(f"已采取：{work}")
    return lines


def find_child(workspace: Workspace, id_number: str) -> dict:
    """The child in the operator's scope, or a Chinese refusal (not found / outside the scope)."""
    require = getattr(workspace.store, "require", None)
    if require is not None:
        return require(lookup.child_key(id_number))
    return lookup.find_child(workspace, id_number, EscalationError)
