"""The children list behind the TUI's 儿童 screen: search, filters and sorting over row numbers.

Built for county scale (100,000 children): opening costs one pass over the names (pinyin is computed
once per *distinct* name, and most names repeat), a keystroke of search is one C-speed pass over the
distinct names or the ID numbers, and filters / sort orders are computed once when they change, not per
keystroke. Classification (the situation of each child, 1.5 s at 100,000) is computed lazily: only for
the rows shown, or for all rows when a filter or sort needs it (the TUI does that in a worker).

Name matching follows ``services.children.search`` exactly (``search.matches``, inlined, once per distinct name).
"""
from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from kbtui.domain.child import Record, display
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.domain.masking import mask_cell
from kbtui.domain.sorting import sort_blanks_last
from kbtui.services.children.places import village_label
from kbtui.services.children.search import Entry, name_pinyin

_ID_QUERY = re.compile(r"^[0-9]+[xX]?$")

ValueFn = Callable[[Record, LedgerContext], Any]


@dataclass(frozen=True)
class ListColumn:
    """One column of the children list.

    ``value(record, ctx)`` returns the cell text; ``width`` is in terminal cells (a CJK character is 2);
    ``priority`` decides which columns stay when the terminal is narrow (lower stays first);
    ``needs_classification`` marks columns that read ``ctx.classify`` (sorting by them runs in a worker).
    """

    id: str
    header: str
    value: ValueFn
    width: int = 10
    priority: int = 50
    needs_classification: bool = False


def _field(key: str) -> ValueFn:
    return lambda record, _ctx: display(record, key)


def _situation(record: Record, ctx: LedgerContext) -> str:
    return ctx.classify(record).situation


def _age(record: Record, ctx: LedgerContext) -> str:
    age = ctx.classify(record).age
    return "" if age is None else str(age)


def _id_tail(record: Record, _ctx: LedgerContext) -> str:
    return (record.get("id_number") or "")[-6:]


CORE_COLUMNS: tuple[ListColumn, ...] = (
    ListColumn("name", "姓名", _field("name"), 8, 0),
    ListColumn("sex", "性别", _field("sex"), 4, 30),
    ListColumn("birth_date", "出生日期", _field("birth_date"), 10, 20),
    ListColumn("village", "村（社区）", _field("village"), 10, 10),
    ListColumn("school", "就读学校", _field("school"), 14, 25),
    ListColumn("status", "核实情况", _situation, 12, 5, True),
    ListColumn("id_tail", "证号尾", _id_tail, 6, 15),
    ListColumn("id_number", "身份证号", _field("id_number"), 18, 60),
    ListColumn("age", "年龄", _age, 4, 40, True),
    ListColumn("group", "组", _field("group"), 6, 70),
    ListColumn("key_groups", "重点群体", _field("key_groups"), 12, 65),
    ListColumn("guardian_phone", "联系电话", _field("guardian_phone"), 11, 80),
)


#: the child's town, shown (before the village) only to a district's operators who see several towns
#: (``places.sees_several_towns``)
TOWN_COLUMN = ListColumn("town", "乡镇", _field("town"), 8, 11)


def shown_columns(columns: Iterable[ListColumn], several_towns: bool) -> list[ListColumn]:
    """The columns the list offers: with the town's before the village for an operator who sees several
    towns."""
    shown = list(columns)
    if several_towns and not any(c.id == TOWN_COLUMN.id for c in shown):
        at = next((i for i, c in enumerate(shown) if c.id == "village"), len(shown))
        shown.insert(at, TOWN_COLUMN)
    return shown


def fit_columns(columns: Iterable[ListColumn], width: int, gap: int = 1) -> list[ListColumn]:
    """The columns that fit ``width`` cells, chosen by priority, kept in their declared order.

    ``id_tail`` is dropped when the full ``id_number`` fits.
    """
    columns = list(columns)
    chosen: set[str] = set()
    used = 0
    for column in sorted(columns, key=lambda c: c.priority):
        need = column.width + gap
        if used + need <= width:
            chosen.add(column.id)
            used += need
    if "id_number" in chosen and "id_tail" in chosen:
        chosen.discard("id_tail")
    return [c for c in columns if c.id in chosen]


