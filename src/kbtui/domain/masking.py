"""Masking sensitive numbers for lists shown to roles that do not need them.

ID numbers keep the region code and the last four (``500224********1234``, ``idcard.mask_id``); phone
numbers keep the first three and the last four (``138****5678``). The detail form shows full values.
"""
from __future__ import annotations

import re
from typing import Any

from kbtui.domain.idcard import mask_id

# Fields masked in lists: field key -> masking function.
_DIGITS = re.compile(r"\d")


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; a landline keeps its first three and last four digits the same way.

    Several numbers (joined by 、) are masked one by one; a short number is masked entirely.
    """
    text = str(phone or "")
    if not text:
        return ""
    if "、" in text:
        return "、".join(mask_phone(p) for p in text.split("、"))
    digits = [m.start() for m in _DIGITS.finditer(text)]
    if len(digits) < 8:
        return _DIGITS.sub("*", text)
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_id_number(value: Any) -> str:
    return mask_id(str(value)) if value else ""


MASKED_FIELDS = {
    "id_number": mask_id_number,
    "guardian_phone": mask_phone,
    "phone": mask_phone,
    "student_no": mask_id_number,          # usually "G" + the ID number
    "disability_certificate": mask_id_number,   # the ID number plus the category and grade
}


def mask_cell(key: str, value: Any) -> Any:
    """``value`` masked if ``key`` names an ID-like or phone field (a list column, an export column)."""
    fn = MASKED_FIELDS.get(key)
    return fn(value) if fn is not None and value else value


def mask_record(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with ID-like and phone fields masked (other fields unchanged)."""
    masked = dict(record)
    for key, fn in MASKED_FIELDS.items():
        value = masked.get(key)
        if value:
            masked[key] = fn(value)
    return masked
