"""Search as you type: by name, pinyin (full or initials), ID number or its last digits.

Pinyin is computed once per distinct character (pypinyin), so building the index for 100,000 children
costs little; a query that extends the previous one filters the previous hits only.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Pinyin is only ever asked for single characters: pypinyin's phrase dictionary (~46 MB once loaded, read
# at import) changes nothing for those (checked for all 41,923 characters of its table), so skip loading it.
_NO_PHRASES = "PYPINYIN_NO_PHRASES"
_had_no_phrases = _NO_PHRASES in os.environ
os.environ.setdefault(_NO_PHRASES, "1")
try:
    from pypinyin import Style, lazy_pinyin
finally:
    if not _had_no_phrases:
        del os.environ[_NO_PHRASES]

from kbtui.domain.child import Record  # noqa: E402 - after pypinyin, imported with the variable set

_char_cache: dict[str, str] = {}
_ID_QUERY = re.compile(r"^[0-9]+[xX]?$")


def _char_pinyin(char: str) -> str:
    found = _char_cache.get(char)
    if found is None:
        found = _char_cache[char] = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")[0] \
            if "\u4e00" <= char <= "\u9fff" else char.lower()
    return found


def name_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, e.g. 张三 → ("zhangsan", "zs")."""
    syllables = [_char_pinyin(c) for c in name if not c.isspace()]
    syllables = [s for s in syllables if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


@dataclass(frozen=True)
class Entry:
    id_number: str
    name: str
    full: str
    initials: str


def entry_for(record: Record) -> Entry:
    name = record.get("name") or ""
    full, initials = name_pinyin(name)
    return Entry(record.get("id_number", ""), name, full, initials)


def matches(entry: Entry, query: str) -> bool:
    if not query:
        return True
    if query in entry.name:
        return True
    if _ID_QUERY.match(query):
        digits = query.upper()
        return entry.id_number.endswith(digits) or (len(digits) >= 6 and digits in entry.id_number)
    q = query.lower()
    return entry.initials.startswith(q) or entry.full.startswith(q) or (len(q) >= 3 and q in entry.full)


def _narrows(previous: str, query: str) -> bool:
    """True when every hit of ``query`` is also a hit of ``previous`` (so only those need testing)."""
    if not previous or not query.startswith(previous) or any(c.isdigit() for c in query):
        return False
    return len(previous) >= 3 or all("\u4e00" <= c <= "\u9fff" for c in previous)


class SearchIndex:
    """An in-memory index over the children in scope."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.entries: list[Entry] = [entry_for(r) for r in records]
        self._last_query = ""
        self._last_hits: list[Entry] = self.entries

    def update(self, record: Record) -> None:
        entry = entry_for(record)
        self.entries = [entry if e.id_number == entry.id_number else e for e in self.entries]
        if all(e.id_number != entry.id_number for e in self.entries):
            self.entries.append(entry)
        self._last_query, self._last_hits = "", self.entries

    def search(self, query: str) -> list[str]:
        """ID numbers of the matching children, in index order."""
        query = query.strip()
        pool = self._last_hits if _narrows(self._last_query, query) else self.entries
        hits = [e for e in pool if matches(e, query)]
        self._last_query, self._last_hits = query, hits
        return [e.id_number for e in hits]
