"""Disabled children: disability categories and grades, the expert committee's assessment, placement
options with their rules and required evidence, and the home-delivery (送教上门) frequency check.

Pure rules: no store, no Textual. Plugins register placement options through
``kbtui_register_placements(registry)``; services apply them (``kbtui.services.placements``).

Records and documents are plain dicts (dates as ISO strings):

- the child record carries ``disability_category``, ``disability_grade``, ``disability_certificate``,
  ``disability_source`` and, once decided, a summary of the current ``assessment`` and ``placement``
  and (for 送教上门) ``home_delivery`` totals, so that ledger columns can be computed from the record;
- ``assessments``, ``placements`` and ``delivery_sessions`` collections hold the full history.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from kbtui.domain.child import Record, display
from kbtui.domain.ledger import Column, LedgerContext

Doc = dict[str, Any]

#: The store collection of home-delivery sessions: {id_number, placement (key), date, teacher, periods, content}.
SESSIONS_COLLECTION = "delivery_sessions"

# --- the disability itself ------------------------------------------------------------------------
CATEGORIES: tuple[str, ...] = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
GRADES: tuple[str, ...] = ("一级", "二级", "三级", "四级")
SOURCES: tuple[str, ...] = ("残联", "入户", "学校")      # 残联名单导入 / 入户排查 / 学校报告

_CATEGORY_ALIASES = {"视力残疾": "视力", "听力残疾": "听力", "言语残疾": "言语", "肢体残疾": "肢体",
                     "智力残疾": "智力", "精神残疾": "精神", "多重残疾": "多重", "盲": "视力", "聋": "听力"}
_GRADE_ALIASES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级", "1级": "一级", "2级": "二级",
                  "3级": "三级", "4级": "四级", "一": "一级", "二": "二级", "三": "三级", "四": "四级"}
_SOURCE_ALIASES = {"残联名单": "残联", "残联导入": "残联", "入户排查": "入户", "走访": "入户", "学校报告": "学校"}


class DisabilityError(ValueError):
    """A disability, assessment or placement that cannot be accepted; the message is Chinese."""


def _one_of(value: object, aliases: dict[str, str], allowed, what: str) -> str:
    text = str(value or "").strip()
    text = aliases.get(text, text)
    if text not in allowed:
        raise DisabilityError(f"{what}“{value}”不对，应为：{'、'.join(allowed)}")
    return text


def normalize_category(value: object) -> str:
    return _one_of(value, _CATEGORY_ALIASES, CATEGORIES, "残疾类别")


def normalize_grade(value: object) -> str:
    return _one_of(value, _GRADE_ALIASES, GRADES, "残疾等级")


def normalize_source(value: object) -> str:
    return _one_of(value, _SOURCE_ALIASES, SOURCES, "残疾信息来源")


def source_of(record: Record) -> str:
    """Where the disability was learnt: ``disability_source``, else 残联 for a child on the 残联 list."""
    if record.get("disability_source"):
        return str(record["disability_source"])
    return "残联" if "disability" in (record.get("sources") or ()) else ""


def is_disabled(record: Record) -> bool:
    return bool(record.get("disability_category")) or "残疾" in (record.get("key_groups") or ())


# --- the expert committee's assessment -------------------------------------------------------------
CAN_LEARN_ORDINARY = "能在普通学校学习"
NEEDS_SPECIAL_SCHOOL = "需到特殊教育学校学习"
NEEDS_HOME_DELIVERY = "需送教上门"
CANNOT_LEARN = "暂不具备学习条件"
CONCLUSIONS: tuple[str, ...] = (CAN_LEARN_ORDINARY, NEEDS_SPECIAL_SCHOOL, NEEDS_HOME_DELIVERY, CANNOT_LEARN)
_CONCLUSION_ALIASES = {"普通学校": CAN_LEARN_ORDINARY, "随班就读": CAN_LEARN_ORDINARY,
                       "特殊教育学校": NEEDS_SPECIAL_SCHOOL, "特校": NEEDS_SPECIAL_SCHOOL,
                       "送教上门": NEEDS_HOME_DELIVERY, "不具备学习条件": CANNOT_LEARN,
                       "暂不具备": CANNOT_LEARN}


def normalize_conclusion(value: object) -> str:
    text = str(value or "").strip()
    text = _CONCLUSION_ALIASES.get(text, text)
    if text not in CONCLUSIONS:
        raise DisabilityError(f"评估结论“{value}”不对，应为：{'、'.join(CONCLUSIONS)}")
    return text


@dataclass(frozen=True)
class Assessment:
    """One assessment by the county 残疾人教育专家委员会."""

    child: str
    date: str
    members: tuple[str, ...]
    conclusion: str
    recommend: str
    review_date: str = ""
    note: str = ""
    key: str = ""

    def validate(self, options: Iterable[str]) -> None:
        if not self.members:
            raise DisabilityError("评估须写明残疾人教育专家委员会的参加成员（--members）")
        normalize_conclusion(self.conclusion)
        names = list(options)
        if self.recommend not in names:
            raise DisabilityError(f"建议安置方式“{self.recommend}”未登记，可用的有：{'、'.join(names)}")
        if self.recommend == EXEMPTION and self.conclusion != CANNOT_LEARN:
            raise DisabilityError(f"只有评估结论为“{CANNOT_LEARN}”时才能建议免予入学")
        if self.review_date and self.review_date <= self.date:
            raise DisabilityError(f"复评日期 {self.review_date} 应晚于评估日期 {self.date}")

    def to_doc(self) -> Doc:
        doc = {"id_number": self.child, "date": self.date, "members": list(self.members),
               "conclusion": self.conclusion, "recommend": self.recommend, "review_date": self.review_date,
               "note": self.note}
        if self.key:
            doc["key"] = self.key
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "Assessment":
        return cls(doc.get("id_number", ""), doc.get("date", ""), tuple(doc.get("members") or ()),
                   doc.get("conclusion", ""), doc.get("recommend", ""), doc.get("review_date") or "",
                   doc.get("note") or "", doc.get("key", ""))


# --- placement options ------------------------------------------------------------------------------
MAINSTREAM = "随班就读"
SPECIAL_CLASS = "普校特教班"
SPECIAL_SCHOOL = "特殊教育学校"
HOME_DELIVERY = "送教上门"
DISTANCE = "远程教育"
INSTITUTION = "福利/康复机构教学班"
EXEMPTION = "免予入学"

STUDYING = "studying"
EXEMPT = "exempt"

# Placement fields an option may ask for (key → label); options add their own through ``fields``.
PLACEMENT_FIELDS: dict[str, str] = {
    "school": "安置学校", "teachers": "送教教师", "plan": "教学计划", "start": "开始日期",
    "review_date": "复评日期", "date": "安置日期",
}


@dataclass(frozen=True)
class RuleInput:
    """What a placement rule may look at."""

    child: Record
    placement: Doc                    # the placement being decided (fields, evidence, option)
    assessment: Doc | None            # the child's latest assessment, if any
    option: "PlacementOption"


@dataclass(frozen=True)
class Requirement:
    """A rule a placement must satisfy. ``refuse``: the placement is not saved when the rule fails;
    otherwise it is saved and flagged (shown by ``kbtui placement check`` as an action)."""

    id: str
    message: str                                   # Chinese, says what is missing and what to do
    test: Callable[[RuleInput], bool]
    refuse: bool = True


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    refuse: bool

    def as_dict(self) -> dict:
        return {"rule": self.rule, "message": self.message, "refuse": self.refuse}


def _filled(value: Any) -> bool:
    if isinstance(value, (list, tuple, set, dict)):
        return any(_filled(v) for v in (value.values() if isinstance(value, dict) else value))
    return value is not None and str(value).strip() != ""


def placement_value(placement: Mapping[str, Any], key: str) -> Any:
    """A placement field: a standard one (school, teachers …) or one of the option's own ``fields``."""
    if key in placement:
        return placement.get(key)
    return (placement.get("fields") or {}).get(key)


