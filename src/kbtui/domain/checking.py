"""Checking levels: every finding moves 录入 → 村/校核查 → 镇核查 → 县复核, each step by a person of
an allowed role; a checker may send it back with a reason, and then it is checked again from the start.

State on the child record (per campaign):
- ``check_level``: the last level passed (``"录入"`` once a finding is recorded);
- ``check_returned``: ``{level, reason, by, at}`` while sent back, else None;
- ``check_history``: every step ``{level, result: 通过|退回, by, role, at, reason}``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

ENTERED = "录入"
LOCAL_CHECK = "村/校核查"
TOWN_CHECK = "镇核查"
COUNTY_REVIEW = "县复核"
LEVELS: tuple[str, ...] = (ENTERED, LOCAL_CHECK, TOWN_CHECK, COUNTY_REVIEW)
LEVEL_ALIASES = {"村核查": LOCAL_CHECK, "校核查": LOCAL_CHECK, "村校核查": LOCAL_CHECK, "学校核查": LOCAL_CHECK,
                 "镇级核查": TOWN_CHECK, "全镇核查": TOWN_CHECK, "县级复核": COUNTY_REVIEW, "县局复核": COUNTY_REVIEW,
                 "entered": ENTERED, "local": LOCAL_CHECK, "town": TOWN_CHECK, "county": COUNTY_REVIEW}

PASSED = "通过"
RETURNED = "退回"

# Who may take each step (a profile's [checking.roles] may replace a level's list).
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    ENTERED: (),   # anybody who records a visit
    LOCAL_CHECK: ("村干部", "组长", "校长", "学校领导", "班主任"),
    TOWN_CHECK: ("镇领导", "镇干部", "教育专干", "校长"),      # 熨斗: the two principals lead the town check
    COUNTY_REVIEW: ("县教育局", "督学"),
}
#: The levels the township does itself: an operator acting for the whole township (``Checker.township``,
#: the 镇管理员 and 教育专干 accounts) may take them anywhere, whatever the role lists say. 县复核 stays the county's.
TOWNSHIP_LEVELS: tuple[str, ...] = (LOCAL_CHECK, TOWN_CHECK)


class CheckingError(ValueError):
    """A step that may not be taken; the message is Chinese."""


def normalize_level(text: str) -> str:
    raw = "".join(str(text or "").split())
    if raw in LEVELS:
        return raw
    if raw in LEVEL_ALIASES:
        return LEVEL_ALIASES[raw]
    if raw.isdigit() and 0 <= int(raw) < len(LEVELS):
        return LEVELS[int(raw)]
    raise CheckingError(f"没有“{text}”这一核查级别，可用的有：{'、'.join(LEVELS)}")


def level_index(level: str | None) -> int:
    """-1 when nothing is recorded yet."""
    return LEVELS.index(level) if level in LEVELS else -1


def current_level(record: Record) -> str | None:
    """The last level passed: ``check_level``, or 录入 when a finding is recorded but not yet checked."""
    level = record.get("check_level")
    if level in LEVELS:
        return level
    return ENTERED if record.get("status") else None


def is_returned(record: Record) -> bool:
    return bool(record.get("check_returned"))


def checked_at_least(record: Record, level: str) -> bool:
    """For ledger export by level: has the record's finding passed ``level`` (and is not sent back)?

    ``录入`` keeps every record (the ledger as it stands); higher levels only checked findings.
    """
    wanted = level_index(normalize_level(level))
    if wanted <= 0:
        return True
    if is_returned(record):
        return False
    return level_index(current_level(record)) >= wanted


def next_level(record: Record) -> str | None:
    index = level_index(current_level(record))
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


@dataclass(frozen=True)
class Checker:
    """Who takes a step: name, roles (a person may hold more than one) and unit (village or school).

    ``township``: acts for the whole township (an operator who may do everything there): may take every
    level in ``TOWNSHIP_LEVELS``, in every village and school."""

    name: str
    roles: tuple[str, ...]
    unit: str = ""
    township: bool = False


def roles_for(level: str, overrides: Mapping[str, Sequence[str]] | None = None) -> tuple[str, ...]:
    if overrides and level in overrides:
        return tuple(overrides[level])
    return DEFAULT_ROLES[level]


def level_refusal(checker: Checker, level: str, overrides: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """None if ``checker`` may take ``level`` at all (whatever the record); else the Chinese reason why not."""
    level = normalize_level(level)
    if level == ENTERED:
        return "“录入”由入户核实时自动完成，无需核查"
    if checker.township and level in TOWNSHIP_LEVELS:
        return None
    allowed = roles_for(level, overrides)
    if allowed and not set(checker.roles) & set(allowed):
        have = "、".join(checker.roles) or "未登记职务"
        return f"“{level}”须由{'、'.join(allowed)}进行，{checker.name}（{have}）不能操作"
    return None


def may_take(checker: Checker, level: str, record: Record, *, situation_known: bool = True,
             overrides: Mapping[str, Sequence[str]] | None = None,
             schools_of_village: Iterable[str] = ()) -> str | None:
    """None if ``checker`` may pass or return ``record`` at ``level``; else the Chinese reason why not."""
    level = normalize_level(level)
    refusal = level_refusal(checker, level, overrides)
    if refusal:
        return refusal
    if not situation_known and not record.get("status"):
        return "尚未核实（没有核实情况），不能核查；请先入户核实"
    if checker.township:
        return None
    if level == LOCAL_CHECK and checker.unit and not set(checker.roles) & {"镇领导", "镇干部", "教育专干"}:
        village, school = record.get("village") or "", record.get("school") or ""
        if checker.unit not in (village, school) and checker.unit not in set(schools_of_village):
            place = village or "（未分村）"
            return (f"{checker.name}属于{checker.unit}，不能核查{place}的儿童"
                    f"（{place}的由本村的村干部、组长或包该村的学校核查，镇管理员、教育专干可核查全镇）")
    return None


def step_error(record: Record, level: str, reject: bool) -> str | None:
    """None if ``level`` is the right next step for the record (or a valid rejection), else why not."""
    level = normalize_level(level)
    here = current_level(record)
    if reject:
        if is_returned(record):
            return "该记录已被退回，等待重新核实"
        if level_index(level) > level_index(here) + 1:
            return f"该记录目前为“{here or '未录入'}”，不能在“{level}”退回"
        return None
    if is_returned(record):
        returned = record["check_returned"]
        return f"该记录已在“{returned.get('level')}”被退回（{returned.get('reason')}），须重新核实后再核查"
    if level_index(level) <= level_index(here):
        return f"该记录已通过“{here}”"
    expected = next_level(record)
    if level != expected:
        return f"该记录目前为“{here or '未录入'}”，下一步应为“{expected}”，不能跳级"
    return None


def apply_step(record: Record, level: str, checker: Checker, at: str, reject_reason: str | None = None) -> dict:
    """The changes to store for one step (passing, or sending back with a reason)."""
    level = normalize_level(level)
    history = list(record.get("check_history") or [])
    entry = {"level": level, "result": RETURNED if reject_reason else PASSED, "by": checker.name,
             "role": "、".join(checker.roles), "at": at}
    if reject_reason:
        entry["reason"] = reject_reason
        history.append(entry)
        return {"check_level": ENTERED if record.get("status") else None, "check_history": history,
                "check_returned": {"level": level, "reason": reject_reason, "by": checker.name, "at": at}}
    history.append(entry)
    return {"check_level": level, "check_history": history, "check_returned": None}


def after_new_finding(record: Record) -> dict:
    """A new or corrected finding starts checking again at 录入 (and clears a sending-back)."""
    return {"check_level": ENTERED, "check_returned": None}


def level_counts(records: Iterable[Record]) -> dict[str, int]:
    """How many findings stand at each level, plus how many are sent back (``退回``)."""
    counts = {level: 0 for level in LEVELS}
    counts[RETURNED] = 0
    for record in records:
        if is_returned(record):
            counts[RETURNED] += 1
            continue
        level = current_level(record)
        if level:
            counts[level] += 1
    return counts
