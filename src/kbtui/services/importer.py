"""Importing a name list (police, school, poverty, disability, civil affairs) into the store.

Used by ``kbtui import`` and by the TUI's import screen::

    prepared = prepare_import(workspace, "police", path, progress=cb)   # read + check, no change
    result = prepared.preview()            # counts, rejects, sample changes (a dry run)
    result = prepared.commit()             # write, journal, rejects workbook → ImportResult
    # or in one go:
    result = import_list(workspace, "police", path, dry_run=False, progress=cb)

``progress(stage, done, total)`` is called with stage "读取", "检查" and "保存".
Rows that cannot be imported go to a rejects workbook in ``<data>/rejects/`` (original cells +
拒收原因 + 原行号); re-importing the corrected workbook works like any list.
"""
from __future__ import annotations

import datetime as dt
import re
from itertools import compress, count, repeat
from operator import ne
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from kbtui.bulk import gc_paused
from kbtui.domain.child import LABEL_OF
from kbtui.domain.idcard import IdNumberError
from kbtui.domain.normalize import NormalizeError
from kbtui.excel import DEFAULT_HEADERS, ExcelReadError, MissingColumnsError, Row, Table, read_rows
from kbtui.excel import write_rejects
from kbtui.services import access, backup
from kbtui.services import sources as src
from kbtui.services.merge import SOURCES_KEY, Merger
from kbtui.store.journal import make_entry

Progress = Callable[[str, int, int], None]

READ, CHECK, SAVE = "读取", "检查", "保存"
SAMPLE_LIMIT = 200


class ImportFailed(Exception):
    """An import that cannot run; the message is Chinese."""


@dataclass
class Issue:
    """A problem with one row: ``row`` is the row number in the file, ``column`` the header shown there."""
    row: int
    column: str
    message: str
    imported: bool          # True: the row was imported, only this value was left out (or corrected)

    def text(self) -> str:
        where = f"第{self.row}行“{self.column}”列" if self.column else f"第{self.row}行"
        return f"{where}：{self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "imported": self.imported}


@dataclass
class ChildChange:
    id_number: str
    name: str
    kind: str                                   # "new" | "update"
    changes: dict[str, list[Any]] = field(default_factory=dict)   # field → [old, new]

    def as_dict(self) -> dict:
        return {"id_number": self.id_number, "name": self.name, "kind": self.kind, "changes": self.changes}


@dataclass
class ImportResult:
    source: str
    file: str
    sheet: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    warned: int = 0
    conflicts: int = 0
    refused: int = 0          # rows the operator may not write (outside their villages / schools)
    rejects_file: str | None = None
    dry_run: bool = False
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)     # field key → header in the file
    unmatched_headers: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    samples: list[ChildChange] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "source": self.source, "file": self.file, "sheet": self.sheet, "rows": self.rows,
            "imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
            "duplicates": self.duplicates, "rejected": self.rejected, "warned": self.warned,
            "conflicts": self.conflicts, "refused": self.refused, "rejects_file": self.rejects_file, "dry_run": self.dry_run,
            "header_row": self.header_row, "columns": self.columns,
            "unmatched_headers": self.unmatched_headers,
            "skipped": [{"row": r, "reason": why} for r, why in self.skipped],
            "issues": [i.as_dict() for i in self.issues[:1000]],
        }

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("rows", "imported", "updated", "unchanged", "duplicates",
                                              "rejected", "warned", "conflicts", "refused")}


# --------------------------------------------------------------------------- reading

def header_fields(source: src.Source, synonyms: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Header names for the columns a source reads: the defaults plus the profile's synonyms."""
    synonyms = synonyms or {}
    fields: dict[str, list[str]] = {}
    # the profile's own names first: they win over a default naming the same header
    for key in source.columns():
        extra = list(synonyms.get(key, ()))
        fields[key] = extra + [n for n in DEFAULT_HEADERS.get(key, ()) if n not in extra]
    return fields


_NUM_GROUP = re.compile(r"\d{1,3}")
_GROUP_IN_ADDRESS = re.compile(r"(\d{1,3}|[一二三四五六七八九十]{1,3})\s*(组|社|队)")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1:], 0)
    if len(text) >= 2 and text[1] == "十":
        return _CN_DIGITS.get(text[0], 0) * 10 + (_CN_DIGITS.get(text[2:], 0) if len(text) > 2 else 0)
    return None