def needs_field(key: str, label: str | None = None, refuse: bool = True, message: str = "") -> Requirement:
    """The placement must have ``key`` filled (``school``, ``teachers``, ``plan``, ``start`` or an own field)."""
    label = label or PLACEMENT_FIELDS.get(key, key)
    return Requirement(f"field:{key}", message or f"须填写{label}",
                       lambda r: _filled(placement_value(r.placement, key)), refuse)


def needs_evidence(name: str, refuse: bool = False) -> Requirement:
    """A document named ``name`` must be among the placement's evidence (``--evidence NAME``)."""
    return Requirement(f"evidence:{name}", f"缺少证明材料：{name}",
                       lambda r: name in (r.placement.get("evidence") or ()), refuse)


def needs_assessment(refuse: bool = False) -> Requirement:
    return Requirement("assessment", "没有残疾人教育专家委员会的评估，请提请评估",
                       lambda r: r.assessment is not None, refuse)


def needs_conclusion(*conclusions: str, refuse: bool = True) -> Requirement:
    """The latest assessment's conclusion must be one of ``conclusions``."""
    wanted = "或".join(f"“{c}”" for c in conclusions)
    return Requirement(f"conclusion:{'/'.join(conclusions)}",
                       f"须有残疾人教育专家委员会{wanted}的评估结论",
                       lambda r: r.assessment is not None and r.assessment.get("conclusion") in conclusions,
                       refuse)


