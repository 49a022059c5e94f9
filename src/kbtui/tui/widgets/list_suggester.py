"""Completion of a list typed in one field (城头镇、桑村镇): the item being typed after the last 、 or comma."""
from __future__ import annotations

import re
from collections.abc import Iterable

from textual.suggester import Suggester

_LAST_ITEM = re.compile(r"^(.*[、,，;；\s])?([^、,，;；\s]*)$", re.DOTALL)


class ItemsSuggester(Suggester):
    """Suggests one of ``items`` for the last item of the value, keeping the items typed before it
    (those already in the list are not offered again)."""

    def __init__(self, items: Iterable[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.items = list(dict.fromkeys(i for i in items if i))

    async def get_suggestion(self, value: str) -> str | None:
        match = _LAST_ITEM.match(value)
        if match is None:
            return None
        head, typed = match.group(1) or "", match.group(2)
        if not typed:
            return None
        before = set(re.split(r"[、,，;；\s]+", head))
        found = next((i for i in self.items if i.startswith(typed) and i != typed and i not in before), None)
        return head + found if found else None
