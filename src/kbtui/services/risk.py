"""The early-warning list (辍学风险预警名单) of the current campaign and the work it turns into.

``risk_list`` scores every campaign child of the operator's scope (``domain.risk``, the profile's ``[risk]``
over the registered factors) as of a day and keeps those at the lowest level or above, most at risk first;
a child whose factors clear leaves the list by itself. Each entry carries its score factor by factor, its
结对帮扶 helper, its planned home visit and its open case. The work:

- ``assign_helper``: 结对帮扶, one helper per child and campaign in ``collection("pairings")`` (key
  ``<campaign>:<id_number>``, with the history of helpers);
- ``plan_visit``: a home visit by a date (``services.tasks.plan_visit``: it shows among the visit tasks);
- ``open_early_case``: the child's case (一生一案) before any ladder opens it (``services.cases.open_case``).

Every write goes through the (scoped) store, which journals it; read-only roles are refused in Chinese.
``weekly_trend`` recomputes the counts as of the end of each past week from the dated history (absences,
returns, visits, attempts; record fields such as the family type as they are now), so it needs no stored
snapshots and respects the operator's scope.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from kbtui.domain import roles as R
from kbtui.domain.escalation import CASE_CLOSED, Span, span_of
from kbtui.domain.risk import (
    ChildFacts, RiskContext, RiskError, RiskScore, RiskSettings, episodes_as_of, on_list, score,
)
from kbtui.services import absences, cases, gate, tasks
from kbtui.services.absences import EscalationError

PAIRINGS = "pairings"
TREND_WEEKS = 8


def settings(workspace: Any) -> RiskSettings:
    """The profile's ``[risk]`` over the registered factors (RiskError, in Chinese, for a wrong setting)."""
    return RiskSettings.parse(workspace.profile.section("risk"), dict(workspace.risk_factors.items()))