def needs_student_no(refuse: bool = False) -> Requirement:
    return Requirement("student_no", "该生在安置学校应有学籍（学籍号为空）",
                       lambda r: _filled(r.child.get("student_no")), refuse)


def needs_disability(refuse: bool = False) -> Requirement:
    return Requirement("disability", "儿童记录没有残疾类别，请补录残疾信息",
                       lambda r: _filled(r.child.get("disability_category")), refuse)


def _matches_recommendation(r: RuleInput) -> bool:
    return r.assessment is None or not r.assessment.get("recommend") or \
        r.assessment.get("recommend") == r.option.name


def matches_recommendation(refuse: bool = False) -> Requirement:
    return Requirement("recommend", "安置方式与专家委员会的建议不一致，请说明理由或提请复评",
                       _matches_recommendation, refuse)


# Rules every placement goes through, before the option's own.
COMMON_RULES: tuple[Requirement, ...] = (needs_disability(), needs_assessment(), matches_recommendation())


@dataclass(frozen=True)
class PlacementOption:
    """A way a disabled child receives compulsory education (or is exempted), registered by a plugin.

    ``situation`` is the child's situation once placed (a label of the situation vocabulary).
    ``order`` is the committee's order of preference (lower first). ``fields`` are the option's own
    placement fields (key → Chinese label), given with ``--field key=value`` and shown by
    ``placement_column``. ``requires`` are its rules (``needs_field``, ``needs_evidence`` …).
    ``evidence`` names the documents operators are asked for. ``home_delivery`` options are checked
    against the profile's frequency rule; ``kind`` is ``studying`` or ``exempt`` (kept in the roster).
    """

    name: str
    situation: str
    order: int = 100
    kind: str = STUDYING
    description: str = ""
    school_label: str = "安置学校"
    fields: Mapping[str, str] = field(default_factory=dict)
    requires: tuple[Requirement, ...] = ()
    evidence: tuple[str, ...] = ()
    home_delivery: bool = False

    @property
    def studying(self) -> bool:
        return self.kind == STUDYING

    def findings(self, rule_input: RuleInput, common: Sequence[Requirement] = COMMON_RULES) -> list[Finding]:
        """Every rule that fails, refusing ones first."""
        failed = [Finding(req.id, req.message, req.refuse)
                  for req in (*common, *self.requires) if not req.test(rule_input)]
        return sorted(failed, key=lambda f: not f.refuse)


def sorted_options(options: Iterable[PlacementOption]) -> list[PlacementOption]:
    return sorted(options, key=lambda o: (o.order, o.name))


# --- home delivery: the frequency rule and the check across weeks and terms -----------------------
@dataclass(frozen=True)
class FrequencyRule:
    """``per_week`` sessions of at least ``periods`` periods each; optionally ``per_term_hours``
    periods (课时) in a whole term, pro-rated by the teaching weeks that have passed."""

    per_week: int = 0
    periods: int = 0
    per_term_hours: int = 0

    @classmethod
    def from_profile(cls, section: Mapping[str, Any]) -> "FrequencyRule | None":
        """From ``[disability] home_delivery = { per_week = 2, periods = 3, per_term_hours = … }``."""
        raw = section.get("home_delivery")
        if not isinstance(raw, Mapping):
            return None
        values = {}
        for key in ("per_week", "periods", "per_term_hours"):
            value = raw.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise DisabilityError(f"配置文件 [disability] home_delivery 的 {key}“{value}”应为非负整数")
            values[key] = value
        rule = cls(**values)
        return rule if rule.per_week or rule.per_term_hours else None

    def describe(self) -> str:
        parts = []
        if self.per_week:
            parts.append(f"每周{self.per_week}次" + (f"、每次{self.periods}课时" if self.periods else ""))
        if self.per_term_hours:
            parts.append(f"每学期{self.per_term_hours}课时")
        return "，".join(parts) or "未规定"


