"""Data checks for ``kbtui check``: invalid IDs, duplicates, ages, contradictory situations.

A check is a function (record, context) → list of problems; plugins add theirs through
``kbtui_register_checks``. Checks that compare records with each other run once over the whole set.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kbtui.domain import status as st
from kbtui.domain.child import Record, birth_date, id_problem
from kbtui.domain.idcard import IdNumberError, birth_date_of, is_canonical, normalize_id, sex_of
from kbtui.domain.ledger import LedgerContext
from kbtui.registry import Registry


@dataclass(frozen=True)
class Problem:
    id_number: str
    name: str
    field: str          # Chinese field label
    message: str        # Chinese
    check: str = ""

    def as_dict(self) -> dict:
        return {"id_number": self.id_number, "name": self.name, "field": self.field,
                "message": self.message, "check": self.check}


class CheckContext(LedgerContext):
    """A ledger context that also knows the situation vocabulary."""

    def __init__(self, profile, statuses: st.StatusRegistry, today=None) -> None:
        super().__init__(profile, today)
        self.statuses = statuses


Check = Callable[[Record, CheckContext], Sequence[str | tuple[str, str]]]   # messages, or (field, message)


def _problem(record: Record, field: str, message: str, check: str = "") -> Problem:
    return Problem(record.get("id_number", ""), record.get("name", ""), field, message, check)


def check_id(record: Record, ctx: CheckContext) -> list[tuple[str, str]]:
    problem = id_problem(record)
    if problem:
        return [("身份证号", problem)]
    found = []
    number = record["id_number"]
    written = record.get("birth_date")
    # the usual case without parsing: the stored date is the ID's own, written as ISO
    same = type(written) is str and written == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    born = None if same else birth_date(record)
    if born and born != birth_date_of(number):
        found.append(("出生日期", f"出生日期{born}与身份证号中的{birth_date_of(record['id_number'])}不一致"))
    if record.get("sex") and record["sex"] != sex_of(record["id_number"]):
        found.append(("性别", f"性别“{record['sex']}”与身份证号（{sex_of(record['id_number'])}）不一致"))
    return found


def check_age(record: Record, ctx: CheckContext) -> list[tuple[str, str]]:
    c = ctx.classify(record)
    if c.age is None:
        return [("出生日期", "缺少出生日期，无法判断是否适龄")]
    if c.cohort is None and not c.derived and ctx.statuses.kind_of(c.situation) in (st.Kind.PROBLEM,):
        return [("出生日期", f"{c.age}周岁不在排查年龄范围内，却登记为“{c.situation}”")]
    if c.cohort is None and c.local and c.situation not in (st.OUTSIDE_COHORT,) and not c.derived:
        return [("出生日期", f"{c.age}周岁不在本次排查年龄范围内，核实情况“{c.situation}”可能多余")]
    return []


def check_situation(record: Record, ctx: CheckContext) -> list[tuple[str, str]]:
    label = record.get("status")
    if not label:
        return []
    if label not in ctx.statuses:
        return [("核实情况", f"“{label}”不是已登记的情况")]
    c = ctx.classify(record)
    found = []
    if label in (st.IN_SCHOOL, "随班就读") and not record.get("school"):
        found.append(("就读学校", f"登记为“{label}”却没有就读学校"))
    if label in ("随班就读", "特校就读", "送教上门", "免予入学") and not record.get("disability_category"):
        found.append(("残疾类别", f"登记为“{label}”却没有残疾信息"))
    if label == "初中已毕业" and c.age is not None and c.age < 14:
        found.append(("核实情况", f"{c.age}周岁登记为“初中已毕业”，年龄不符"))
    if label == "延缓入学" and c.age is not None and c.age > ctx.profile.cohorts["local"].window.low + 1:
        found.append(("核实情况", f"{c.age}周岁登记为“延缓入学”（缓学最长一年）"))
    return found


def missing_evidence(record: Record, statuses: st.StatusRegistry) -> bool:
    """A recorded not-dropout (or other evidence-needing) situation without any evidence document."""
    label = record.get("status")
    situation = statuses.get(label) if label else None
    if not (situation and situation.needs_evidence):
        return False
    # evidence items carry the situation they support (untagged items count for any)
    return not any(e.get("status") in (None, label) for e in record.get("evidence") or () if isinstance(e, dict))


def check_evidence(record: Record, ctx: CheckContext) -> list[tuple[str, str]]:
    if not missing_evidence(record, ctx.statuses):
        return []
    situation = ctx.statuses.get(record["status"])
    hint = f"（{situation.description}）" if situation and situation.description else ""
    return [("佐证材料", f"登记为“{record['status']}”却没有佐证材料{hint}")]


CORE_CHECKS: dict[str, Check] = {"身份证号": check_id, "年龄": check_age, "核实情况": check_situation,
                                 "佐证材料": check_evidence}


def duplicate_problems(records: Iterable[Record]) -> list[Problem]:
    """The same child under two ID numbers (same name, birth date and village), or an ID not normalised."""
    first: dict[tuple, Record] = {}          # each key's first record, in the order keys are first seen
    groups: dict[tuple, list[Record]] = {}   # only the keys seen more than once (a county has few)

    def add(key: tuple, record: Record) -> None:
        other = first.setdefault(key, record)
        if other is not record:
            groups.setdefault(key, [other]).append(record)

    for record in records:
        get = record.get
        key = (get("name"), get("birth_date"), get("village"))
        if key[0] and key[1] and key[2]:
            add(key, record)
        number = get("id_number")
        if is_canonical(number):       # normalising returns it unchanged or refuses it: nothing to group
            continue
        try:
            normalized = normalize_id(number)
        except IdNumberError:
            continue
        if normalized != number:
            add(("id", normalized), record)
    problems = []
    for records_ in (groups[key] for key in first if key in groups):
        ids = "、".join(r.get("id_number", "") for r in records_)
        for record in records_:
            problems.append(_problem(record, "身份证号", f"疑似重复：同名同生日同村的记录 {ids}", "重复"))
    return problems


def run_checks(records: list[Record], checks: Registry[Check], ctx: CheckContext) -> list[Problem]:
    problems = duplicate_problems(records)
    for record in records:
        for name, check in checks.items():
            for item in check(record, ctx):
                field, message = item if isinstance(item, tuple) else ("", item)
                problems.append(_problem(record, field, message, name))
    return sorted(problems, key=lambda p: (p.check, p.id_number))
