"""Reports (报表): forms that are not one row per child — counts per village or school, with totals.

A report is data that a plugin registers through ``kbtui_register_reports``. It groups the children it
counts (``include``) into rows (``group_by``: a village, a school …), computes each column of each row
from the row's children (``ReportColumn.value``) or from the row's other cells (``ReportColumn.derive``,
e.g. a rate), and adds subtotal rows (``sections``) and a total row whose counts are checked to add up.
When exported, total cells are ``=SUM(...)`` formulas and derived cells the formula of the column
(``ReportColumn.formula``), so the printed form computes itself in Excel/WPS; ``notes`` are written
under the table (how each rate is computed).

A county derives a variant of a stock report in a few lines::

    stock = registry["statistics"]
    registry.replace("statistics", stock.renamed({"学龄人口": "应入学人数"})
                     .with_columns(count("留守儿童", "left_behind", is_left_behind), after="cohort")
                     .but(title="{township}{year}年控辍保学统计表", group_by=by_school, label_header="学校"))

Pure domain code: no openpyxl, no Textual, no store.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from kbtui.domain.child import Record
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.domain.sorting import value_key
from kbtui.domain.status import Kind, StatusRegistry

if TYPE_CHECKING:  # annotations only: kbtui.profiles builds the profile from domain pieces
    from kbtui.profiles import Profile, Town

DATA = "data"
SUBTOTAL = "subtotal"
TOTAL = "total"
NO_GROUP = "（未填）"


class ReportError(Exception):
    """A report that cannot be produced (e.g. totals that do not add up); the message is Chinese."""


class ReportContext(LedgerContext):
    """A ledger context plus what reports count with: the situations' kinds, the enabled ledgers, the
    village the report is limited to (None: the whole township) and, in a district, the towns it covers
    (None: every town and the 区直学校; a town's staff or ``--town``: those towns' rows only)."""

    def __init__(self, profile: Profile, today: dt.date | None = None, *, statuses: StatusRegistry | None = None,
                 ledgers: dict[str, Ledger] | None = None, village: str | None = None,
                 towns: Sequence[str] | None = None, extra: dict | None = None) -> None:
        super().__init__(profile, today, extra)
        self.statuses = statuses if statuses is not None else StatusRegistry()
        self.ledgers = dict(ledgers or {})
        self.village = village
        self.towns = tuple(towns) if towns else None

    def district_towns(self) -> list[Town]:
        """The district's towns the report covers, in the profile's order ([] for a township)."""
        district = self.profile.district
        if district is None:
            return []
        return [t for t in district.towns if self.towns is None or t.name in self.towns]

    def kind(self, record: Record) -> Kind | None:
        """The kind (studying, not dropout, problem …) of the child's current situation."""
        return self.statuses.kind_of(self.classify(record).situation)


Values = dict[str, Any]
GroupValue = Callable[[list[Record], ReportContext], Any]
Derive = Callable[[Values], Any]
FormulaText = Callable[[dict[str, str]], str]


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report.

    ``value(records, ctx)`` computes a data row's cell from the row's children; ``derive(values)``
    computes it from the other cells of the same row instead (for data and total rows alike), and
    ``formula(refs)`` is the Excel text of that computation (``refs[key]`` = the cell of column ``key`` in
    the same row, e.g. ``"D5"``). ``summable`` cells of total rows are the sum of the rows they cover.
    ``group`` puts the column under a band label (a two-level header).
    """

    header: str
    key: str
    width: int = 6
    value: GroupValue | None = None
    summable: bool = True
    derive: Derive | None = None
    formula: FormulaText | None = None
    group: str = ""


@dataclass
class ReportRow:
    label: str
    values: Values
    kind: str = DATA                     # data | subtotal | total
    parts: tuple[int, ...] = ()          # for a subtotal or total: indexes of the data rows it adds up
    records: list[Record] = field(default_factory=list, repr=False)

    @property
    def is_total(self) -> bool:
        return self.kind != DATA


def count(header: str, key: str, predicate: Callable[[Record, ReportContext], bool], width: int = 6,
          group: str = "") -> ReportColumn:
    """A column counting the row's children for whom ``predicate(record, ctx)`` holds."""
    return ReportColumn(header, key, width,
                        lambda records, ctx: sum(1 for r in records if predicate(r, ctx)), group=group)