@dataclass
class Filters:
    """Equality filters; ``None`` means "any". ``village`` is ``城头镇新村`` in a district
    (``places.village_label``)."""

    town: str | None = None
    village: str | None = None
    status: str | None = None
    school: str | None = None
    age: int | None = None
    key_group: str | None = None
    ledger: str | None = None

    def active(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}

    def needs_classification(self) -> bool:
        return any(getattr(self, k) not in (None, "") for k in ("status", "age", "ledger"))

    def describe(self) -> str:
        labels = {"town": "乡镇", "village": "村", "status": "情况", "school": "学校", "age": "年龄",
                  "key_group": "重点群体", "ledger": "台账"}
        return "，".join(f"{labels[k]}={v}" for k, v in self.active().items())


@dataclass
class ChildList:
    """Rows are positions in ``records``; every query returns a list of positions in display order."""

    records: list[Record]
    ctx: LedgerContext
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    masked: bool = False      # ID and phone cells masked (roles that don't need them: services.access.access)

    def __post_init__(self) -> None:
        # Opening costs nothing beyond the list itself: the search indexes are built on first use or
        # by ``prepare_search`` (the TUI calls it in a worker right after the list is shown).
        self._lock = threading.Lock()
        self._indexed = False
        self._entries: dict[str, Entry] = {}
        self._allowed: set[int] | None = None       # rows passing the filters (None = all)
        self._rank: Sequence[int] | None = None      # display rank of every row under the sort order
        self.filters = Filters()
        self.sort_column: ListColumn | None = None
        self.sort_reverse = False
        self._ordered: list[int] | None = None      # cached answer to the empty query
        # a district's villages are told apart by their town (两个镇都有新村): filtered as 城头镇新村
        self.district = getattr(getattr(self.ctx, "profile", None), "district", None) is not None

    def _index(self) -> None:
        if self._indexed:
            return
        with self._lock:
            if self._indexed:
                return
            self.ids = [r.get("id_number") or "" for r in self.records]
            # all ID numbers in one string, one per line: digit searches run as one C-speed scan, and so
            # does finding the row of an ID (``row_of``) instead of a 100,000-entry dict
            self._id_blob = "".join(i + "\n" for i in self.ids)
            # where each row's line starts in the blob (machine integers: 8 bytes a row, not an int object)
            self._id_starts = array("q", accumulate(map(len, self.ids), lambda offset, n: offset + n + 1,
                                                    initial=0))
            self._id_starts.pop()
            names: dict[str, list[int]] = defaultdict(list)
            for n, record in enumerate(self.records):
                names[record.get("name") or ""].append(n)
            self._names = names
            self._indexed = True

    def id_of(self, row: int) -> str:
        return self.records[row].get("id_number") or ""

    def row_of(self, id_number: str) -> int | None:
        """The row of an ID number (the last one if it were listed twice); one scan of the ID blob (~1 ms at
        100,000 children, asked once per edit or reload)."""
        self._index()
        blob, needle = self._id_blob, id_number + "\n"
        position = blob.rfind(needle)
        while position > 0 and blob[position - 1] != "\n":       # inside a longer line: look further back
            position = blob.rfind(needle, 0, position + len(needle) - 1)
        return None if position < 0 else bisect_right(self._id_starts, position) - 1

    # --- search -------------------------------------------------------------------------------------
    def _entry(self, name: str) -> Entry:
        entry = self._entries.get(name)
        if entry is None:
            full, initials = name_pinyin(name)
            entry = self._entries[name] = Entry("", name, full, initials)
        return entry

    def prepare_search(self) -> None:
        """Build the indexes and the pinyin of every distinct name (otherwise done on the first search)."""
        self._index()
        for name in list(self._names):
            self._entry(name)

    def search(self, query: str) -> list[int]:
        """Rows matching ``query`` (name, pinyin full or initials, ID number or its last digits)."""
        query = query.strip()
        if not query:
            return list(range(len(self.records)))
        self._index()
        if _ID_QUERY.match(query):
            return self._id_search(query.upper())
        hits: list[int] = []
        entries, entry = self._entries, self._entry
        # ``search.matches`` for a name query (ID queries took the branch above), with the per-query work
        # (lower-casing, length test) done once instead of once per distinct name
        q = query.lower()
        inside = len(q) >= 3
        for name, rows in self._names.items():
            if query in name:
                hits.extend(rows)
                continue
            e = entries.get(name) or entry(name)
            if e.initials.startswith(q) or e.full.startswith(q) or (inside and q in e.full):
                hits.extend(rows)
        hits.sort()
        return hits

    def _id_search(self, digits: str) -> list[int]:
        """Rows whose ID ends with ``digits`` (or contains them, from 6 digits on)."""
        needle = digits if len(digits) >= 6 else digits + "\n"
        starts, blob = self._id_starts, self._id_blob
        if blob.count(needle) > 2000:    # many hits (a region code): one pass is cheaper than bisecting
            if len(digits) >= 6:
                return [n for n, i in enumerate(self.ids) if digits in i]
            return [n for n, i in enumerate(self.ids) if i.endswith(digits)]
        rows: dict[int, None] = {}
        position = blob.find(needle)
        while position >= 0:
            rows[bisect_right(starts, position) - 1] = None
            position = blob.find(needle, position + 1)
        return list(rows)

    # --- filters ------------------------------------------------------------------------------------
    def set_filters(self, filters: Filters) -> None:
        """Apply filters (classifies every child when a filter needs the situation, age or ledger)."""
        self.filters = filters
        self._ordered = None
        active = filters.active()
        if not active:
            self._allowed = None
            return
        ctx = self.ctx
        ledger = self.ledgers.get(filters.ledger) if filters.ledger else None
        allowed = set()
        district = self.district
        for n, record in enumerate(self.records):
            if filters.town and (record.get("town") or "") != filters.town:
                continue
            if filters.village and village_label(record, district) != filters.village:
                continue
            if filters.school and (record.get("school") or "") != filters.school:
                continue
            if filters.key_group and filters.key_group not in (record.get("key_groups") or ()):
                continue
            if filters.status or filters.age is not None:
                c = ctx.classify(record)
                if filters.status and c.situation != filters.status:
                    continue
                if filters.age is not None and c.age != filters.age:
                    continue
            if ledger is not None and not ledger.include(record, ctx):
                continue
            allowed.add(n)
        self._allowed = allowed

    # --- sorting ------------------------------------------------------------------------------------
    def set_sort(self, column: ListColumn | None, reverse: bool = False) -> None:
        """Sort by a column (None = the stored order): numbers and dates by value, blanks last. Costs one
        sort of all rows, then nothing per query."""
        self.sort_column, self.sort_reverse = column, reverse
        self._ordered = None
        if column is None:
            self._rank = None if not reverse else array("q", range(len(self.records), 0, -1))
            return
        ctx, value = self.ctx, column.value
        records = self.records
        # numbers as numbers (年龄 9 before 10), dates as dates, blanks last either way (domain.sorting)
        order = sort_blanks_last(range(len(records)), lambda n: value(records[n], ctx), reverse)
        rank = array("q", bytes(8 * len(order)))      # 8 bytes a row instead of an int object and a pointer
        for position, row in enumerate(order):
            rank[row] = position
        self._rank = rank

    # --- the combined query -------------------------------------------------------------------------
    def query(self, text: str) -> list[int]:
        """Rows to show for the search text under the current filters and sort order."""
        if not text.strip() and self._ordered is not None:
            return list(self._ordered)
        rows = self.search(text)
        if self._allowed is not None:
            allowed = self._allowed
            rows = [n for n in rows if n in allowed]
        if self._rank is not None:
            rows.sort(key=self._rank.__getitem__)
        if not text.strip():
            self._ordered = rows[:]
        return rows

    # --- values -------------------------------------------------------------------------------------
    def cells(self, row: int, columns: Iterable[ListColumn]) -> list[str]:
        record, ctx = self.records[row], self.ctx
        if self.masked:
            return [str(mask_cell(c.id, c.value(record, ctx))) for c in columns]
        return [str(c.value(record, ctx)) for c in columns]

    def record(self, row: int) -> Record:
        return self.records[row]

    def replace(self, record: Record) -> None:
        """After an edit: swap in the stored record (its classification is recomputed on use)."""
        id_number = record.get("id_number") or ""
        row = self.row_of(id_number)
        if row is None:
            return
        old = self.records[row]
        self.records[row] = record
        self._ordered = None
        self.ctx._cache.pop(id_number, None)
        if old.get("name") != record.get("name"):
            self._names[old.get("name") or ""].remove(row)
            self._names[record.get("name") or ""].append(row)

    def village_choices(self, town: str | None = None) -> list[str]:
        """The villages to filter by (``城头镇新村`` in a district; of ``town`` only when given), sorted."""
        district = self.district
        return sorted({village_label(r, district) for r in self.records
                       if r.get("village") and (not town or r.get("town") == town)})

    def choices(self, key: str) -> list[str]:
        """Distinct values of a field (for filter pickers), sorted."""
        values: set[str] = set()
        for record in self.records:
            value = record.get(key)
            if isinstance(value, (list, tuple)):
                values.update(str(v) for v in value if v)
            elif value:
                values.add(str(value))
        return sorted(values)