@dataclass(frozen=True)
class Calendar:
    """School terms (inclusive date ranges) and holidays, from ``[calendar]`` of the profile:
    ``term = [start, end]`` (one term) and/or ``terms = [[start, end], …]``; ``holidays = [dates]``."""

    terms: tuple[tuple[dt.date, dt.date], ...] = ()
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_profile(cls, section: Mapping[str, Any]) -> "Calendar":
        raw_terms = list(section.get("terms") or [])
        if section.get("term"):
            raw_terms.append(section["term"])
        terms = []
        for pair in raw_terms:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise DisabilityError(f"配置文件 [calendar] 学期“{pair}”应写成 [开始日期, 结束日期]")
            start, end = (_as_date(v, "[calendar] term") for v in pair)
            if end < start:
                raise DisabilityError(f"配置文件 [calendar] 学期 {start} 至 {end}：结束日期早于开始日期")
            terms.append((start, end))
        holidays = frozenset(_as_date(v, "[calendar] holidays") for v in section.get("holidays") or [])
        return cls(tuple(sorted(set(terms))), holidays)

    def term_of(self, day: dt.date) -> tuple[dt.date, dt.date] | None:
        for term in self.terms:
            if term[0] <= day <= term[1]:
                return term
        return None

    def school_days(self, monday: dt.date) -> int:
        """Weekdays of the week beginning ``monday`` that are not holidays."""
        return sum(1 for i in range(5) if monday + dt.timedelta(days=i) not in self.holidays)

    def teaching_weeks(self, start: dt.date, term_end: dt.date, on: dt.date | None = None) -> list[dt.date]:
        """Mondays of the whole weeks that are due: the week begins on or after ``start``, its Friday is
        within the term (``term_end``), it has ended by ``on`` (its Sunday, or the term's last day if
        earlier, ≤ ``on``; no limit when None), and at least one of its weekdays is not a holiday."""
        monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        weeks = []
        while monday + dt.timedelta(days=4) <= term_end:
            if on is not None and min(monday + dt.timedelta(days=6), term_end) > on:
                break
            if self.school_days(monday):
                weeks.append(monday)
            monday += dt.timedelta(days=7)
        return weeks


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DisabilityError(f"配置文件 {where} 的日期“{value}”应写成 2024-09-01") from None


@dataclass(frozen=True)
class TermResult:
    """Delivery against the rule within one term, counted up to ``until``."""

    term: tuple[dt.date, dt.date]
    until: dt.date
    weeks: int                   # whole teaching weeks since the plan start (or the term start)
    term_weeks: int              # teaching weeks of the whole term from the same start
    expected_sessions: int
    expected_periods: int
    sessions: int
    periods: int
    short_sessions: int          # sessions with fewer periods than the rule asks

    @property
    def behind(self) -> bool:
        return self.sessions < self.expected_sessions or self.periods < self.expected_periods

    @property
    def missing_sessions(self) -> int:
        return max(0, self.expected_sessions - self.sessions)

    @property
    def missing_periods(self) -> int:
        return max(0, self.expected_periods - self.periods)

    def describe(self) -> str:
        text = (f"{self.term[0]}至{self.term[1]}学期，截至{self.until}共{self.weeks}个教学周："
                f"应送{self.expected_sessions}次{self.expected_periods}课时，"
                f"实送{self.sessions}次{self.periods}课时")
        if self.behind:
            lacks = []
            if self.missing_sessions:
                lacks.append(f"{self.missing_sessions}次")
            if self.missing_periods:
                lacks.append(f"{self.missing_periods}课时")
            text += f"，少{'、'.join(lacks)}"
        if self.short_sessions:
            text += f"（其中{self.short_sessions}次课时不足）"
        return text

    def as_dict(self) -> dict:
        return {"term": [self.term[0].isoformat(), self.term[1].isoformat()], "until": self.until.isoformat(),
                "weeks": self.weeks, "term_weeks": self.term_weeks,
                "expected_sessions": self.expected_sessions, "expected_periods": self.expected_periods,
                "sessions": self.sessions, "periods": self.periods, "short_sessions": self.short_sessions,
                "behind": self.behind}