class _Canon:
    """Map list wordings to the profile's names: 高峰 → 高峰村, 双山小学校 → 双山小学, 3 → 3组."""

    def __init__(self, villages: list[str], schools: list[str]):
        self.villages = list(dict.fromkeys(villages))
        self.schools = list(dict.fromkeys(schools))
        self._village: dict[str, str] = {}
        self._school: dict[str, str] = {}

    def village(self, value: str) -> str:
        hit = self._village.get(value)
        if hit is None:
            hit = value
            if value not in self.villages:
                for suffix in ("村", "社区", "居委会"):
                    if value + suffix in self.villages:
                        hit = value + suffix
                        break
                else:
                    for suffix in ("村委会", "村民委员会", "社区居委会", "居民委员会"):
                        if value.endswith(suffix) and value[: -len(suffix)] + ("村" if "村" in suffix else "社区") \
                                in self.villages:
                            hit = value[: -len(suffix)] + ("村" if "村" in suffix else "社区")
                            break
            self._village[value] = hit
        return hit

    def school(self, value: str) -> str:
        hit = self._school.get(value)
        if hit is None:
            hit = value
            if value not in self.schools:
                found = [s for s in self.schools if s in value]
                if len(found) == 1:
                    hit = found[0]
            self._school[value] = hit
        return hit

    @staticmethod
    def group(value: str) -> str:
        if _NUM_GROUP.fullmatch(value):
            return f"{int(value)}组"
        return value

    def from_address(self, address: str) -> tuple[str | None, str | None]:
        found = [v for v in self.villages if v in address]
        if len(found) != 1:
            return None, None
        rest = address[address.index(found[0]) + len(found[0]):]
        m = _GROUP_IN_ADDRESS.match(rest.strip())
        group = None
        if m:
            n = _cn_number(m.group(1))
            group = f"{n}{m.group(2)}" if n else None
        return found[0], group


@dataclass
class _Checked:
    table: Table
    good: list[tuple[str, dict[str, Any], int]]         # (id, values, row number)
    rejects: list[tuple[Row, str]]                       # rows for the rejects workbook
    issues: list[Issue]
    rejected: int
    warned: int


_ERRORS = (NormalizeError, IdNumberError)


_NUMBERS = frozenset({int, float, bool})


def _map_unique(fn: Callable[[Any], Any], col: list[Any], errors: dict[int, str],
                nones: set[int] | None = None) -> list[Any]:
    """Normalise a column whose values repeat (village, sex, date…): each distinct value once.

    Returns the clean values (None for a blank or bad cell); bad cells go to ``errors`` by index, and the
    index of every None to ``nones``."""
    # 1, 1.0 and True are equal dict keys: a column holding numbers is keyed by (type, value) when it mixes
    # number types (looked for only when a number is among the distinct values)
    distinct = set(col)
    mixed = any(type(v) in _NUMBERS for v in distinct) and len(set(map(type, col)) & _NUMBERS) > 1
    keys: list[Any] = col
    if mixed:
        keys = list(zip(map(type, col), col))
        distinct = set(keys)
    table: dict[Any, Any] = {}
    failed: dict[Any, str] = {}
    for key in distinct:
        raw = key[1] if mixed else key
        table[key] = None
        if raw is None or raw == "" or (raw.__class__ is str and not raw.strip()):
            continue
        try:
            value = fn(raw)
        except _ERRORS as err:
            failed[key] = str(err)
            continue
        if value != "" and value != []:
            table[key] = value
    out = list(map(table.__getitem__, keys))
    if failed:
        for i, key in enumerate(keys):
            if key in failed:
                errors[i] = failed[key]
    if nones is not None and None in table.values():
        nones.update(i for i, value in enumerate(out) if value is None)
    return out


