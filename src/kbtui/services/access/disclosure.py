"""What an operator may read of children's ID and phone numbers: one presenter for everything shown.

Every listing and JSON output of the CLI (``cli.common.echo`` / ``print_json``) and every list, detail and
message of the TUI passes what it shows through a :class:`Presenter` (``presenter(workspace)``). For a role
that does not see full numbers (``Role.full_numbers``: 督导, 县复核, 村干部, 学校 in lists) it masks

- by field kind (``domain.masking.FIELD_KINDS``: id_number, student_no, disability_certificate,
  guardian_phone): the value under such a key wherever it is in the data — a record, an audit entry's
  old → new, a check's problem, a household of the spot check — also in lists and nested values;
- inside any other text: anything shaped like an ID number (``masking.mask_ids_in_text``), and any of
  the township's guardians' phone numbers (looked up in the store once, when a string first holds a number
  long enough to be one). Staff phones in the people register are not children's: they stay.

A full ID number may still be typed as input (to find a child); only what is shown is masked. The detail
form of the TUI (purpose ``"detail"``) shows full numbers to the roles that may edit them; exported files
(purpose ``"export"``, ``services.access.access``) to the roles whose official forms need them (``full_exports``).
The presenter of a workspace is made once (the guardians' phones are read once per command or session).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kbtui.domain import masking
from kbtui.domain import roles as R
from kbtui.services.access.gate import operator_of, raw_store

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

LIST, DETAIL, EXPORT = "list", "detail", "export"

# a run of digits (with dashes) long enough to be a phone number, not part of a longer number or word
_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9][0-9-]{5,}[0-9](?![0-9A-Za-z])")


def full_numbers(workspace: Workspace, purpose: str = LIST) -> bool:
    """Whether this operator sees full ID and phone numbers (``purpose``: "list" or "detail")."""
    operator = operator_of(workspace)
    if operator is None:
        return False
    role = operator.role_info
    if purpose == EXPORT:
        return role.full_exports
    return role.full_numbers or (purpose == DETAIL and role.may(R.WRITE))


class Presenter:
    """Masks what is shown for an operator (see the module docstring); for full-number roles it hands
    everything back unchanged."""

    def __init__(self, full: bool, phones: Callable[[], set[str]] = set):
        self.full = full
        self._phones_of = phones
        self._phones: set[str] | None = None

    # --- values ----------------------------------------------------------------------------------------
    def data(self, value: Any) -> Any:
        """A copy of ``value`` (dicts, lists, tuples, strings …) as it may be shown."""
        if self.full:
            return value
        return self._data(value)

    def _data(self, value: Any, kind: str | None = None) -> Any:
        if isinstance(value, str):
            return masking.MASKS[kind](value) if kind and value else self._text(value)
        if isinstance(value, Mapping):
            return {k: self._data(v, masking.FIELD_KINDS.get(k, kind) if isinstance(k, str) else kind)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._data(v, kind) for v in value) if isinstance(value, tuple) \
                else [self._data(v, kind) for v in value]
        return value

    def text(self, text: str) -> str:
        """A line of text as it may be shown: ID numbers and guardians' phone numbers in it masked."""
        if self.full or not text:
            return text
        return self._text(text)

    def _text(self, text: str) -> str:
        text = masking.mask_ids_in_text(text)
        if _NUMBER.search(text) is None:
            return text
        phones = self.phones()
        return _NUMBER.sub(lambda m: masking.mask_phone(m.group(0)) if m.group(0).replace("-", "") in phones
                           else m.group(0), text)

    def value(self, key: str | None, value: Any) -> Any:
        """One value of field ``key`` (None: no field) as it may be shown, of the same type unless masked."""
        if self.full or not value:
            return value
        kind = masking.FIELD_KINDS.get(key or "")
        if kind:
            return masking.MASKS[kind](value)
        return self._text(value) if isinstance(value, str) else value

    def cell(self, key: str, value: Any) -> str:
        """One cell of a list whose column shows field ``key``."""
        if value is None:
            shown = ""
        else:
            shown = "、".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        if self.full or not shown:
            return shown
        kind = masking.FIELD_KINDS.get(key)
        return masking.MASKS[kind](shown) if kind else self._text(shown)

    def phones(self) -> set[str]:
        """The guardians' phone numbers of the township (digits only), read once."""
        if self._phones is None:
            self._phones = self._phones_of()
        return self._phones


def _guardian_phones(workspace: Workspace) -> Callable[[], set[str]]:
    def phones() -> set[str]:
        found: set[str] = set()
        for record in raw_store(workspace).all():
            for phone in str(record.get("guardian_phone") or "").split("、"):
                phone = phone.strip().replace("-", "")
                if len(phone) >= 7:
                    found.add(phone)
        return found
    return phones


def presenter(workspace: Workspace, purpose: str = LIST) -> Presenter:
    """The presenter for this workspace's operator: ``purpose`` "list" (lists, JSON, messages), "detail"
    (the form of one child, full for roles that may edit it) or "export" (files)."""
    made = workspace.__dict__.setdefault("_presenters", {}) if hasattr(workspace, "__dict__") else {}
    found = made.get(purpose)
    if found is None:
        found = made[purpose] = Presenter(full_numbers(workspace, purpose), _guardian_phones(workspace))
    return found


__all__ = ["DETAIL", "EXPORT", "LIST", "Presenter", "full_numbers", "presenter"]
