"""Reusable ledger columns and membership tests, shared by the stock ledger plugins.

A :class:`FieldColumn` is a ledger :class:`~kbtui.domain.ledger.Column` that also knows which record
field it shows (``key``), whether a cadre may fill it in on paper and have it imported back
(``editable``) and how a filled-in cell becomes a record value (``parse``: raises
:class:`~kbtui.domain.normalize.NormalizeError` with a Chinese reason). The exporter writes the keys
into the workbook, so that ``kbtui ledger import`` knows which column is which field.

Example (a county variant of a stock ledger)::

    from dataclasses import replace
    from kbtui.domain import ledger_columns as lc
    ledger = replace(stock, columns=stock.columns + (lc.text("包保干部", "responsible_gov", 8, editable=True),))
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kbtui.domain import normalize as nz
from kbtui.domain import status as st
from kbtui.domain.child import Record, display
from kbtui.domain.ledger import Column, LedgerContext
from kbtui.domain.sorting import place_key

Parse = Callable[[Any], Any]


@dataclass(frozen=True)
class FieldColumn(Column):
    key: str = ""                    # the record field shown ("" = computed, never imported back)
    editable: bool = False           # a filled-in cell is imported back by ``kbtui ledger import``
    parse: Parse | None = None       # cell → record value (NormalizeError on a bad cell)


_SPACES = re.compile(r"[ \t\r\n\u3000]+")


def _text(value: Any) -> str:
    """Free text as written (Chinese punctuation kept): trimmed, runs of spaces and line breaks → one space."""
    if isinstance(value, str):
        return _SPACES.sub(" ", value).strip()
    return nz.normalize_text(value)


clean_text = _text


def field_value(key: str) -> Callable[[Record, LedgerContext], Any]:
    """The record field as shown in a ledger ("" when missing, lists joined with 、)."""
    def value(record: Record, _ctx: LedgerContext) -> Any:
        v = record.get(key)
        if v.__class__ is str:
            return v
        return display(record, key)
    return value


def text(header: str, key: str, width: int = 12, *, editable: bool = False, parse: Parse | None = None
         ) -> FieldColumn:
    """A column showing one record field as it is."""
    return FieldColumn(header, field_value(key), width, key, editable, parse or (_text if editable else None))


def computed(header: str, value: Callable[[Record, LedgerContext], Any], width: int = 12) -> FieldColumn:
    return FieldColumn(header, value, width)


# --------------------------------------------------------------------------- situations

#: Situations of a child enrolled and studying (with 学籍): the 在籍在校 ledgers.
STUDYING_ENROLLED = frozenset({st.IN_SCHOOL, "随班就读", "特校就读", "送教上门", "外地就读", "劝返复学",
                               "特教班就读", "远程教育", "机构教学班就读"})
#: Enrolled but not attending, or not in school at all: the 未在校 ledger.
NOT_IN_SCHOOL = frozenset({st.ENROLLED_ABSENT, "休学", "疑似辍学", "辍学", "失学"})
#: The situations of the deferral ledger (a local child of the youngest age, not in grade 1).
DEFERRAL = frozenset({st.DEFERRAL_CHECK, "延缓入学", "失学", st.PENDING_VISIT})

#: What people write in the 情况 column → the situation label.
SITUATION_SYNONYMS = {
    "在校": st.IN_SCHOOL, "在读": st.IN_SCHOOL, "正常在读": st.IN_SCHOOL, "在校就读": st.IN_SCHOOL,
    "在校在读": st.IN_SCHOOL, "正常": st.IN_SCHOOL, "在籍在读": st.IN_SCHOOL, "已入学": st.IN_SCHOOL,
    "缓学": "延缓入学", "已办缓学": "延缓入学", "延迟入学": "延缓入学", "推迟入学": "延缓入学",
    "外出就读": "外地就读", "外地上学": "外地就读", "外省就读": "外地就读", "在外地就读": "外地就读",
    "异地就读": "外地就读", "未入学": "失学", "迁出": "户籍迁出", "已迁出": "户籍迁出",
    "已毕业": "初中已毕业", "初中毕业": "初中已毕业", "失联": "失踪失联", "已返校": "劝返复学",
    "已劝返": "劝返复学",
}
_DETAIL_SPLIT = re.compile(r"\s*[（(，,：:；;]\s*")


def parse_situation(value: Any) -> tuple[str, str]:
    """"外地就读（广东东莞）" → ("外地就读", "广东东莞"). The label is checked by the caller."""
    raw = nz.normalize_text(value)
    if not raw:
        return "", ""
    parts = _DETAIL_SPLIT.split(raw, maxsplit=1)
    label = parts[0].replace(" ", "")
    detail = parts[1].rstrip("）)").strip() if len(parts) > 1 else ""
    return SITUATION_SYNONYMS.get(label, label), detail


def situation_text(record: Record, ctx: LedgerContext) -> str:
    label = ctx.classify(record).situation
    detail = record.get("status_note") or ""
    return f"{label}（{detail}）" if detail else label


def situation(header: str = "排查走访情况", width: int = 16) -> FieldColumn:
    """The child's situation (a recorded finding, or what the lists imply), with a detail in brackets.

    Editable: the cadre writes a situation label (在校、缓学、外地就读（广东东莞）…)."""
    return FieldColumn(header, situation_text, width, "status", True, parse_situation)


def is_studying(record: Record, ctx: LedgerContext) -> bool:
    return ctx.classify(record).situation in STUDYING_ENROLLED


def is_local_cohort(record: Record, ctx: LedgerContext) -> bool:
    return ctx.classify(record).cohort == "local"


def is_nonlocal_cohort(record: Record, ctx: LedgerContext) -> bool:
    cohort = ctx.classify(record).cohort
    return cohort is not None and cohort != "local"


def is_deferral_case(record: Record, ctx: LedgerContext) -> bool:
    """Local cohort, the youngest age on the cutoff day, not in school."""
    c = ctx.classify(record)
    return (c.cohort == "local" and c.age == ctx.profile.cohorts["local"].window.low
            and c.situation in DEFERRAL)


def is_not_in_school(record: Record, ctx: LedgerContext) -> bool:
    c = ctx.classify(record)
    return c.cohort is not None and c.situation in NOT_IN_SCHOOL and not is_deferral_case(record, ctx)


# --------------------------------------------------------------------------- labels from the profile

def local_label(ctx: LedgerContext) -> str:
    return ctx.profile.settings.ledgers.local_label


def nonlocal_label(ctx: LedgerContext) -> str:
    return ctx.profile.settings.ledgers.nonlocal_label


def origin(header: str = "户籍类别", width: int = 10) -> FieldColumn:
    """本镇籍 / 非本镇籍 (or the profile's labels, e.g. 双山籍 / 非双山籍)."""
    def value(record: Record, ctx: LedgerContext) -> str:
        c = ctx.classify(record)
        return local_label(ctx) if c.local else nonlocal_label(ctx)
    return computed(header, value, width)


# --------------------------------------------------------------------------- the usual columns

def _phone(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return nz.normalize_phone(value)


def _grade(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return nz.normalize_grade(value)


_YES = {"是", "已办", "已办理", "办理", "有", "√", "✓", "y", "yes"}
_NO = {"否", "未办", "未办理", "没有", "无", "×", "n", "no", "不是"}


def parse_yes_no(value: Any) -> str:
    raw = nz.normalize_text(value).replace(" ", "")
    if not raw:
        return ""
    if raw.lower() in _YES:
        return "是"
    if raw.lower() in _NO:
        return "否"
    raise nz.NormalizeError(f"“{raw}”应填“是”或“否”")


def village(width: int = 10) -> FieldColumn:
    return text("村（社区）", "village", width)


def town(width: int = 8) -> FieldColumn:
    return text("乡镇（街道）", "town", width)


def with_town(ledger):
    """A district's version of a ledger: a 乡镇（街道） column before its village column (first when it has
    none), its rows in the order of towns (each town's children together, as the ledger sorted them)."""
    if any(getattr(c, "key", "") == "town" for c in ledger.columns):
        return ledger
    columns = list(ledger.columns)
    at = next((i for i, c in enumerate(columns) if getattr(c, "key", "") == "village"), 0)
    columns.insert(at, town())
    inner = ledger.sort_key
    return dataclasses.replace(ledger, columns=tuple(columns),
                               sort_key=lambda record: (str(record.get("town") or ""), inner(record)))


def group(width: int = 6) -> FieldColumn:
    return text("组", "group", width)


def name(width: int = 8) -> FieldColumn:
    return text("姓名", "name", width)


def sex(width: int = 5) -> FieldColumn:
    return text("性别", "sex", width)


def id_number(width: int = 21) -> FieldColumn:
    return text("身份证号", "id_number", width)


def birth_date(width: int = 11) -> FieldColumn:
    return text("出生日期", "birth_date", width)


def age(header: str = "年龄", width: int = 5) -> FieldColumn:
    def value(record: Record, ctx: LedgerContext) -> Any:
        a = ctx.classify(record).age
        return "" if a is None else a
    return computed(header, value, width)


def household_address(width: int = 24) -> FieldColumn:
    return text("户籍地址", "household_address", width)


def current_address(width: int = 24, editable: bool = True) -> FieldColumn:
    return text("现住址", "current_address", width, editable=editable)


def school(width: int = 16, editable: bool = True) -> FieldColumn:
    return text("就读学校", "school", width, editable=editable)


def grade(width: int = 7, editable: bool = True) -> FieldColumn:
    return text("年级", "grade", width, editable=editable, parse=_grade)


def class_name(width: int = 6, editable: bool = True) -> FieldColumn:
    return text("班级", "class_name", width, editable=editable)


def student_no(width: int = 21) -> FieldColumn:
    return text("学籍号", "student_no", width)


def enrollment_status(width: int = 8) -> FieldColumn:
    return text("学籍状态", "enrollment_status", width)


def guardian(width: int = 8) -> FieldColumn:
    return text("监护人", "guardian", width, editable=True)


def phone(width: int = 13) -> FieldColumn:
    return text("联系电话", "guardian_phone", width, editable=True, parse=_phone)


def family_type(width: int = 8) -> FieldColumn:
    return text("家庭类型", "family_type", width)


def key_groups(width: int = 12) -> FieldColumn:
    return text("重点群体", "key_groups", width)


def reason(header: str = "原因", width: int = 14) -> FieldColumn:
    return text(header, "status_reason", width, editable=True)


def visited_by(record: Record, _ctx: LedgerContext | None = None) -> str:
    """排查人: the ``surveyor`` a visit (``services.campaign.visits``) or a filled-in ledger set; for a record from
    before visits kept it, the visitors of its last recorded finding."""
    written = record.get("surveyor")
    if written:
        return str(written)
    history = record.get("status_history") or []
    people = (history[-1].get("visitors") or []) if history and isinstance(history[-1], dict) else []
    return "、".join(str(p) for p in people)


def surveyor(width: int = 8) -> FieldColumn:
    """排查人: who visited (filled from the visit's visitors; a cadre may write it on paper and import it back)."""
    return FieldColumn("排查人", visited_by, width, "surveyor", True, _text)


def note(width: int = 16) -> FieldColumn:
    return text("备注", "note", width, editable=True)


def deferral_done(width: int = 10) -> FieldColumn:
    """是否办理缓学手续: 是 / 否 (是 when the recorded finding is 延缓入学 and nothing else was written)."""
    def value(record: Record, ctx: LedgerContext) -> str:
        done = record.get("deferral_done")
        if done:
            return str(done)
        return "是" if record.get("status") == "延缓入学" else ""
    return FieldColumn("是否办理缓学手续", value, width, "deferral_done", True, parse_yes_no)


# --------------------------------------------------------------------------- sorting

#: Village, group (2组 before 10组), name, ID: the default order of the ledgers (``domain.sorting``).
natural_sort = place_key