def _campaign_id(workspace: Any) -> str:
    from kbtui.services.campaigns import current_campaign_id

    return current_campaign_id(workspace)


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

    def counts(self) -> dict[str, int]:
        found = {name: 0 for name, _threshold in self.settings.levels}
        for entry in self.entries:
            found[entry.level] += 1
        return found

    def by_village(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for entry in self.entries:
            village = entry.record.get("village") or "（未分村）"
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


class _Survey:
    """What scoring reads, gathered once: the records in scope, their absences, cases, helpers, visits."""

    def __init__(self, workspace: Any, today: dt.date, records: list[dict] | None = None) -> None:
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
        campaign = _campaign_id(workspace)
        self.campaign = campaign
        self.helpers = {d["id_number"]: d for d in workspace.store.collection(PAIRINGS).find(campaign=campaign)
                        if d.get("helper")}
        self.visits = tasks.planned_visits(workspace)
        self._candidates: list[tuple[dict, str, Any]] | None = None

    def candidates(self) -> list[tuple[dict, str, Any]]:
        """(record, situation, kind) of the campaign children that may be on the list (classified once)."""
        if self._candidates is None:
            kind_of = self.workspace.statuses.kind_of
            found = []
            for record in self.records:
                c = self.ctx.classify(record)
                kind = kind_of(c.situation)
                if on_list(kind, c.in_campaign):
                    found.append((record, c.situation, kind))
            self._candidates = found
        return self._candidates

    def score_on(self, day: dt.date) -> list[tuple[dict, RiskScore]]:
        """(record, score) of every campaign child that may be on the list, as of ``day``."""
        rctx = RiskContext(day, self.calendar, self.ctx.profile)
        iso = day.isoformat()
        found = []
        for record, situation, kind in self.candidates():
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


def _matches(record: dict, helper: dict | None, *, village: str | None, school: str | None,
             person: str | None) -> bool:
    if village and (record.get("village") or "") != village:
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


def risk_list(workspace: Any, today: dt.date | None = None, *, village: str | None = None,
              school: str | None = None, person: str | None = None, level: str | None = None) -> RiskList:
    """The children at risk in the operator's scope as of ``today``, most at risk first.

    ``village`` / ``school`` keep one village or school, ``person`` the children whose responsible person
    (either line) or helper it is, ``level`` one level. Raises RiskError or EscalationError (Chinese)."""
    today = today or dt.date.today()
    survey = _Survey(workspace, today)
    if level and level not in dict(survey.settings.levels):
        raise RiskError(f"没有“{level}”这个预警等级，可用的有：{'、'.join(n for n, _t in survey.settings.levels)}")
    order = {name: i for i, (name, _t) in enumerate(survey.settings.levels)}
    scored = survey.score_on(today)
    entries, warnings = [], set()
    for record, result in scored:
        warnings.update(result.errors)
        if not result.listed or (level and result.level != level):
            continue
        entry = survey.entry(record, result)
        if _matches(record, entry.helper, village=village, school=school, person=person):
            entries.append(entry)
    entries.sort(key=lambda e: (order[e.level], -e.result.score, e.record.get("village") or "",
                                e.record.get("name") or "", e.id_number))
    return RiskList(today, survey.campaign, survey.settings, entries, len(scored), sorted(warnings))


def child_risk(workspace: Any, id_number: str, today: dt.date | None = None) -> RiskEntry:
    """One child's score as of ``today``, on the list or not (``entry.result.listed``)."""
    record = _child(workspace, id_number)
    survey = _Survey(workspace, today or dt.date.today(), records=[record])
    scored = survey.score_on(survey.ctx.today)
    result = scored[0][1] if scored else RiskScore(0, None, ())
    return survey.entry(record, result)


def explain(entry: RiskEntry) -> list[str]:
    """The entry's score, factor by factor, and what is being done."""
    r = entry.record
    lines = [f"{r.get('name', '')}（{r.get('village') or '未分村'}，{r.get('school') or '学校未填'}"
             f"{' ' + r['grade'] if r.get('grade') else ''}）  预警等级：{entry.level}  评分：{entry.result.score}"]
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


# --------------------------------------------------------------------------- the trend

def week_ends(today: dt.date, weeks: int = TREND_WEEKS) -> list[dt.date]:
    """The Sundays ending the ``weeks - 1`` weeks before this one, then ``today`` (this week so far)."""
    sunday = today - dt.timedelta(days=today.weekday() + 1)
    past = [sunday - dt.timedelta(weeks=n) for n in range(weeks - 2, -1, -1)]
    return past + [today]


def weekly_trend(workspace: Any, today: dt.date | None = None, weeks: int = TREND_WEEKS) -> list[dict[str, Any]]:
    """Counts by level at the end of each of the last ``weeks`` weeks (the last one: today), oldest first:
    ``[{"date": "2025-10-12", "counts": {"高": 2, …}, "total": 5}, …]``."""
    today = today or dt.date.today()
    return _trend(_Survey(workspace, today), today, weeks)[0]


def _trend(survey: _Survey, today: dt.date, weeks: int) -> tuple[list[dict[str, Any]], list[tuple[dict, RiskScore]]]:
    """The trend and, from its last point, today's scores."""
    result: list[dict[str, Any]] = []
    scored: list[tuple[dict, RiskScore]] = []
    for day in week_ends(today, weeks):
        scored = survey.score_on(day)
        counts = {name: 0 for name, _t in survey.settings.levels}
        for _record, found in scored:
            if found.level is not None:
                counts[found.level] += 1
        result.append({"date": day.isoformat(), "counts": counts, "total": sum(counts.values())})
    return result, scored


def overview(workspace: Any, today: dt.date | None = None, weeks: int = TREND_WEEKS) -> list[str]:
    """A few lines for the dashboard: today's counts by level and village, and the trend as a small chart."""
    today = today or dt.date.today()
    survey = _Survey(workspace, today)
    trend, scored = _trend(survey, today, weeks)
    counts = trend[-1]["counts"]
    total = trend[-1]["total"]
    if not total:
        lines = [f"没有达到预警等级的儿童（已评 {len(scored)} 人）"]
    else:
        lines = [f"预警 {total} 人：" + "　".join(f"{name} {n}" for name, n in counts.items())]
        villages: dict[str, dict[str, int]] = {}
        for record, found in scored:
            if found.level is not None:
                village = villages.setdefault(record.get("village") or "（未分村）", dict.fromkeys(counts, 0))
                village[found.level] += 1
        top = sorted(villages.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        highest = survey.settings.levels[0][0]
        parts = [f"{v} {sum(c.values())}" + (f"（{highest}{c[highest]}）" if c[highest] else "") for v, c in top[:4]]
        more = f" 等{len(top)}个村" if len(top) > 4 else ""
        lines.append("按村：" + "　".join(parts) + more)
    lines += trend_lines(trend)
    return lines


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One block character per value, from the smallest to the largest (readable without colour)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARK[3 if high else 0] * len(values)
    return "".join(SPARK[round((v - low) * (len(SPARK) - 1) / (high - low))] for v in values)


def _cells(text: str) -> int:
    """Terminal cells of a text (a Chinese character takes two)."""
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text)


def trend_lines(trend: list[dict[str, Any]]) -> list[str]:
    """The weekly totals and those of the highest level, each as a sparkline with its numbers."""
    totals = [w["total"] for w in trend]
    first, last = trend[0]["date"], trend[-1]["date"]
    heading = f"近{len(trend)}周预警人数"
    lines = [f"{heading} {sparkline(totals)}  {' '.join(str(t) for t in totals)}（{first[5:]} 至 {last[5:]}）"]
    highest = next(iter(trend[0]["counts"]), None)
    if highest is not None:
        top = [w["counts"][highest] for w in trend]
        label = f"其中{highest}风险"
        label += " " * max(0, _cells(heading) - _cells(label))
        lines.append(f"{label} {sparkline(top)}  {' '.join(str(t) for t in top)}")
    if len(totals) > 1:
        change = totals[-1] - totals[-2]
        lines.append("比上周" + (f"增加 {change} 人" if change > 0 else f"减少 {-change} 人" if change else "持平"))
    return lines


# --------------------------------------------------------------------------- the work

def _child(workspace: Any, id_number: str) -> dict:
    """The child in the operator's scope, or a Chinese refusal (not found / outside the scope)."""
    from kbtui.domain.idcard import IdNumberError, normalize_id

    try:
        normalized = normalize_id(id_number)
    except IdNumberError:
        normalized = str(id_number).strip()
    require = getattr(workspace.store, "require", None)
    if require is not None:
        return require(normalized)
    record = workspace.store.get(normalized)
    if record is None:
        raise EscalationError(f"找不到身份证号为 {id_number} 的儿童")
    return record


def _may_write(workspace: Any, doing: str) -> None:
    gate.require(workspace, R.WRITE, doing)
    if getattr(workspace.store, "read_only", False):
        raise EscalationError("数据目录是只读的，不能保存")


def helper_of(workspace: Any, id_number: str) -> dict | None:
    doc = workspace.store.collection(PAIRINGS).get(pairing_key(_campaign_id(workspace), id_number))
    return doc if doc and doc.get("helper") else None


def assign_helper(workspace: Any, id_number: str, helper: str, *, note: str = "",
                  on: dt.date | None = None) -> dict:
    """结对帮扶: ``helper`` (a name, or 姓名@单位 from the people register) supports the child one-on-one.
    A new helper replaces the current one; the history keeps every helper. ``helper`` "" ends the pairing."""
    _may_write(workspace, "安排结对帮扶")
    record = _child(workspace, id_number)
    helper = "".join(str(helper or "").split())
    person: dict = {}
    if helper:
        from kbtui.services.people import PeopleError, find_person

        try:
            person = find_person(workspace, helper)
        except PeopleError:
            person = {}            # not in the register: a name is enough
    day = (on or dt.date.today()).isoformat()
    name = person.get("name") or helper.partition("@")[0]
    entry = {"helper": name, "unit": person.get("unit") or helper.partition("@")[2], "role": person.get("role") or "",
             "since": day, "by": workspace.operator, "note": note.strip()}
    campaign = _campaign_id(workspace)

    def pair(current: dict | None) -> dict[str, Any]:
        if current and current.get("helper") == name and current.get("unit") == entry["unit"] and not note:
            return {}
        history = [*((current or {}).get("history") or []), {**entry, "helper": name or "（结束帮扶）"}]
        base = {"campaign": campaign, "id_number": record["id_number"], "name": record.get("name") or ""}
        if not name:
            return {**base, "helper": "", "unit": "", "role": "", "ended": day, "history": history}
        return {**base, **{k: entry[k] for k in ("helper", "unit", "role", "since", "note")},
                "phone": person.get("phone") or "", "ended": None, "history": history}

    return workspace.store.collection(PAIRINGS).upsert(pairing_key(campaign, record["id_number"]), pair,
                                                       workspace.operator)


def plan_visit(workspace: Any, id_number: str, due: dt.date, *, visitor: str = "", note: str = "",
               today: dt.date | None = None) -> dict:
    """安排家访: a home visit by ``due`` (default visitor: the helper, else the child's teacher or cadre),
    with the child's risk factors as its reason."""
    _may_write(workspace, "安排家访")
    record = _child(workspace, id_number)
    today = today or dt.date.today()
    if due < today:
        raise EscalationError(f"家访期限 {due} 早于今天（{today}）")
    entry = child_risk(workspace, record["id_number"], today)
    reason = entry.factors_text("、")
    helper = helper_of(workspace, record["id_number"])
    return tasks.plan_visit(workspace, record["id_number"], due,
                            visitor=visitor or (helper or {}).get("helper") or "", reason=reason, note=note)


def open_early_case(workspace: Any, id_number: str, *, today: dt.date | None = None, persuader: str = "",
                    reason: str = "", support: Iterable[str] = ()) -> dict:
    """提前立案: the child's case (一生一案) opened from the warning list, before any ladder does; the helper
    is its persuader unless another is given."""
    _may_write(workspace, "提前立案")
    record = _child(workspace, id_number)
    today = today or dt.date.today()
    entry = child_risk(workspace, record["id_number"], today)
    how = f"预警提前立案（{entry.level}，{entry.result.score}分：{entry.factors_text('、')}）" \
        if entry.result.listed else "预警提前立案"
    helper = helper_of(workspace, record["id_number"])
    return cases.open_case(workspace, record["id_number"], on=today, reason=reason, support=support,
                           persuader=persuader or (helper or {}).get("helper") or "", how=how)


# --------------------------------------------------------------------------- the printable form

@dataclass(frozen=True)
class _Column:
    header: str
    width: int
    key: str | None = None          # a masked field (ID and phone numbers) for roles that may not see them


COLUMNS = (
    _Column("序号", 6), _Column("村（社区）", 10), _Column("姓名", 8), _Column("性别", 5),
    _Column("身份证号", 20, "id_number"), _Column("就读学校", 14), _Column("年级", 7), _Column("班级", 6),
    _Column("预警等级", 7), _Column("评分", 6), _Column("预警因素（分）", 44), _Column("结对帮扶人", 10),
    _Column("政府线责任人", 10), _Column("教育线责任人", 10), _Column("监护人", 8),
    _Column("联系电话", 13, "guardian_phone"), _Column("已采取措施", 24),
)


def export_list(workspace: Any, path: str | Path, today: dt.date | None = None, **filters: Any) -> tuple[Path, int]:
    """Write the list as a printable form (title, 填报单位, 序号, frozen header, footer); returns (path, rows).
    ID and phone numbers are masked for roles that may not see them in exports; the export is journaled."""
    from kbtui.excel import ExcelWriteError, write_form
    from kbtui.services import access

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise EscalationError(f"导出文件应以 .xlsx 结尾：{path}")
    found = risk_list(workspace, today, **filters)
    profile = workspace.campaign_profile
    title = f"{profile.township}{profile.year}年义务教育控辍保学辍学风险预警名单"
    where = "，".join(f"{label}：{filters[k]}" for k, label in (("village", "村"), ("school", "学校"),
                                                                ("person", "责任人"), ("level", "等级"))
                     if filters.get(k))
    subtitle = (f"统计日期：{found.today:%Y年%m月%d日}　{found.summary()}　等级：{found.levels_text()}"
                + (f"　{where}" if where else ""))
    unit = profile.township + (filters.get("village") or "")

    def rows():
        for n, entry in enumerate(found.entries, 1):
            r = entry.record
            values = [n, r.get("village") or "", r.get("name") or "", r.get("sex") or "", r["id_number"],
                      r.get("school") or "", r.get("grade") or "", r.get("class_name") or "", entry.level,
                      entry.result.score, "；".join(f"{h.label}：{h.reason}（{h.points}）" for h in entry.result.hits),
                      entry.helper_name, r.get("responsible_gov") or "", r.get("responsible_edu") or "",
                      r.get("guardian") or "", r.get("guardian_phone") or "", entry.work_text()]
            yield access.mask_row(workspace, COLUMNS, values)

    notes = ("注：评分为各预警因素分数之和，因素、分数和等级界限见配置文件 [risk]（kbtui risk factors 列出）；"
             "缺课按上课日计（国家法定节假日、调休和本县校历，kbtui calendar show 可查）。",
             "预警名单随缺课、复学和走访情况变化：因素消除的儿童自动出列。")

    def write(properties: dict[str, str]) -> int:
        try:
            return write_form(path, title=title, subtitle=subtitle, unit=unit, date=found.today,
                              columns=[(c.header, c.width) for c in COLUMNS], rows=rows(), sheet_title="预警名单",
                              notes=notes, properties=properties)
        except ExcelWriteError as err:
            raise EscalationError(str(err)) from None

    rows_written = access.export_file(workspace, title, path, write, properties={"subject": "预警名单"},
                                      detail={"filters": {k: v for k, v in filters.items() if v}})
    return path, rows_written


def default_export_path(workspace: Any, today: dt.date | None = None) -> Path:
    today = today or dt.date.today()
    return workspace.folder("exports") / f"预警名单-{today:%Y%m%d}.xlsx"
