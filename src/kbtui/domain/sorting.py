"""Sorting as people read the values: numbers by value (9 before 10), dates by date, numbered names
naturally (2组 before 10组, 三年级 before 十年级), blanks last whichever way the list is sorted.

``value_key(value)`` is the sort key of one cell (any type, so one column of mixed cells sorts without an
error); ``sort_blanks_last(items, key, reverse)`` sorts with the blanks at the end in both directions;
``place_key(record)`` is the village / group / name / ID order of the lists of children.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_PARTS = re.compile(r"(\d+|[一二三四五六七八九十]+(?=[年组班级社队届期]))")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

BLANK_KEY = (1,)


def _cn_number(text: str) -> int:
    """一 … 九十九 (the numbers in 三年级, 十二组)."""
    if "十" not in text:
        return int("".join(str(_CN.get(c, 0)) for c in text))
    tens, _, ones = text.partition("十")
    return (_CN.get(tens, 1) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)


@functools.lru_cache(maxsize=65536)
def _text_key(text: str) -> tuple:
    if _NUMBER.fullmatch(text):
        return (0, ((0, float(text), ""),))
    parts = []
    for part in _PARTS.split(text):
        if not part:
            continue
        if part.isdigit():
            parts.append((0, int(part), ""))
        elif part[0] in _CN or part[0] == "十":
            parts.append((0, _cn_number(part), ""))
        else:
            parts.append((1, 0, part))
    return (0, tuple(parts))


def value_key(value: Any) -> tuple:
    """The sort key of a cell: numbers and numeric text by value, ISO dates (2015-03-04, 2024-09-20T23:59)
    by date (their digit runs compare in order), text with its numbers as numbers; blanks after all."""
    if value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip()):
        return BLANK_KEY
    if isinstance(value, bool):
        return (0, ((0, float(value), ""),))
    if isinstance(value, (int, float)):
        return (0, ((0, float(value), ""),))
    if isinstance(value, (dt.date, dt.datetime)):
        return _text_key(value.isoformat())
    if isinstance(value, (list, tuple)):
        return _text_key("、".join(map(str, value)))
    return _text_key(str(value).strip())


def sort_blanks_last(items: Iterable[T], key: Callable[[T], Any], reverse: bool = False) -> list[T]:
    """``sorted(items, key=value_key(key(item)), reverse=reverse)`` with the blank cells last either way."""
    keyed = [(value_key(key(item)), item) for item in items]
    filled = [pair for pair in keyed if pair[0] != BLANK_KEY]
    blank = [item for k, item in keyed if k == BLANK_KEY]
    filled.sort(key=lambda pair: pair[0], reverse=reverse)
    return [item for _, item in filled] + blank


def place_key(record: dict) -> tuple:
    """Village, group (2组 before 10组), name, ID: the order of the lists of children."""
    return (record.get("village") or "", value_key(record.get("group")), record.get("name") or "",
            record.get("id_number") or "")
