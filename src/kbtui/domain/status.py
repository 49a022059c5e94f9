"""The vocabulary of situations (one current situation per child) and of dropout reasons.

A situation is identified by its Chinese label, which is what operators see and what the ledgers print.
Plugins may add situations through the ``kbtui_register_statuses`` hook.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    STUDYING = "studying"          # 在读 in some form
    NOT_DROPOUT = "not_dropout"    # 不属于失学辍学 (needs evidence)
    PROBLEM = "problem"            # 失学 / 疑似辍学 / 辍学
    PENDING = "pending"            # derived from lists, waiting for a visit or a check
    RESOLVED = "resolved"          # 劝返复学
    OUTSIDE = "outside"            # not a campaign child


@dataclass(frozen=True)
class Situation:
    label: str
    kind: Kind
    needs_evidence: bool = False
    description: str = ""


# Derived situations (what the lists imply until somebody records a finding).
PENDING_VISIT = "待核实"
DEFERRAL_CHECK = "缓学待核实"
ENROLLED_ABSENT = "在籍未在校"
IN_SCHOOL = "在籍在校"
OUTSIDE_COHORT = "不在排查范围"

CORE_SITUATIONS: tuple[Situation, ...] = (
    Situation(IN_SCHOOL, Kind.STUDYING, description="在本地学校在籍在读"),
    Situation("随班就读", Kind.STUDYING, description="残疾儿童在普通班级就读"),
    Situation("特校就读", Kind.STUDYING, description="在特殊教育学校就读"),
    Situation("送教上门", Kind.STUDYING, description="学籍在送教学校，教师上门送教"),
    Situation("外地就读", Kind.STUDYING, True, "在外地学校就读并有学籍，需就读证明"),
    Situation("区域内就读无学籍", Kind.STUDYING, description="在区域内就读但没有学籍，需补办或上报"),
    Situation("省内外就读无学籍", Kind.STUDYING, description="在省内外就读但没有学籍，需补办或上报"),
    Situation("延缓入学", Kind.NOT_DROPOUT, True, "监护人申请、县教育局批准，最长一年"),
    Situation("休学", Kind.NOT_DROPOUT, True, "因病等休学，最长一年，可再延一年"),
    Situation("出国", Kind.NOT_DROPOUT, True, "短期出国"),
    Situation("免予入学", Kind.NOT_DROPOUT, True, "经残疾人教育专家委员会评估认定"),
    Situation("初中已毕业", Kind.NOT_DROPOUT, True, "已完成义务教育"),
    Situation("死亡", Kind.NOT_DROPOUT, True, "派出所出具结论"),
    Situation("户籍迁出", Kind.NOT_DROPOUT, True, "派出所出具结论"),
    Situation("重复户籍", Kind.NOT_DROPOUT, True, "派出所出具结论"),
    Situation("查无此人", Kind.NOT_DROPOUT, True, "派出所出具结论"),
    Situation("年龄不符", Kind.NOT_DROPOUT, True, "派出所出具结论"),
    Situation("失踪失联", Kind.NOT_DROPOUT, True, "公安机关确认"),
    Situation("失学", Kind.PROBLEM, description="从未入学"),
    Situation("疑似辍学", Kind.PROBLEM, description="无正当理由缺课超过规定天数"),
    Situation("辍学", Kind.PROBLEM, description="已辍学"),
    Situation("劝返复学", Kind.RESOLVED, description="已劝返复学"),
    Situation(ENROLLED_ABSENT, Kind.PENDING, description="有学籍但未在校（休学、长期缺课等）"),
    Situation(PENDING_VISIT, Kind.PENDING, description="户籍名单上有、学籍名单上没有，需入户核实"),
    Situation(DEFERRAL_CHECK, Kind.PENDING, description="满6周岁未入一年级，需核实是否办理缓学"),
    Situation(OUTSIDE_COHORT, Kind.OUTSIDE, description="年龄或户籍不在本次排查范围"),
)

DROPOUT_REASONS: tuple[str, ...] = (
    "学习困难/厌学", "外出打工/务农", "早婚早育", "宗教", "因病", "因残", "家庭经济困难",
    "在家自学/国学班/私塾", "监护人不重视", "其他",
)

KEY_GROUPS: tuple[str, ...] = (
    "孤儿", "事实无人抚养", "留守儿童", "随迁子女", "返乡儿童", "残疾", "服刑人员子女", "困境儿童", "学困生",
)

FAMILY_TYPES: tuple[str, ...] = ("脱贫户", "监测户", "一般农户", "低保户", "特困供养")


class StatusRegistry:
    """Known situations; plugins add theirs, a duplicate label is refused."""

    def __init__(self, situations: tuple[Situation, ...] = CORE_SITUATIONS) -> None:
        self._by_label: dict[str, Situation] = {}
        self._owners: dict[str, str] = {}
        self.owner = "core"          # the plugin manager sets the plugin whose hook is running
        for situation in situations:
            self.add(situation)

    def add(self, situation: Situation) -> None:
        if situation.label in self._by_label:
            raise ValueError(f"状态“{situation.label}”已存在，插件 {self.owner} 不能重复登记")
        self._by_label[situation.label] = situation
        self._owners[situation.label] = self.owner

    def names(self) -> list[str]:
        return list(self._by_label)

    def owned_by(self, owner: str) -> list[str]:
        return [label for label, who in self._owners.items() if who == owner]

    def get(self, label: str) -> Situation | None:
        return self._by_label.get(label)

    def __contains__(self, label: object) -> bool:
        return label in self._by_label

    def labels(self, kind: Kind | None = None) -> list[str]:
        return [s.label for s in self._by_label.values() if kind is None or s.kind == kind]

    def kind_of(self, label: str) -> Kind | None:
        situation = self._by_label.get(label)
        return situation.kind if situation else None

    def __iter__(self):
        return iter(self._by_label.values())