def percent(numerator: int | float, denominator: int | float) -> float | str:
    """numerator ÷ denominator × 100, two decimals rounded half up (as Excel's ROUND); "" when dividing by 0."""
    if not denominator:
        return ""
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rate(header: str, key: str, numerator: Sequence[str], denominator: Sequence[str],
         minus: Sequence[str] = (), width: int = 8, group: str = "") -> ReportColumn:
    """A percentage: sum(numerator) ÷ (sum(denominator) − sum(minus)) × 100, rounded to 2 decimals.

    Exported as ``=IF(den=0,"",ROUND(num/den*100,2))`` referring to the same row's cells."""
    def derive(values: Values) -> float | str:
        num = sum(_number(values.get(k)) for k in numerator)
        den = sum(_number(values.get(k)) for k in denominator) - sum(_number(values.get(k)) for k in minus)
        return percent(num, den)

    def formula(refs: dict[str, str]) -> str:
        num = "+".join(refs[k] for k in numerator)
        den = "+".join(refs[k] for k in denominator) + "".join(f"-{refs[k]}" for k in minus)
        return f'=IF(({den})=0,"",ROUND(({num})/({den})*100,2))'

    return ReportColumn(header, key, width, summable=False, derive=derive, formula=formula, group=group)


def total_of(header: str, key: str, parts: Sequence[str], width: int = 6, group: str = "") -> ReportColumn:
    """The sum of other columns of the same row (e.g. 在校小计 = the in-school kinds)."""
    return ReportColumn(header, key, width, summable=True,
                        derive=lambda values: sum(_number(values.get(k)) for k in parts),
                        formula=lambda refs: "=" + ("+".join(refs[k] for k in parts) if parts else "0"),
                        group=group)


def _number(value: Any) -> int | float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def by_field(key: str, empty: str = NO_GROUP) -> Callable[[Record, ReportContext], str]:
    """Group rows by one record field (村、学校 …)."""
    return lambda record, _ctx: str(record.get(key) or "").strip() or empty


by_school = by_field("school", "（无就读学校）")


def by_village(record: Record, ctx: ReportContext) -> str:
    """The row of the child's village; in a district "城头镇新村" (two towns may both have a 新村)."""
    village = str(record.get("village") or "").strip() or NO_GROUP
    if ctx.profile.district is None:
        return village
    return f"{str(record.get('town') or '').strip()}{village}"


def by_town(record: Record, ctx: ReportContext) -> str:
    """The row of the child's town (a district's reports by 镇（街道）)."""
    return str(record.get("town") or "").strip() or NO_GROUP


def profile_villages(ctx: ReportContext) -> list[str]:
    if ctx.profile.district is None:
        return list(ctx.profile.villages)
    return [f"{t.name}{v}" for t in ctx.district_towns() for v in t.villages]


def profile_towns(ctx: ReportContext) -> list[str]:
    return [t.name for t in ctx.district_towns()]


def town_sections(ctx: ReportContext) -> list[tuple[str, list[str]]]:
    """A district's village rows under a subtotal per town (None for a township: no sections)."""
    return [(f"{t.name}小计", [f"{t.name}{v}" for v in t.villages]) for t in ctx.district_towns()]


def school_sections(ctx: ReportContext) -> list[tuple[str, list[str]]]:
    """A district's school rows under a subtotal per town, then the 区直学校 ([] for a township)."""
    district = ctx.profile.district
    if district is None:
        return []
    sections = [(f"{t.name}小计", list(t.schools)) for t in ctx.district_towns() if t.schools]
    whole = ctx.towns is None                   # the 区直学校 belong to no town: the whole district's report
    return sections + ([("区直学校小计", list(district.schools))] if district.schools and whole else [])


Columns = tuple[ReportColumn, ...]


