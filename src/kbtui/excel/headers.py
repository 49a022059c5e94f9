"""Header names that real Chinese name lists use, and tolerant header matching.

``DEFAULT_HEADERS`` maps a record field key (see :mod:`kbtui.domain.child`) to the header texts
seen in the police 户籍 export, the school 学籍 export, the poverty-monitoring platform, 残联 and
民政 lists. Profiles and plugins may pass their own table (or extend this one) to ``read_rows``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

DEFAULT_HEADERS: dict[str, list[str]] = {
    "id_number": [
        "身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "公民身份证号", "证件号码", "证件号",
        "身份证", "身份证件号", "身份证件号码", "学生身份证号", "儿童身份证号", "学生身份证件号",
        "学生身份证号码", "身份证件号码(学生)", "居民身份证号", "居民身份证号码", "证件号码(身份证)",
    ],
    "name": [
        "姓名", "学生姓名", "儿童姓名", "适龄儿童姓名", "适龄儿童少年姓名", "学生名称", "名字",
        "人员姓名", "成员姓名", "残疾人姓名",
    ],
    "sex": ["性别", "学生性别", "性 别"],
    "birth_date": [
        "出生日期", "出生年月日", "出生年月", "生日", "出生时间", "出生日期(年月日)", "出生年月(年月日)",
    ],
    "ethnicity": ["民族", "民族名称"],
    "town": [
        "乡镇", "乡镇(街道)", "镇(街道)", "乡(镇)", "乡镇街道", "镇街", "所属乡镇", "所属镇街", "所属乡镇(街道)",
        "所在乡镇", "户籍所在乡镇", "乡镇名称", "街道(乡镇)", "乡(镇、街道)",
    ],
    "village": [
        "所属村", "所属村/社区", "所属村(社区)", "所属村社区", "村(社区)", "村/社区", "村社区", "村",
        "村名", "行政村", "村委会", "村居委会", "村(居)委会", "村(居)", "社区", "所属社区", "所在村",
        "户籍所在村", "村(居)名称",
    ],
    "group": [
        "组", "村民小组", "所属组", "组别", "社", "村民组", "小组", "组(社)", "社(组)", "所属村民小组",
    ],
    "household_address": [
        "户籍地址", "户籍地", "户籍所在地", "户口所在地", "户口地址", "户口所在地址", "住址", "户籍住址",
        "户籍所在地址", "户口所在地详细地址", "户籍地详址", "家庭住址(户籍)",
    ],
    "current_address": [
        "现住址", "现居住地", "现住地址", "现居住地址", "居住地址", "家庭住址", "家庭地址",
        "实际居住地", "实际居住地址", "现居住地详细地址", "现住址详细地址", "通讯地址",
    ],
    "guardian": [
        "监护人", "监护人姓名", "家长", "家长姓名", "家长/监护人", "家长(监护人)", "监护人(家长)",
        "监护人/家长", "家长或监护人", "家长或监护人姓名", "法定监护人", "父亲或母亲姓名",
    ],
    "guardian_phone": [
        "联系电话", "联系方式", "电话", "手机", "手机号", "手机号码", "电话号码", "监护人电话",
        "监护人联系电话", "监护人手机", "监护人手机号", "家长电话", "家长联系电话", "家长手机",
        "家长手机号码", "监护人联系方式", "家长联系方式", "联系号码",
    ],
    "family_type": [
        "户类型", "家庭类型", "农户类型", "户类别", "家庭类别", "帮扶类型", "户属性", "家庭属性",
        "是否脱贫户", "脱贫户/监测户", "困难类型", "家庭经济状况",
    ],
    "key_groups": [
        "重点群体", "特殊群体", "群体类别", "重点群体类别", "特殊群体类别", "儿童类别", "人员类别",
        "困境类型", "救助类别", "保障类别", "儿童类型", "重点对象类别",
    ],
    "disability_category": ["残疾类别", "残疾类型", "残疾种类", "残疾类别(类型)"],
    "disability_grade": ["残疾等级", "残疾级别", "等级"],
    "disability_certificate": [
        "残疾证号", "残疾证号码", "残疾人证号", "残疾人证号码", "残疾证编号", "持证号码",
    ],
    "school": [
        "学校名称", "就读学校", "学校", "所在学校", "在读学校", "就读学校名称", "学籍学校", "学籍所在学校",
        "现就读学校",
    ],
    "grade": ["年级", "就读年级", "所在年级", "年级名称", "在读年级"],
    "class_name": ["班级", "班级名称", "就读班级", "所在班级", "班", "班号"],
    "student_no": [
        "学籍号", "全国学籍号", "学籍辅号", "个人标识码", "学生学籍号", "全国学籍号码", "学籍号码",
        "学号",
    ],
    "enrollment_status": ["学籍状态", "学生状态", "在校状态", "就读状态", "学籍状况", "在读状态"],
    "status": ["核实情况", "核查情况", "就学情况", "就读情况", "现状", "目前状况", "排查情况", "核实结果"],
    "status_reason": ["原因", "未入学原因", "辍学原因", "失学原因", "未在校原因", "情况说明", "具体原因"],
    "note": ["备注", "备 注", "说明"],
    "responsible_gov": [
        "政府线责任人", "政府责任人", "包村干部", "村级责任人", "村责任人", "包保干部", "乡镇责任人",
        "镇责任人", "村干部",
    ],
    "responsible_edu": [
        "教育线责任人", "学校责任人", "教育责任人", "包保教师", "责任教师", "班主任", "联系教师",
    ],
    "household_head": ["户主姓名", "户主", "户主名", "户主名称"],
    "relation": [
        "与户主关系", "与户主的关系", "与户主关系名称", "家庭关系", "关系", "与户主关系(名称)",
    ],
    "age": ["年龄", "周岁", "年龄(周岁)", "实足年龄", "年龄(岁)"],
}

#: Yes/no columns of 民政 and other lists (是否孤儿: 是/否, or ✓): each names one 重点群体 /
#: family situation. The field key is ``flag_*``; the source kinds (``services.intake.sources``: ``FLAG_GROUP``,
#: ``FLAG_FAMILY``) turn a truthy cell into an entry of ``key_groups`` (or ``family_type``).
FLAG_HEADERS: dict[str, list[str]] = {
    "flag_orphan": ["孤儿", "是否孤儿"],
    "flag_no_carer": ["事实无人抚养", "事实无人抚养儿童", "是否事实无人抚养儿童", "是否事实无人抚养"],
    "flag_left_behind": ["留守儿童", "是否留守儿童", "是否留守"],
    "flag_migrant": ["随迁子女", "是否随迁子女", "是否随迁"],
    "flag_plight": ["困境儿童", "是否困境儿童"],
    "flag_disabled": ["是否残疾", "残疾儿童", "是否残疾儿童"],
    "flag_dibao": ["低保", "是否低保", "低保户", "是否低保户", "低保对象", "是否低保对象"],
    "flag_tekun": ["特困", "是否特困", "特困供养", "特困供养人员", "是否特困供养", "特困人员"],
}
DEFAULT_HEADERS.update(FLAG_HEADERS)

#: Headers of a running number column: never data, and a row holding only a number there is blank.
SERIAL_HEADERS = ("序号", "编号", "序", "no", "no.", "顺序号", "排序")

_STRIP_WS = re.compile(r"\s+")
# Markers of a mandatory / optional column ("（必填）", "*", "★"), leading or trailing.
_MARKERS = re.compile(r"^[*★☆※]+|[*★☆※]+$|\((?:必填|必填项|选填|可选|非必填)\)$|:$")
_TRAILING_HINT = re.compile(r"\([^()]*\)$")


def header_key(text: object) -> str:
    """The comparable form of a header cell: NFKC, no whitespace or line breaks, no 必填/* marks."""
    if text is None:
        return ""
    key = _STRIP_WS.sub("", unicodedata.normalize("NFKC", str(text))).lower()
    previous = None
    while key != previous:
        previous = key
        key = _MARKERS.sub("", key)
    return key


def build_lookup(fields: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """header_key → field key; the first field naming a header wins."""
    lookup: dict[str, str] = {}
    for field, names in fields.items():
        for name in (field, *names):
            lookup.setdefault(header_key(name), field)
    return lookup


def match_header(text: object, lookup: Mapping[str, str]) -> str | None:
    """The field a header cell names, or None.

    Exact match of the comparable form first; then the same without a trailing hint in brackets
    ("出生日期(格式:2015-03-04)" → "出生日期").
    """
    key = header_key(text)
    if not key:
        return None
    field = lookup.get(key)
    if field is None and key.endswith(")"):
        stripped = _TRAILING_HINT.sub("", key)
        if stripped:
            field = lookup.get(stripped)
    return field


def is_serial_header(text: object) -> bool:
    return header_key(text) in SERIAL_HEADERS
