"""Masking children's ID and phone numbers for roles that do not need them.

ID numbers keep the region code and the last four (``500224********1234``, ``idcard.mask_id``); phone
numbers keep the first three and the last four (``138****5678``). Which fields hold such numbers is one
table, :data:`FIELD_KINDS` (a field key → its kind); exports mask their columns by it
(``services.access.access.mask_row``) and everything shown on screen or printed passes through
``services.access.disclosure``, which masks by it and also finds ID numbers inside any other text
(:func:`mask_ids_in_text`). A staff member's phone in the people register is no child's number: not masked.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kbtui.domain.idcard import mask_id

_DIGITS = re.compile(r"\d")

ID, PHONE = "id", "phone"


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; a landline keeps its first three and last four digits the same way.

    Several numbers (joined by 、) are masked one by one; a short number is masked entirely; a number
    already masked stays as it is.
    """
    text = str(phone or "")
    if not text or "*" in text:
        return text
    if "、" in text:
        return "、".join(mask_phone(p) for p in text.split("、"))
    digits = [m.start() for m in _DIGITS.finditer(text)]
    if len(digits) < 8:
        return _DIGITS.sub("*", text)
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_id_number(value: Any) -> str:
    return mask_id(str(value)) if value else ""


#: the fields holding a child's number, by kind
FIELD_KINDS: dict[str, str] = {
    "id_number": ID,
    "student_no": ID,                  # usually "G" + the ID number
    "disability_certificate": ID,      # the ID number plus the category and grade
    "guardian_phone": PHONE,
}
MASKS: dict[str, Callable[[Any], str]] = {ID: mask_id_number, PHONE: mask_phone}
#: field key → masking function (for the columns of exports and lists)
MASKED_FIELDS = {key: MASKS[kind] for key, kind in FIELD_KINDS.items()}


def mask_cell(key: str, value: Any) -> Any:
    """``value`` masked if ``key`` names an ID-like or phone field (a list column, an export column)."""
    fn = MASKED_FIELDS.get(key)
    return fn(value) if fn is not None and value else value


# An ID number inside text: 15 to 18 digits (old and new numbers, and mistyped ones), perhaps an X, perhaps
# a letter prefix (学籍号 G…) or digits after (残疾证号), a word of its own (not part of a longer one).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{0,3})([0-9]{14,}[Xx]?[0-9]*)(?![0-9A-Za-z])")


def mask_ids_in_text(text: str) -> str:
    """``text`` with every ID number in it masked (``500224********1234``)."""
    if len(text) < 14:
        return text
    return _ID_IN_TEXT.sub(lambda m: m.group(1) + mask_id(m.group(2)), text)


def fits_masked(masked: str, id_number: str) -> bool:
    """Could ``id_number`` be the one shown masked as ``masked`` (500224********1234: each * one hidden
    character, the rest the same; x and X alike)?"""
    return (len(masked) == len(id_number)
            and all(m == "*" or m == c for m, c in zip(masked.upper(), id_number.upper())))
