"""The child record: its fields, their Chinese labels and groups, and small helpers.

Records are plain dicts (JSON-ready, dates as ISO strings) so that plugins can add fields freely.
Keys starting with ``_`` are bookkeeping of the store (``_v`` is the record version).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kbtui.domain import ages
from kbtui.domain.idcard import IdNumberError, normalize_id

Record = dict[str, Any]


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    group: str
    kind: str = "text"   # text | date | list | choice | phone
    width: int = 12       # display width hint in terminal cells
    limit: int = 100      # the longest value accepted, in characters (an import rejects a row beyond it)


#: the longest value of a field that ``FIELDS`` does not list (a plugin's, a list's own column)
DEFAULT_LIMIT = 500

FIELDS: tuple[Field, ...] = (
    Field("id_number", "身份证号", "基本信息", width=18, limit=40),
    Field("name", "姓名", "基本信息", width=8, limit=50),
    Field("sex", "性别", "基本信息", "choice", 4, limit=10),
    Field("birth_date", "出生日期", "基本信息", "date", 10, limit=40),
    Field("ethnicity", "民族", "基本信息", width=6, limit=20),
    Field("village", "村（社区）", "户籍与住址", width=10, limit=50),
    Field("group", "村民小组", "户籍与住址", width=8, limit=30),
    Field("household_address", "户籍地址", "户籍与住址", width=24, limit=200),
    Field("current_address", "现住址", "户籍与住址", width=24, limit=200),
    Field("guardian", "监护人", "家庭", width=8, limit=50),
    Field("guardian_phone", "联系电话", "家庭", "phone", 11, limit=100),
    Field("family_type", "家庭类型", "家庭", "choice", 8, limit=30),
    Field("key_groups", "重点群体", "家庭", "list", 12, limit=200),
    Field("disability_category", "残疾类别", "残疾", "choice", 6, limit=30),
    Field("disability_grade", "残疾等级", "残疾", "choice", 6, limit=20),
    Field("disability_certificate", "残疾证号", "残疾", width=20, limit=40),
    Field("school", "就读学校", "就学", width=12, limit=100),
    Field("grade", "年级", "就学", width=6, limit=30),
    Field("class_name", "班级", "就学", width=6, limit=30),
    Field("student_no", "学籍号", "就学", width=20, limit=40),
    Field("enrollment_status", "学籍状态", "就学", width=6, limit=30),
    Field("status", "核实情况", "核实", "choice", 10, limit=30),
    Field("status_reason", "原因", "核实", width=12, limit=200),
    Field("note", "备注", "核实", width=20, limit=1000),
    Field("responsible_gov", "政府线责任人", "责任人", width=8, limit=50),
    Field("responsible_edu", "教育线责任人", "责任人", width=8, limit=50),
)
#: the town (镇/乡/街道) a child's 户籍 is in: a field of district profiles only (a township's children are
#: all of its one town), shown before the village
TOWN = Field("town", "乡镇（街道）", "户籍与住址", width=8, limit=50)
FIELD_BY_KEY = {f.key: f for f in (*FIELDS, TOWN)}
LABEL_OF = {f.key: f.label for f in (*FIELDS, TOWN)}


def form_fields(district: bool) -> tuple[Field, ...]:
    """The fields a child's form shows: ``FIELDS``, with the town before the village in a district."""
    if not district:
        return FIELDS
    at = next(i for i, f in enumerate(FIELDS) if f.key == "village")
    return (*FIELDS[:at], TOWN, *FIELDS[at:])


def limit_of(key: str) -> int:
    """The longest value (characters) field ``key`` accepts."""
    found = FIELD_BY_KEY.get(key)
    return found.limit if found is not None else DEFAULT_LIMIT



def birth_date(record: Record) -> dt.date | None:
    value = record.get("birth_date")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def age_on_cutoff(record: Record, cutoff: ages.Cutoff) -> int | None:
    born = birth_date(record)
    return None if born is None else ages.age_on(born, cutoff.date)


def id_problem(record: Record) -> str | None:
    """The Chinese reason the record's ID number is unusable, or None."""
    try:
        normalized = normalize_id(record.get("id_number"))
    except IdNumberError as err:
        return str(err)
    if normalized != record.get("id_number"):
        return f"身份证号未规范化（应为{normalized}）"
    return None


def display(record: Record, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)
