"""Checking a list's rows before an import: every cell normalised column by column (each distinct value of a
repeating column once; cells already canonical found a whole column at a time, ``sources.clean_cells``),
birth date and sex taken from the ID number, then each row kept, kept with a warning or rejected, with its
reason in Chinese (``Issue``). Nothing here reads or writes the store (``services.intake.importer`` does).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress, count, repeat
from operator import ne
from typing import Any, cast

from kbtui.domain.child import LABEL_OF, limit_of
from kbtui.domain.idcard import IdNumberError
from kbtui.domain.normalize import NormalizeError, TooLongError, check_length
from kbtui.excel.reader import Row, Table
from kbtui.services.intake import sources as src


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


class Canon:
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
class Checked:
    table: Table
    good: list[tuple[str, dict[str, Any], int]]         # (id, values, row number)
    rejects: list[tuple[Row, str]]                       # rows for the rejects workbook
    issues: list[Issue]
    rejected: int
    warned: int


_ERRORS = (NormalizeError, IdNumberError)


_NUMBERS = frozenset({int, float, bool})


def _normalised(fn: Callable[[Any], Any], raw: Any) -> tuple[Any, Exception | None]:
    """(the cell's clean value, None) — the value None when it normalises to nothing — or (None, why not)."""
    try:
        value = fn(raw)
    except _ERRORS as err:
        return None, err
    return (None if value == "" or value == [] else value), None


def map_unique(fn: Callable[[Any], Any], col: list[Any], errors: dict[int, str],
                nones: set[int] | None = None, fatal: set[int] | None = None) -> list[Any]:
    """Normalise a column whose values repeat (village, sex, date…): each distinct value once.

    Returns the clean values (None for a blank or bad cell); bad cells go to ``errors`` by index, the
    index of every None to ``nones``, of every cell that refuses its whole row (too long) to ``fatal``."""
    # 1, 1.0 and True are equal dict keys: a column holding numbers is keyed by (type, value) when it mixes
    # number types (looked for only when a number is among the distinct values)
    distinct = set(col)
    mixed = any(type(v) in _NUMBERS for v in distinct) and len(set(map(type, col)) & _NUMBERS) > 1
    keys: list[Any] = col
    if mixed:
        keys = list(zip(map(type, col), col))
        distinct = set(keys)
    table: dict[Any, Any] = {}
    failed: dict[Any, Exception] = {}
    for key in distinct:
        raw = key[1] if mixed else key
        table[key] = None
        if raw is None or raw == "" or (raw.__class__ is str and not raw.strip()):
            continue
        table[key], error = _normalised(fn, raw)
        if error is not None:
            failed[key] = error
    out = list(map(table.__getitem__, keys))
    if failed:
        for i, key in enumerate(keys):
            if key in failed:
                errors[i] = str(failed[key])
                if fatal is not None and isinstance(failed[key], TooLongError):
                    fatal.add(i)
    if nones is not None and None in table.values():
        nones.update(i for i, value in enumerate(out) if value is None)
    return out


def map_each(fn: Callable[[Any], Any], col: list[Any], errors: dict[int, str],
              clean: list[Any] | None = None, nones: set[int] | None = None,
              fatal: set[int] | None = None) -> list[Any]:
    """Normalise a column of mostly distinct values (ID numbers, names, phones, addresses). ``clean``
    (``sources.clean_cells``) marks the cells already canonical; only the others go through ``fn``.
    The index of every None (blank or bad cell) goes to ``nones``, of a too long cell to ``fatal``."""
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
        out[i], error = _normalised(fn, raw)
        if error is not None:
            errors[i] = str(error)
            if fatal is not None and isinstance(error, TooLongError):
                fatal.add(i)
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
_REPEATING = frozenset({"sex", "birth_date", "ethnicity", "town", "village", "group", "family_type", "school", "grade",
                        "class_name", "enrollment_status", "disability_category", "disability_grade"})


def _column_fn(key: str, canon: Canon) -> Callable[[Any], Any]:
    """The field's normaliser, refusing first a text longer than the field takes (``TooLongError``)."""
    fn = src.normalizer_for(key)
    limit = limit_of(key)
    if key == "village":
        clean = lambda raw: canon.village(fn(raw))       # noqa: E731
    elif key == "group":
        clean = lambda raw: canon.group(fn(raw))         # noqa: E731
    elif key == "school":
        clean = lambda raw: canon.school(fn(raw))        # noqa: E731
    else:
        clean = fn

    def normalise(raw: Any) -> Any:
        check_length(raw, limit)
        return clean(raw)

    return normalise


def check_rows(table: Table, source: src.Source, defaults: dict[str, Any], canon: Canon,
                progress: Callable[[int, int], None] | None) -> Checked:
    """Normalise every cell, column by column; then decide row by row (reject, warn, keep)."""
    columns = table.columns
    header = {k: h for k, (_, h) in columns.items()}
    numbers = table.numbers
    total = len(table)
    raw_keys = set(source.raw_columns)
    required = [k for k in source.required if k != "id_number" and k in columns]
    owned = [k for k in source.owns if k in columns and k not in raw_keys]
    if progress is not None:
        progress(0, total)

    # 1. columns
    id_errors: dict[int, str] = {}
    id_cells = table.column("id_number")
    too_long: dict[int, tuple[str, str]] = {}       # row index → (column, message): the row is refused
    fatal: set[int] = set()
    ids = map_each(_column_fn("id_number", canon), id_cells, id_errors, src.clean_cells("id_number", id_cells),
                   fatal=fatal)
    for i in fatal:
        too_long[i] = (header.get("id_number", "身份证号"), id_errors[i])
    keys: list[str] = []
    outs: list[list[Any]] = []
    errors: dict[str, dict[int, str]] = {}
    blanks: set[int] = set()            # rows with a blank or bad cell (outside birth date and sex)
    for n, key in enumerate(owned, 1):
        col = table.column(key)
        errs: dict[int, str] = {}
        fatal = set()
        nones = None if key in ("birth_date", "sex") else blanks      # these two come from the ID number
        if key in _REPEATING:
            outs.append(map_unique(_column_fn(key, canon), col, errs, nones, fatal))
        else:
            outs.append(map_each(_column_fn(key, canon), col, errs, src.clean_cells(key, col), nones, fatal))
        for i in fatal:
            too_long.setdefault(i, (header[key], errs[i]))
        keys.append(key)
        errors[key] = errs
        if progress is not None:
            progress(total * n // (len(owned) + 1), total)
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
        if i in too_long:
            column, message = too_long[i]
            reject(row, Issue(row.number, column, message, False))
            return None
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
                      for k in keys if k not in required_set and i in errors.get(k, ())] \
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
    checked: list[tuple[str, dict[str, Any], int] | None]      # None: a row check_row turned down
    if defaults or mapper_fn is not None or unread_required or (derive_village and "village" not in keys):
        checked = [check_row(i) for i in range(total)]
    else:
        special = optional_errors | from_id.keys() | blanks | too_long.keys() | {i for i in id_errors} \
            | ({i for i, id_number in enumerate(ids) if id_number is None} if None in ids else set())
        # built in C: a dict per row from the columns, then (id, values, row number)
        checked = list(zip(ids, map(dict, map(zip, repeat(keys), zip(*outs))), numbers))
        for i in sorted(special):
            checked[i] = check_row(i)
    # every row that check_row turned down was rejected (and counted): with none rejected, none is None
    good = [item for item in checked if item is not None] if counts["rejected"] \
        else cast(list[tuple[str, dict[str, Any], int]], checked)
    rejected, warned = counts["rejected"], counts["warned"]
    if progress is not None:
        progress(total, total)
    return Checked(table, good, rejects, issues, rejected, warned)


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
