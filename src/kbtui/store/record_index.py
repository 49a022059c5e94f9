"""The children a store process holds in memory, read the same way on both backends (``ChildStore``,
``PgStore``): the index maps ID number to record; ``refresh`` (each backend's own) keeps it current."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Record = dict[str, Any]


class RecordIndex:
    _records: dict[str, Record]
    lazy: bool = False          # a lazy store reads its records as they are asked for (ChildStore only)
    towns: list[str] | None = None      # the towns the store's login is limited to (PgStore); None: all of it

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, id_number: object) -> bool:
        return id_number in self._records

    def get(self, id_number: str) -> Record | None:
        rec = self._records.get(id_number)
        return dict(rec) if rec is not None else None

    def all(self) -> Iterator[Record]:
        """Every record (shared dicts: read-only for callers)."""
        return iter(list(self._records.values()))

    def ids(self) -> list[str]:
        return list(self._records)

    def registered_towns(self, ids: Iterable[str]) -> dict[str, str]:
        """The town ('' for none) of each of ``ids`` stored (``store.repository.StoreBackend``)."""
        found = {}
        for id_number in ids:
            rec = self.get(id_number)
            if rec is not None:
                found[id_number] = rec.get("town") or ""
        return found

    def in_villages(self, villages: Iterable[object]) -> Iterator[Record]:
        """The records of ``villages`` (shared dicts, read-only); a lazy ``ChildStore`` reads only their files."""
        wanted = {v or None for v in villages}
        return iter([r for r in self._records.values() if (r.get("village") or None) in wanted])
