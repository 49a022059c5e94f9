"""What must not leak: every child's numbers, and where they turn up in a text."""
from __future__ import annotations

import re

from kbtui.services.workspace import Workspace


def secrets_of(ws: Workspace, extra: list[str]) -> set[str]:
    """Every child's ID number, 学籍号, 残疾证号 and guardian's phone (and ``extra`` numbers)."""
    found = set(extra)
    for record in ws.raw_store.all():
        for key in ("id_number", "student_no", "disability_certificate"):
            if record.get(key):
                found.add(str(record[key]).lstrip("G"))
        for phone in str(record.get("guardian_phone") or "").split("、"):
            if phone:
                found.add(phone)
    return found


_RUN = re.compile(r"[0-9Xx]{7,}")


def leaks(text: str, secrets: set[str]) -> list[str]:
    """The secrets found in ``text``: every run of digits is looked at whole and in 11 and 18 digit slices."""
    hits = []
    for run in _RUN.findall(text):
        for size in (len(run), 18, 11, 8, 7):
            hits += [run[i:i + size] for i in range(len(run) - size + 1) if run[i:i + size] in secrets]
    return sorted(set(hits))