def _map_each(fn: Callable[[Any], Any], col: list[Any], errors: dict[int, str],
              clean: list[Any] | None = None, nones: set[int] | None = None) -> list[Any]:
    """Normalise a column of mostly distinct values (ID numbers, names, phones, addresses). ``clean``
    (``sources.clean_cells``) marks the cells already canonical; only the others go through ``fn``.
    The index of every None (blank or bad cell) goes to ``nones``."""
    if clean is None:
        out: list[Any] = [None] * len(col)
        todo: Iterable[int] = range(len(col))
    else:
        todo = _positions(clean, src.UNCLEAN)
        out = clean
        for i in todo:
            out[i] = None
    for i in todo:
        raw = col[i]
        if raw is None or raw == "":
            continue
        try:
            value = fn(raw)
        except _ERRORS as err:
            errors[i] = str(err)
            continue
        if value != "" and value != []:
            out[i] = value
    if nones is not None:
        nones.update(i for i in todo if out[i] is None)
    return out


def _positions(values: list[Any], marker: object) -> list[int]:
    """Where ``marker`` (compared by identity: a bare object) is in ``values``, searched in C."""
    found: list[int] = []
    i = -1
    for _ in range(values.count(marker)):
        i = values.index(marker, i + 1)
        found.append(i)
    return found


#: Normalisers worth running once per distinct value.
_REPEATING = frozenset({"sex", "birth_date", "ethnicity", "village", "group", "family_type", "school", "grade",
                        "class_name", "enrollment_status", "disability_category", "disability_grade"})


def _column_fn(key: str, canon: _Canon) -> Callable[[Any], Any]:
    fn = src.normalizer_for(key)
    if key == "village":
        return lambda raw: canon.village(fn(raw))
    if key == "group":
        return lambda raw: canon.group(fn(raw))
    if key == "school":
        return lambda raw: canon.school(fn(raw))
    return fn