@dataclass(frozen=True)
class Report:
    """A report: which children it counts, how they are grouped into rows, the columns, the totals."""

    id: str
    title: str                                              # template, as a ledger's: {township}{year} …
    columns: Columns | Callable[[ReportContext], Columns]   # fixed, or built from the context (statuses)
    include: Callable[[Record, ReportContext], bool] = lambda record, ctx: ctx.classify(record).in_campaign
    group_by: Callable[[Record, ReportContext], str | None] = by_village   # None: counted in no row
    label_header: str = "村（社区）"
    label_width: int = 12
    groups: Callable[[ReportContext], list[str]] | None = profile_villages   # rows always shown, in order
    sections: Callable[[ReportContext], list[tuple[str, list[str]]]] | None = None   # subtotals
    total_label: str = "合计"
    notes: tuple[str, ...] | Callable[[ReportContext], Sequence[str]] = ()
    subtitle: str = ""                                      # template; "" for none
    title_vars: Callable[[ReportContext], dict[str, Any]] | None = None
    description: str = ""
    sheet: str = "统计表"
    serial: bool = True
    extra: dict = field(default_factory=dict)

    # --- what it looks like ------------------------------------------------------------------
    def _vars(self, ctx: ReportContext) -> dict[str, Any]:
        return {**ctx.title_vars(), **(self.title_vars(ctx) if self.title_vars else {})}

    def title_for(self, ctx: ReportContext) -> str:
        return self.title.format(**self._vars(ctx))

    def subtitle_for(self, ctx: ReportContext) -> str:
        return self.subtitle.format(**self._vars(ctx)) if self.subtitle else ""

    def notes_for(self, ctx: ReportContext) -> list[str]:
        notes = self.notes(ctx) if callable(self.notes) else self.notes
        return [n.format(**self._vars(ctx)) for n in notes]

    def columns_for(self, ctx: ReportContext) -> Columns:
        return tuple(self.columns(ctx) if callable(self.columns) else self.columns)

    def headers(self, ctx: ReportContext) -> list[tuple[str, int]]:
        """(header, width) of every printed column: 序号, the row label, then the columns."""
        first = [("序号", 5)] if self.serial else []
        return first + [(self.label_header, self.label_width)] + [(c.header, c.width) for c in self.columns_for(ctx)]

    def header_groups(self, ctx: ReportContext) -> list[tuple[str, int]]:
        """The header band (label, span) over the printed columns, or [] when no column has a group."""
        columns = self.columns_for(ctx)
        if not any(c.group for c in columns):
            return []
        labels = [""] * (2 if self.serial else 1) + [c.group for c in columns]
        band: list[tuple[str, int]] = []
        for label in labels:
            if band and band[-1][0] == label and label:
                band[-1] = (label, band[-1][1] + 1)
            elif band and not label and not band[-1][0]:
                band[-1] = ("", band[-1][1] + 1)
            else:
                band.append((label, 1))
        return band

    # --- the rows ----------------------------------------------------------------------------
    def rows_for(self, records: Iterable[Record], ctx: ReportContext) -> list[ReportRow]:
        """Data rows (one per group), subtotal rows, and the total row, totals checked to add up."""
        columns = self.columns_for(ctx)
        grouped: dict[str, list[Record]] = {}
        for record in records:
            if not self.include(record, ctx):
                continue
            label = self.group_by(record, ctx)
            if label is None:
                continue
            grouped.setdefault(label, []).append(record)
        order = self._order(grouped, ctx)
        sections = self._sections(order, ctx)
        rows: list[ReportRow] = []
        data_rows: list[int] = []
        for section, labels in sections:
            first = len(rows)
            for label in labels:
                members = grouped.get(label, [])
                rows.append(ReportRow(label, self._data_values(columns, members, ctx), DATA, (), members))
                data_rows.append(len(rows) - 1)
            if section is not None:
                parts = tuple(range(first, len(rows)))
                rows.append(ReportRow(section, self._total_values(columns, [rows[i] for i in parts]), SUBTOTAL,
                                      parts))
        rows.append(ReportRow(self.total_label, self._total_values(columns, [rows[i] for i in data_rows]), TOTAL,
                              tuple(data_rows)))
        check_totals(rows, columns)
        return rows

    def _order(self, grouped: dict[str, list[Record]], ctx: ReportContext) -> list[str]:
        if ctx.village and self.groups is profile_villages:
            fixed = [ctx.village]           # one village's report: its row only
        else:
            fixed = list(self.groups(ctx)) if self.groups else []
        return fixed + sorted((label for label in grouped if label not in fixed), key=value_key)

    def _sections(self, order: list[str], ctx: ReportContext) -> list[tuple[str | None, list[str]]]:
        sections = self.sections(ctx) if self.sections else []
        if not sections and self.group_by is by_village:
            sections = town_sections(ctx)          # a district's village rows: subtotals per town
        if not sections:
            return [(None, order)]
        out: list[tuple[str | None, list[str]]] = []
        placed: set[str] = set()
        for label, members in sections:
            labels = [m for m in members if m in order and m not in placed]
            if labels:
                out.append((label, labels))
                placed.update(labels)
        rest = [label for label in order if label not in placed]
        if rest:
            out.append(("其他小计", rest))
        return out

    @staticmethod
    def _data_values(columns: Columns, members: list[Record], ctx: ReportContext) -> Values:
        values: Values = {}
        for column in columns:
            if column.value is not None:
                values[column.key] = column.value(members, ctx)
        for column in columns:
            if column.value is None and column.derive is not None:
                values[column.key] = column.derive(values)
        return values

    @staticmethod
    def _total_values(columns: Columns, parts: list[ReportRow]) -> Values:
        values: Values = {}
        for column in columns:
            if column.summable and column.derive is None:
                values[column.key] = sum(_number(p.values.get(column.key)) for p in parts)
            elif column.derive is None:
                values[column.key] = ""
        for column in columns:
            if column.derive is not None:
                values[column.key] = column.derive(values)
        return values

    def table(self, rows: list[ReportRow], ctx: ReportContext) -> list[list[Any]]:
        """The printed cells (序号 first) of the rows, as values (a preview; the export writes formulas)."""
        out = []
        n = 0
        columns = self.columns_for(ctx)
        for row in rows:
            cells: list[Any] = []
            if self.serial:
                if row.kind == DATA:
                    n += 1
                cells.append(n if row.kind == DATA else "")
            cells.append(row.label)
            cells += [row.values.get(c.key, "") for c in columns]
            out.append(cells)
        return out

    # --- deriving variants -------------------------------------------------------------------
    def but(self, **changes: Any) -> Report:
        """A copy with some fields changed (``dataclasses.replace``). A new ``group_by`` without new
        ``groups`` drops the fixed rows (the profile's villages) and the ``sections``: rows are then the
        groups found."""
        if "group_by" in changes:
            changes.setdefault("groups", None)
            changes.setdefault("sections", None)
        return dataclasses.replace(self, **changes)

    def renamed(self, headers: dict[str, str]) -> Report:
        """A copy whose columns (by header or key) have new headers; the row label too (by its header)."""
        base = self

        def columns(ctx: ReportContext) -> Columns:
            return tuple(dataclasses.replace(c, header=headers.get(c.key, headers.get(c.header, c.header)))
                         for c in base.columns_for(ctx))
        return dataclasses.replace(self, columns=columns,
                                   label_header=headers.get(self.label_header, self.label_header))

    def with_columns(self, *added: ReportColumn, after: str | None = None) -> Report:
        """A copy with more columns, at the end or after the column with key (or header) ``after``."""
        base = self

        def columns(ctx: ReportContext) -> Columns:
            current = list(base.columns_for(ctx))
            at = len(current)
            if after is not None:
                found = [i for i, c in enumerate(current) if after in (c.key, c.header)]
                if not found:
                    raise ReportError(f"报表“{base.id}”没有“{after}”列")
                at = found[0] + 1
            return tuple(current[:at] + list(added) + current[at:])
        return dataclasses.replace(self, columns=columns)

    def without_columns(self, *keys: str) -> Report:
        """A copy without the columns with these keys (or headers)."""
        base = self

        def columns(ctx: ReportContext) -> Columns:
            return tuple(c for c in base.columns_for(ctx) if c.key not in keys and c.header not in keys)
        return dataclasses.replace(self, columns=columns)


def check_totals(rows: list[ReportRow], columns: Columns) -> None:
    """Every summable cell of a subtotal or total row equals the sum of the rows it covers."""
    for row in rows:
        if not row.is_total:
            continue
        for column in columns:
            if not column.summable:
                continue
            expected = sum(_number(rows[i].values.get(column.key)) for i in row.parts)
            if _number(row.values.get(column.key)) != expected:
                raise ReportError(f"“{row.label}”行“{column.header}”为 {row.values.get(column.key)}，"
                                  f"与所含各行之和 {expected} 不符")
