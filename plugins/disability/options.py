"""The seven stock placement options for disabled children, in the committee's order of preference,
and the situations they lead to that the core vocabulary does not have."""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import Kind, Situation
from kbtui.api import disability as d

NEW_SITUATIONS = (
    Situation("特教班就读", Kind.STUDYING, description="残疾儿童在普通学校特教班就读"),
    Situation("远程教育", Kind.STUDYING, description="残疾儿童接受远程教育，学籍在安置学校"),
    Situation("机构教学班就读", Kind.STUDYING, description="残疾儿童在儿童福利机构或康复机构的教学班就读"),
)

OPTIONS = (
    d.PlacementOption(
        d.MAINSTREAM, "随班就读", 10, description="在普通学校普通班级随班就读",
        requires=(d.needs_field("school", "就读学校"),)),
    d.PlacementOption(
        d.SPECIAL_CLASS, "特教班就读", 20, description="在普通学校附设的特殊教育班就读",
        requires=(d.needs_field("school", "就读学校（附设特教班的普通学校）"),)),
    d.PlacementOption(
        d.SPECIAL_SCHOOL, "特校就读", 30, description="在特殊教育学校就读",
        evidence=("特殊教育学校入学通知书",),
        requires=(d.needs_field("school", "特殊教育学校"),
                  d.needs_evidence("特殊教育学校入学通知书"))),
    d.PlacementOption(
        d.HOME_DELIVERY, "送教上门", 40, school_label="送教学校", home_delivery=True,
        description="学籍在送教学校，教师按教学计划定期上门送教",
        evidence=("送教上门协议书",),
        requires=(d.needs_field("school", "送教学校（该生学籍所在学校）"),
                  d.needs_field("teachers", "送教教师"),
                  d.needs_field("plan", "教学计划（个别化教育计划）"),
                  d.needs_field("start", "送教开始日期"),
                  d.needs_student_no(),
                  d.needs_evidence("送教上门协议书"))),
    d.PlacementOption(
        d.DISTANCE, "远程教育", 50, description="通过网络等远程方式接受教育，学籍在安置学校",
        requires=(d.needs_field("school", "学籍学校"),
                  d.needs_field("teachers", "辅导教师", refuse=False))),
    d.PlacementOption(
        d.INSTITUTION, "机构教学班就读", 60, school_label="机构名称",
        description="在儿童福利机构或残疾儿童康复机构的教学班就读",
        evidence=("机构教学班接收证明",),
        requires=(d.needs_field("school", "福利或康复机构名称"),
                  d.needs_evidence("机构教学班接收证明"))),
    d.PlacementOption(
        d.EXEMPTION, "免予入学", 90, kind=d.EXEMPT,
        description="经残疾人教育专家委员会评估认定暂不具备学习条件，列入免予入学名册",
        evidence=("监护人申请",),
        requires=(d.needs_conclusion(d.CANNOT_LEARN),
                  d.needs_field("review_date", "复评日期", refuse=False,
                                message="免予入学须定期复评，请填写复评日期"),
                  d.needs_evidence("监护人申请"))),
)


@hookimpl
def kbtui_register_statuses(registry):
    for situation in NEW_SITUATIONS:
        registry.add(situation)


@hookimpl
def kbtui_register_placements(registry):
    for option in OPTIONS:
        registry.add(option.name, option)