def _check_rows(table: Table, source: src.Source, defaults: dict[str, Any], canon: _Canon,
                progress: Progress | None) -> _Checked:
    """Normalise every cell, column by column; then decide row by row (reject, warn, keep)."""
    columns = table.columns
    header = {k: h for k, (_, h) in columns.items()}
    numbers = table.numbers
    total = len(table)
    raw_keys = set(source.raw_columns)
    required = [k for k in source.required if k != "id_number" and k in columns]
    owned = [k for k in source.owns if k in columns and k not in raw_keys]
    if progress is not None:
        progress(CHECK, 0, total)

    # 1. columns
    id_errors: dict[int, str] = {}
    id_cells = table.column("id_number")
    ids = _map_each(src.normalizer_for("id_number"), id_cells, id_errors, src.clean_cells("id_number", id_cells))
    keys: list[str] = []
    outs: list[list[Any]] = []
    errors: dict[str, dict[int, str]] = {}
    blanks: set[int] = set()            # rows with a blank or bad cell (outside birth date and sex)
    for n, key in enumerate(owned, 1):
        col = table.column(key)
        errs: dict[int, str] = {}
        nones = None if key in ("birth_date", "sex") else blanks      # these two come from the ID number
        if key in _REPEATING:
            outs.append(_map_unique(_column_fn(key, canon), col, errs, nones))
        else:
            outs.append(_map_each(_column_fn(key, canon), col, errs, src.clean_cells(key, col), nones))
        keys.append(key)
        errors[key] = errs
        if progress is not None:
            progress(CHECK, total * n // (len(owned) + 1), total)
    required_set = set(required)
    optional_errors = {i for k, e in errors.items() if k not in required_set for i in e}
    # birth date and sex are part of the ID number: the ID wins, a different cell is reported
    from_id = _from_id_number(ids, keys, outs, header)
    has_village = "village" in source.owns
    derive_village = has_village and "household_address" in columns
    mapper_fn = source.mapper

    # 2. rows
    rejects: list[tuple[Row, str]] = []
    issues: list[Issue] = []
    counts = {"rejected": 0, "warned": 0}
    id_header = header.get("id_number", "身份证号")
    unread_required = any(k not in keys for k in required)

    def reject(row: Row, issue: Issue) -> None:
        issues.append(issue)
        rejects.append((row, "未导入：" + issue.message))
        counts["rejected"] += 1

    def check_row(i: int) -> tuple[str, dict[str, Any], int] | None:
        """One row the plain way does not fit: a bad or blank cell, a note, defaults, a mapper…"""
        row, id_number, cells = table.row(i), ids[i], tuple(out[i] for out in outs)
        if id_number is None:
            reject(row, Issue(row.number, id_header, id_errors.get(i) or "身份证号为空", False))
            return None
        values = dict(zip(keys, cells))
        if None in cells or unread_required:
            values = {k: v for k, v in values.items() if v is not None}
            for key in required:
                if key not in values:
                    message = errors[key].get(i) or f"{LABEL_OF.get(key, header[key])}为空"
                    reject(row, Issue(row.number, header[key], message, False))
                    return None
        row_issues = [Issue(row.number, header[k], f"{errors[k][i]}，此项未导入", True)
                      for k in keys if k not in required_set and i in errors[k]] \
            if i in optional_errors else []
        if i in from_id:
            row_issues.extend(Issue(row.number, column, message, True) for column, message in from_id[i])
        if defaults:
            for key, value in defaults.items():
                values.setdefault(key, value)
        if derive_village and "village" not in values and values.get("household_address"):
            village, group = canon.from_address(values["household_address"])
            if village:
                values["village"] = village
                if group and "group" not in values:
                    values["group"] = group
        if mapper_fn is not None:
            try:
                for key, message in mapper_fn(row.values, values):
                    row_issues.append(Issue(row.number, header.get(key, ""), message, True))
            except src.CellError as err:
                column = header.get(err.field) or src.FLAG_HEADER.get(err.field, "")
                reject(row, Issue(row.number, column, str(err), False))
                return None
        if row_issues:
            counts["warned"] += 1
            issues.extend(row_issues)
            rejects.append((row, "已导入，但：" + "；".join(
                (f"“{x.column}”列：" if x.column else "") + x.message for x in row_issues)))
        return id_number, values, row.number

    # most rows are plain (every cell good, nothing to add): they become (id, values, row) directly
    if defaults or mapper_fn is not None or unread_required or (derive_village and "village" not in keys):
        checked = [check_row(i) for i in range(total)]
    else:
        special = optional_errors | from_id.keys() | blanks | {i for i in id_errors} \
            | ({i for i, id_number in enumerate(ids) if id_number is None} if None in ids else set())
        # built in C: a dict per row from the columns, then (id, values, row number)
        checked = list(zip(ids, map(dict, map(zip, repeat(keys), zip(*outs))), numbers))
        for i in sorted(special):
            checked[i] = check_row(i)       # type: ignore[call-overload]
    # every row that check_row turned down was rejected (and counted)
    good = [item for item in checked if item is not None] if counts["rejected"] else checked
    rejected, warned = counts["rejected"], counts["warned"]
    if progress is not None:
        progress(CHECK, total, total)
    return _Checked(table, good, rejects, issues, rejected, warned)


def _from_id_number(ids: list[str | None], keys: list[str], outs: list[list[Any]], header: dict[str, str]
                    ) -> dict[int, list[tuple[str, str]]]:
    """Set the birth date and sex columns from the ID numbers (the ID wins); returns, by row index, the
    (column, message) of each listed value that said otherwise."""
    digits = [i[6:14] for i in ids if i is not None]
    day = {d: f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in set(digits)}        # one string per birth day
    born = [day[i[6:14]] if i is not None else None for i in ids]
    sexes = [("男" if i[16] in "13579" else "女") if i is not None else None for i in ids]
    notes: dict[int, list[tuple[str, str]]] = {}
    for key, derived, message in (
            ("birth_date", born, "出生日期{listed}与身份证号中的{value}不一致，已按身份证号记录"),
            ("sex", sexes, "性别“{listed}”与身份证号（{value}）不一致，已按身份证号记录")):
        if key in keys:
            n = keys.index(key)
            listed = outs[n]
            differ = compress(count(), map(ne, listed, derived))
            for i in [i for i in differ if listed[i] is not None and derived[i] is not None]:
                notes.setdefault(i, []).append((header[key], message.format(listed=listed[i], value=derived[i])))
            outs[n] = derived
        else:
            keys.append(key)
            outs.append(derived)
    return notes


# --------------------------------------------------------------------------- prepare / preview / commit

@dataclass
class PreparedImport:
    """A list read and checked, not yet written. ``preview()`` and ``commit()`` may both be called."""
    workspace: Any
    source: src.Source
    path: Path
    checked: _Checked
    progress: Progress | None = None
    _handed_over: bool = False      # the checked rows' dicts became records (``_merge(adopt=True)``)

    def _base(self) -> ImportResult:
        table = self.checked.table
        return ImportResult(
            source=self.source.name, file=str(self.path), sheet=table.sheet, rows=len(table),
            rejected=self.checked.rejected, warned=self.checked.warned, header_row=table.header_row,
            columns={k: h for k, (_, h) in table.columns.items()},
            unmatched_headers=list(table.unmatched_headers), skipped=list(table.skipped),
            issues=list(self.checked.issues))

    def _merge(self, adopt: bool = False) -> Merger:
        """Fold the checked rows into the store's records. With ``adopt`` (a commit) the rows' dicts are
        handed over to become the new records; otherwise (a preview, a second commit) copies are merged."""
        store = self.workspace.store
        store.refresh()
        merger = Merger(store.get, self.source.name, self.path.name, self.source.list_fields,
                        known=set(store.ids()))
        if adopt and not self._handed_over:
            self._handed_over = True
            merger.add_rows(self.checked.good)
        else:
            merger.add_rows([(id_number, _as_checked(values) if self._handed_over else values.copy(), row)
                             for id_number, values, row in self.checked.good])
        return merger

    def _fill(self, result: ImportResult, merger: Merger, updates: list) -> None:
        result.imported = len(merger.new)
        result.updated = len(updates)
        result.duplicates = merger.duplicates
        result.conflicts = merger.conflicts_added
        result.unchanged = len(merger.work) - len(updates)
        samples: list[ChildChange] = []
        for id_number, changes in updates[:SAMPLE_LIMIT]:
            old = merger.originals[id_number]
            samples.append(ChildChange(id_number, old.get("name", ""), "update",
                                       {k: [old.get(k), v] for k, v in changes.items()}))
        for record in list(merger.new.values())[: max(0, SAMPLE_LIMIT - len(samples))]:
            samples.append(ChildChange(record["id_number"], record.get("name", ""), "new",
                                       {k: [None, v] for k, v in record.items() if k != "id_number"}))
        result.samples = samples

    @gc_paused
    def preview(self) -> ImportResult:
        """What an import would do (a dry run): nothing is written."""
        result = self._base()
        result.dry_run = True
        merger = self._merge()
        self._fill(result, merger, merger.updates())
        return result

    @gc_paused
    def commit(self) -> ImportResult:
        """Write the new and changed children, the rejects workbook and one summary journal entry."""
        ws = self.workspace
        backup.before(ws, f"导入{self.source.label} {self.path.name}")
        result = self._base()
        merger = self._merge(adopt=True)
        updates = merger.updates()
        self._fill(result, merger, updates)
        if self.checked.rejects:
            result.rejects_file = str(write_rejects_file(ws, self.checked.table, self.checked.rejects))
        detail = {"file": self.path.name, "source": self.source.name}
        if self.progress is not None:
            self.progress(SAVE, 0, result.imported + result.updated)
        refused: list = []
        if merger.new:
            ws.store.insert_many(list(merger.new.values()), ws.operator, action="import", detail=detail,
                                 adopt=True)     # the merger's new records, handed over
            refused += list(getattr(ws.store, "rejected", None) or [])
        if updates:
            ws.store.apply_many(updates, ws.operator, action="import", detail=detail)
            refused += list(getattr(ws.store, "rejected", None) or [])
        if refused:
            # outside the operator's scope (another village…): reported, not written
            rows = {id_number: row for id_number, _values, row in self.checked.good}
            new_ids = set(merger.new)
            for item in refused:
                result.issues.append(Issue(rows.get(item.id_number, 0), "", f"{item.id_number}：{item.reason}，未导入",
                                           False))
                if item.id_number in new_ids:
                    result.imported -= 1
                else:
                    result.updated -= 1
            result.refused = len(refused)
        summary = {**detail, "path": str(self.path.resolve()), "sheet": result.sheet,
                   "counts": result.counts(), "rejects_file": result.rejects_file}
        ws.store.journal.append([make_entry(ws.operator, "import", None, {}, summary)])
        if self.progress is not None:
            self.progress(SAVE, result.imported + result.updated, result.imported + result.updated)
        return result


def _as_checked(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of a row's values as checked, without what the merge and the store added when they were
    handed over (``id_number``, ``sources``, the store's ``_v``/``_by``/``_at``)."""
    return {k: v for k, v in values.items() if k not in _HANDED_OVER_KEYS and k[:1] != "_"}


_HANDED_OVER_KEYS = frozenset({"id_number", SOURCES_KEY})


def write_rejects_file(workspace, table: Table, rejects: list[tuple[Row, str]]) -> Path:
    folder = workspace.folder("rejects")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = re.sub(r"-未导入-\d{8}-\d{6}(-\d+)?$", "", Path(table.path).stem)
    path = folder / f"{stem}-未导入-{stamp}.xlsx"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-未导入-{stamp}-{n}.xlsx"
    what = f"拒收清单（{Path(table.path).name}）"
    write_rejects(path, table, rejects, unit=workspace.profile.township,
                  properties={**access.export_properties(workspace, what), "subject": "拒收清单"})
    path.chmod(0o600)
    return path


def get_source(name: str) -> src.Source:
    source = src.SOURCES.get(name)
    if source is None:
        names = "、".join(f"{n}（{src.SOURCES[n].label}）" for n in src.SOURCES)
        raise ImportFailed(f"没有名为“{name}”的名单类型，可用的有：{names}")
    return source


@gc_paused
def prepare_import(workspace, source: str | src.Source, path: str | Path, *, sheet: str | None = None,
                   defaults: dict[str, Any] | None = None, progress: Progress | None = None) -> PreparedImport:
    """Read and check a list (no change to the data). Raises ImportFailed / ExcelReadError (Chinese)."""
    source = get_source(source) if isinstance(source, str) else source
    path = Path(path)
    defaults = {k: v for k, v in (defaults or {}).items() if v not in (None, "")}
    profile = workspace.profile
    fields = header_fields(source, profile.header_synonyms())
    required = [k for k in source.required if k not in defaults]
    if progress is not None:
        progress(READ, 0, 0)
    try:
        table = read_rows(path, sheet=sheet, fields=fields, required=required,
                          progress=(lambda d, t: progress(READ, d, t)) if progress else None)
    except MissingColumnsError as err:
        hint = ""
        if "school" in err.missing and source.name == "school":
            hint = "。若整份名单都是同一所学校的学生，可用 --school 学校名称 指定"
        raise ImportFailed(f"{source.label}：{err}{hint}") from None
    if source.one_of and not any(k in table.columns for k in source.one_of):
        wanted = "、".join(dict.fromkeys(src.FLAG_HEADER.get(k) or fields[k][0] for k in source.one_of))
        found = "、".join(h for h in table.headers if h) or "（无）"
        raise ImportFailed(f"{source.label}“{path.name}”中没有可导入的内容列：需要以下列之一：{wanted}。"
                           f"第{table.header_row}行的表头为：{found}")
    canon = _Canon(profile.villages, [*profile.schools,
                                      *(s for c in profile.cohorts.values() for s in c.schools)])
    if "school" in defaults:
        defaults["school"] = canon.school(src.fast_text(defaults["school"]))
    checked = _check_rows(table, source, defaults, canon, progress)
    access.reject_out_of_scope(workspace, checked)   # rows outside the operator's scope → rejects
    return PreparedImport(workspace, source, path, checked, progress)


@gc_paused      # one pause for read, check and write: no collection over the read rows in between
def import_list(workspace, source: str, path: str | Path, *, sheet: str | None = None, dry_run: bool = False,
                defaults: dict[str, Any] | None = None, progress: Progress | None = None) -> ImportResult:
    prepared = prepare_import(workspace, source, path, sheet=sheet, defaults=defaults, progress=progress)
    return prepared.preview() if dry_run else prepared.commit()


__all__ = ["ChildChange", "ExcelReadError", "ImportFailed", "ImportResult", "Issue", "PreparedImport",
           "import_list", "prepare_import", "write_rejects_file"]
