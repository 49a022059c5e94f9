"""Deciding a disabled child's placement: the expert committee's assessment, and the placement options
(registered by plugins) with the rules and evidence each one requires."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kbtui.domain.child import Record
from kbtui.domain.disability_info import DisabilityError, Doc

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
    def from_doc(cls, doc: Mapping[str, Any]) -> Assessment:
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
    option: PlacementOption


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


__all__ = ["CANNOT_LEARN", "CAN_LEARN_ORDINARY", "COMMON_RULES", "CONCLUSIONS", "DISTANCE", "EXEMPT",
           "EXEMPTION", "HOME_DELIVERY", "INSTITUTION", "MAINSTREAM", "NEEDS_HOME_DELIVERY",
           "NEEDS_SPECIAL_SCHOOL", "PLACEMENT_FIELDS", "SPECIAL_CLASS", "SPECIAL_SCHOOL", "STUDYING",
           "Assessment", "Finding", "PlacementOption", "Requirement", "RuleInput", "matches_recommendation",
           "needs_assessment", "needs_conclusion", "needs_disability", "needs_evidence", "needs_field",
           "needs_student_no", "normalize_conclusion", "placement_value", "sorted_options"]
