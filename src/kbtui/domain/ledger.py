"""Ledgers (台账): which children belong, which columns, in which order, under which title.

A ledger is data that a plugin registers through ``kbtui_register_ledgers``. Column values and the
membership test are small functions of (record, context), so a county plugin can derive a variant of
a stock ledger with ``dataclasses.replace`` and a few changed columns.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kbtui.domain.child import Record, display
from kbtui.domain.classify import Classification, Classifier
from kbtui.domain.sorting import place_key

if TYPE_CHECKING:  # annotations only: kbtui.profiles builds the profile from domain pieces
    from kbtui.profiles import Profile


class LedgerContext:
    """What a ledger function may know besides the record: the profile, today, and classifications."""

    def __init__(self, profile: Profile, today: dt.date | None = None, extra: dict | None = None) -> None:
        self.profile = profile
        self.today = today or dt.date.today()
        self.extra = extra or {}          # services may pass more (e.g. cases, placements) by name
        self._cache: dict[str | int, Classification] = {}     # by ID number, else id() of the record
        self._classifier = Classifier(profile)

    def collection(self, name: str) -> list[dict]:
        """The documents of a store collection that a ledger's sheet asked for (``SheetSpec.collections``),
        already limited to the operator's scope; [] when the caller passed none."""
        return list((self.extra.get("collections") or {}).get(name) or [])

    def classify(self, record: Record) -> Classification:
        key = record.get("id_number") or id(record)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._classifier(record)
        return found

    def title_vars(self) -> dict[str, Any]:
        p = self.profile
        ledgers = p.settings.ledgers
        return {"province": p.province, "county": p.county, "township": p.township, "year": p.year,
                "title": p.title, "term": p.settings.term_name,
                "local_label": ledgers.local_label, "nonlocal_label": ledgers.nonlocal_label}


ValueFn = Callable[[Record, LedgerContext], Any]


@dataclass(frozen=True)
class Column:
    header: str
    value: ValueFn
    width: int = 12
    # the record field shown, if any: ID and phone fields are masked in exports (services.access.access)
    key: str = ""


def field_column(header: str, key: str, width: int = 12) -> Column:
    """A column that shows one record field as it is."""
    return Column(header, lambda record, _ctx: display(record, key), width, key)


def default_sort(record: Record) -> tuple:
    """Village, group (2组 before 10组), name, ID."""
    return place_key(record)


@dataclass(frozen=True)
class SheetColumn:
    """A column of a ledger's extra sheet. ``key`` names the record field it shows, if any: ID and phone
    fields (``id_number``, ``guardian_phone`` …) are then masked in exports for roles that may not see them."""
    header: str
    width: int = 12
    key: str = ""


SheetRows = Callable[[list[Record], LedgerContext], Iterable[Sequence[Any]]]


@dataclass(frozen=True)
class SheetSpec:
    """A further printable sheet in a ledger's export, e.g. 送教记录 beside 送教上门学生台账.

    ``rows(members, ctx)`` gets the ledger's children (filtered and sorted as on the first sheet) and
    yields one list of values per row in column order, without 序号 (added when ``serial``).
    ``collections`` names the store collections the rows read through ``ctx.collection(name)``; the
    export passes them limited to the operator's scope. ``heading`` is the printed title (same
    placeholders as ``Ledger.title``); by default the ledger's title followed by （title）.
    """
    title: str
    columns: tuple[SheetColumn, ...]
    rows: SheetRows
    collections: tuple[str, ...] = ()
    heading: str = ""
    serial: bool = True

    def heading_for(self, ctx: LedgerContext, ledger_title: str) -> str:
        return self.heading.format(**ctx.title_vars()) if self.heading else f"{ledger_title}（{self.title}）"

    def headers(self) -> list[tuple[str, int]]:
        columns = [(c.header, c.width) for c in self.columns]
        return [("序号", 6)] + columns if self.serial else columns


@dataclass(frozen=True)
class Ledger:
    id: str
    title: str                                  # template: {township} {year} {county} {province}
    columns: tuple[Column, ...]
    include: Callable[[Record, LedgerContext], bool]
    sort_key: Callable[[Record], Any] = default_sort
    description: str = ""
    sheet: str = "台账"
    serial: bool = True                          # 序号 as the first column
    extra: dict = field(default_factory=dict)
    extra_sheets: tuple[SheetSpec, ...] = ()     # further sheets of the export (SheetSpec)

    def title_for(self, ctx: LedgerContext) -> str:
        return self.title.format(**ctx.title_vars())

    def headers(self) -> list[tuple[str, int]]:
        columns = [(c.header, c.width) for c in self.columns]
        return [("序号", 6)] + columns if self.serial else columns

    def members(self, records: Iterable[Record], ctx: LedgerContext) -> list[Record]:
        return sorted((r for r in records if self.include(r, ctx)), key=self.sort_key)

    def rows(self, records: Iterable[Record], ctx: LedgerContext) -> Iterable[list[Any]]:
        for n, record in enumerate(self.members(records, ctx), 1):
            values = [c.value(record, ctx) for c in self.columns]
            yield [n, *values] if self.serial else values