def _session_date(session: Mapping[str, Any]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(session.get("date")))
    except ValueError:
        return None


def delivery_by_term(rule: FrequencyRule, calendar: Calendar, plan_start: dt.date,
                     sessions: Iterable[Mapping[str, Any]], on: dt.date) -> list[TermResult]:
    """How delivered sessions compare with the rule, term by term, from the plan start up to ``on``.

    - Only whole Monday–Sunday weeks are due: beginning on or after the later of the plan start and the
      term start, with their Friday inside the term, ended (Sunday) by ``on``; a week whose weekdays are
      all holidays is not due. Weeks outside every term (vacations) are never due.
    - Sessions count in the term whose dates contain them (any day of that term from the plan start,
      including part weeks and weekends); a session outside the terms counts for nothing.
    - Expected: ``per_week`` × weeks sessions and at least ``periods`` periods each; with
      ``per_term_hours``, also ``per_term_hours`` × weeks / teaching weeks of the term (rounded down).
      Totals are cumulative within a term: a missed week can be made up later in the same term,
      never with another term's sessions.
    """
    dated = [(d, s) for s in sessions if (d := _session_date(s)) is not None]
    results = []
    for term in calendar.terms:
        start = max(plan_start, term[0])
        until = min(on, term[1])
        if start > until:
            continue
        weeks = len(calendar.teaching_weeks(start, term[1], on))
        term_weeks = len(calendar.teaching_weeks(start, term[1]))
        expected_sessions = rule.per_week * weeks
        expected_periods = expected_sessions * rule.periods
        if rule.per_term_hours and term_weeks:
            expected_periods = max(expected_periods, math.floor(rule.per_term_hours * weeks / term_weeks))
        inside = [s for d, s in dated if start <= d <= until]
        periods = [int(s.get("periods") or 0) for s in inside]
        results.append(TermResult(
            term=term, until=until, weeks=weeks, term_weeks=term_weeks,
            expected_sessions=expected_sessions, expected_periods=expected_periods,
            sessions=len(inside), periods=sum(periods),
            short_sessions=sum(1 for p in periods if rule.periods and p < rule.periods)))
    return results


def current_term_result(results: Sequence[TermResult], on: dt.date) -> TermResult | None:
    """The term that contains ``on``, else the latest term that ended before it (its final count)."""
    for result in results:
        if result.term[0] <= on <= result.term[1]:
            return result
    ended = [r for r in results if r.term[1] < on]
    return ended[-1] if ended else None


# --- ledger helpers -----------------------------------------------------------------------------------
def placement_of(record: Record) -> Doc:
    """The summary of the child's current placement kept on the record (empty if none)."""
    value = record.get("placement")
    return value if isinstance(value, dict) else {}


def assessment_of(record: Record) -> Doc:
    value = record.get("assessment")
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def placement_column(header: str, key: str, width: int = 12) -> Column:
    """A ledger column showing one field of the child's current placement (``school``, ``teachers``,
    ``plan``, ``start``, ``date``, ``option`` or a field an option declares in ``fields``)."""
    return Column(header, lambda record, _ctx: _text(placement_value(placement_of(record), key)), width)


def assessment_column(header: str, key: str, width: int = 12) -> Column:
    """A ledger column showing one field of the child's latest assessment (``date``, ``conclusion``,
    ``recommend``, ``review_date``, ``members``)."""
    return Column(header, lambda record, _ctx: _text(assessment_of(record).get(key)), width)


def delivery_column(header: str, key: str, width: int = 10) -> Column:
    """A ledger column from the home-delivery totals kept on the record (``sessions``, ``periods``, ``last``)."""
    return Column(header, lambda record, _ctx: _text((record.get("home_delivery") or {}).get(key)), width)


def record_column(header: str, key: str, width: int = 12) -> Column:
    """A column showing one record field (its ``key`` lets exports mask ID-like and phone fields)."""
    return Column(header, lambda record, _ctx: display(record, key), width, key)


def age_column(header: str = "年龄", width: int = 6) -> Column:
    return Column(header, lambda record, ctx: _text(ctx.classify(record).age), width)


def situation_column(header: str = "就学情况", width: int = 10) -> Column:
    return Column(header, lambda record, ctx: ctx.classify(record).situation, width)


def in_cohort(record: Record, ctx: LedgerContext) -> bool:
    return ctx.classify(record).in_campaign
