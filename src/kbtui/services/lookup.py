"""Lookups and the refusal they raise, shared by the capabilities above (escalation, disability, risk).

``find_child`` finds a child by ID number (as typed, or as stored when the number does not normalize);
``parse_day`` reads a day the user typed; ``EscalationError`` is the refusal of the escalation services
(absences, cases, ladders) and of the risk list built on them.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kbtui.domain.child import Record
from kbtui.domain.idcard import IdNumberError, normalize_id
from kbtui.domain.normalize import NormalizeError, parse_date

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


class EscalationError(ValueError):
    """A request the escalation services refuse; the message is Chinese and says what to do."""


def child_key(id_number: str) -> str:
    """The key a child is stored under: the normalized ID number, or the text as typed when it is no valid one."""
    try:
        return normalize_id(id_number)
    except IdNumberError:
        return str(id_number).strip()


def find_child(workspace: Workspace, id_number: str, error: type[Exception], hint: str = "") -> Record:
    """The child stored under ``id_number``; ``error`` (with ``hint`` after the message) when there is none."""
    record = workspace.store.get(child_key(id_number))
    if record is None:
        raise error(f"找不到身份证号为 {id_number} 的儿童{hint}")
    return record


def parse_day(value: dt.date | str | None, default: dt.date | None = None) -> dt.date:
    """A day typed by the user (today, or ``default``, when empty); EscalationError when unreadable."""
    if value is None or value == "":
        return default or dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(value)
    except NormalizeError as err:
        raise EscalationError(str(err)) from None
