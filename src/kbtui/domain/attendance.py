"""Daily attendance marks (考勤表) and the absences they make, counted on the school calendar.

A class's attendance sheet has one mark per pupil and day. The vocabulary, as schools write it:

- present: √ ✓ ✔ 到 出勤 (a blank cell counts as present too), late or leaving early (迟 迟到 早退 + -);
- absent without leave: 缺 缺课 旷 旷课 × ✗ x X;
- on leave (excused, not counted by the ladders): 假 请假, 病 病假 △, 事 事假 ○, 公假.

``runs`` turns a pupil's marks over the sheet's school days into runs of consecutive school days absent
(one kind each: without leave, or on leave with its reason), which ``services.escalation.attendance_sheets`` stores
as absences.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from kbtui.domain.calendar import SchoolCalendar

PRESENT = "present"
ABSENT = "absent"
LEAVE = "leave"

_MARKS: dict[str, tuple[str, str]] = {}
for _text in ("√", "✓", "✔", "☑", "到", "出勤", "在", "v", "V", "迟", "迟到", "早退", "+", "-", "—"):
    _MARKS[_text] = (PRESENT, "")
for _text in ("缺", "缺课", "缺勤", "旷", "旷课", "未到", "×", "✗", "✘", "x", "X", "╳"):
    _MARKS[_text] = (ABSENT, "")
for _text, _reason in (("假", "请假"), ("请假", "请假"), ("病", "病假"), ("病假", "病假"), ("△", "病假"),
                       ("事", "事假"), ("事假", "事假"), ("○", "事假"), ("〇", "事假"), ("公假", "公假")):
    _MARKS[_text] = (LEAVE, _reason)

MARK_HELP = "√（到校，空白也算到校）、缺或×（无故缺课）、假、病、事（请假、病假、事假）"


class MarkError(ValueError):
    """A cell whose mark is not in the vocabulary; the message is Chinese."""


@dataclass(frozen=True)
class Mark:
    kind: str               # PRESENT, ABSENT or LEAVE
    reason: str = ""        # 病假, 事假, 请假 … for leave
    text: str = ""          # the cell as written

    @property
    def away(self) -> bool:
        return self.kind != PRESENT


def parse_mark(value: object) -> Mark:
    """The mark of one cell (None, "" and spaces: present). Raises MarkError for anything else unknown."""
    if value is None:
        return Mark(PRESENT)
    if isinstance(value, bool):
        raise MarkError(f"标记“{value}”看不懂，可用：{MARK_HELP}")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value in (0, 1):                 # 1 = present, 0 = absent in some exported systems
            return Mark(PRESENT if value == 1 else ABSENT, "", text)
        raise MarkError(f"标记“{text}”看不懂，可用：{MARK_HELP}")
    if not text:
        return Mark(PRESENT)
    found = _MARKS.get(text) or _MARKS.get(str(value).strip())
    if found is None:
        raise MarkError(f"标记“{text}”看不懂，可用：{MARK_HELP}")
    return Mark(found[0], found[1], text)


@dataclass(frozen=True)
class Run:
    """Consecutive school days absent of one kind: ``excused`` (on leave, with its reason) or not."""
    start: dt.date
    last: dt.date
    excused: bool
    reason: str = ""
    days: int = 0


def runs(marks: Iterable[tuple[dt.date, Mark]], calendar: SchoolCalendar) -> list[Run]:
    """Runs of a pupil's absences over school days (the days given are the school days of the sheet, in
    any order; present days break a run, as does a change between leave and absence, or of the reason)."""
    found: list[Run] = []
    current: Run | None = None
    for day, mark in sorted(marks, key=lambda item: item[0]):
        if not mark.away:
            if current is not None:
                found.append(current)
                current = None
            continue
        excused = mark.kind == LEAVE
        if (current is not None and current.excused == excused and current.reason == mark.reason
                and calendar.next_school_day(current.last) == day):
            current = Run(current.start, day, excused, mark.reason, current.days + 1)
            continue
        if current is not None:
            found.append(current)
        current = Run(day, day, excused, mark.reason, 1)
    if current is not None:
        found.append(current)
    return found
