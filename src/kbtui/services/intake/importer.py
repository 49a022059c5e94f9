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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.bulk import gc_paused
from kbtui.domain import labels as L
from kbtui.domain import roles as R
from kbtui.excel.headers import DEFAULT_HEADERS, build_lookup, match_header
from kbtui.excel.reader import MissingColumnsError, Row, Table, one_line, read_rows
from kbtui.registry import Registry
from kbtui.services.access import access, backup
from kbtui.services.access.gate import raw_store, require
from kbtui.services.access.scope import ScopedStore
from kbtui.services.intake import sources as src
from kbtui.services.intake import towns
from kbtui.services.intake.import_check import Canon, Checked, Issue, check_rows
from kbtui.services.intake.merge import SOURCES_KEY, Merger, conflict_changes
from kbtui.store.journal import make_entry

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

Progress = Callable[[str, int, int], None]

READ, CHECK, SAVE = "读取", "检查", "保存"
SAMPLE_LIMIT = 200


class ImportFailed(Exception):
    """An import that cannot run; the message is Chinese."""


@dataclass
class ChildChange:
    id_number: str
    name: str
    kind: str                                   # "new" | "update"
    changes: dict[str, list[Any]] = field(default_factory=dict)   # field → [old, new]

    def as_dict(self) -> dict:
        return {"id_number": self.id_number, "name": self.name, "kind": self.kind, "changes": self.changes}

    def text(self) -> str:
        """``更新 张三（5002…）重点群体：（空） → 残疾；…`` or ``新增 张三（5002…）``, with Chinese field names."""
        if self.kind != "update":
            return f"新增 {self.name}（{self.id_number}）"
        parts = "；".join(L.change_text(k, old, new) for k, (old, new) in self.changes.items()
                         if k not in _UNSHOWN_CHANGES)
        return f"更新 {self.name}（{self.id_number}）{parts}"


# a source conflict is listed by ``kbtui check``, not as a change of value
_UNSHOWN_CHANGES = frozenset({"conflicts"})


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
    town_conflicts: int = 0   # children this list places in another town than the one they are registered in
    rejects_file: str | None = None
    dry_run: bool = False
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)     # field key → header in the file
    unmatched_headers: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    duplicate_rows: list[tuple[int, int]] = field(default_factory=list)   # (row, earlier row with its ID)
    issues: list[Issue] = field(default_factory=list)
    samples: list[ChildChange] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "source": self.source, "file": self.file, "sheet": self.sheet, "rows": self.rows,
            "imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
            "duplicates": self.duplicates, "rejected": self.rejected, "warned": self.warned,
            "conflicts": self.conflicts, "refused": self.refused, "town_conflicts": self.town_conflicts,
            "rejects_file": self.rejects_file, "dry_run": self.dry_run,
            "header_row": self.header_row, "columns": self.columns,
            "unmatched_headers": self.unmatched_headers,
            "skipped": [{"row": r, "reason": why} for r, why in self.skipped],
            "issues": [i.as_dict() for i in self.issues[:1000]],
        }

    def columns_text(self) -> str:
        """The columns recognised, as the file heads them, with the field's name where it differs:
        ``姓名、公民身份号码（身份证号）、户口所在地（户籍地址）``."""
        return "、".join(header if header == L.field_label(key) else f"{header}（{L.field_label(key)}）"
                        for key, header in self.columns.items())

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("rows", "imported", "updated", "unchanged", "duplicates",
                                              "rejected", "warned", "conflicts", "refused", "town_conflicts")}


def repeated_rows(rows: list[tuple[str, Any, int]]) -> list[tuple[int, int]]:
    """(row, first row with the same ID number) for every row repeating an earlier row's child."""
    first: dict[str, int] = {}
    found = []
    for id_number, _values, row in rows:
        if id_number in first:
            found.append((row, first[id_number]))
        else:
            first[id_number] = row
    return found


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


# --------------------------------------------------------------------------- prepare / preview / commit

@dataclass
class PreparedImport:
    """A list read and checked, not yet written. ``preview()`` and ``commit()`` may both be called."""
    workspace: Workspace
    source: src.Source
    path: Path
    checked: Checked
    progress: Progress | None = None
    _handed_over: bool = False      # the checked rows' dicts became records (``_merge(adopt=True)``)
    cross_town: list[tuple[str, str, int]] = field(default_factory=list)   # (id, the list's town, row): 重复户籍

    def _base(self) -> ImportResult:
        table = self.checked.table
        return ImportResult(
            source=self.source.name, file=str(self.path), sheet=table.sheet, rows=len(table),
            rejected=self.checked.rejected, warned=self.checked.warned, header_row=table.header_row,
            columns={k: h for k, (_, h) in table.columns.items()},
            unmatched_headers=list(table.unmatched_headers), skipped=list(table.skipped),
            issues=list(self.checked.issues), town_conflicts=len(self.cross_town))

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
        if merger.duplicates:
            result.duplicate_rows = repeated_rows(self.checked.good)
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
            ws.store.apply_many([(id_number, merger.under_lock(id_number, changes)) for id_number, changes in updates],
                                ws.operator, action="import", detail=detail)
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
        self._report_cross_town()
        summary = {**detail, "path": str(self.path.resolve()), "sheet": result.sheet,
                   "counts": result.counts(), "rejects_file": result.rejects_file}
        ws.store.journal.append([make_entry(ws.operator, "import", None, {}, summary)])
        if self.progress is not None:
            self.progress(SAVE, result.imported + result.updated, result.imported + result.updated)
        return result

    def _report_cross_town(self) -> None:
        """A child this list places in a town other than the one it is registered in, which the operator
        may not change (a town's admin importing their police list): the other town is still recorded on the
        record as a conflict, for the district to settle (``kbtui check``); nothing else of the row is
        written, and the operator learns nothing of the record."""
        kept = {id_number for id_number, _values, _row in self.checked.good}
        hidden = [(id_number, town, row) for id_number, town, row in self.cross_town if id_number not in kept]
        if not hidden:
            return
        raw = raw_store(self.workspace)
        by_id = {id_number: (town, row) for id_number, town, row in hidden if raw.get(id_number) is not None}
        source, file = self.source.name, self.path.name

        def noted(id_number: str):
            town, row = by_id[id_number]
            return lambda current: conflict_changes(current, towns.TOWN, town, source, file, row)
        if by_id:
            raw.apply_many([(i, noted(i)) for i in by_id], self.workspace.operator, action="import.town_conflict",
                           detail={"file": file, "source": source})
        # a record this process cannot even read (a database narrowed to the operator's town): reported apart
        towns.report_conflicts(self.workspace, [(i, town, row) for i, town, row in hidden if i not in by_id],
                               source, file)


def _as_checked(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of a row's values as checked, without what the merge and the store added when they were
    handed over (``id_number``, ``sources``, the store's ``_v``/``_by``/``_at``)."""
    return {k: v for k, v in values.items() if k not in _HANDED_OVER_KEYS and k[:1] != "_"}


_HANDED_OVER_KEYS = frozenset({"id_number", SOURCES_KEY})


def write_rejects_file(workspace: Workspace, table: Table, rejects: list[tuple[Row, str]]) -> Path:
    from kbtui.excel.rejects import write_rejects  # heavy: imported where used

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


def get_source(sources: Registry[src.Source], name: str) -> src.Source:
    """The kind of list ``name`` among ``sources`` (``workspace.sources``: stock and plugins' kinds)."""
    source = sources.get(name)
    if source is None:
        names = "、".join(f"{n}（{sources[n].label}）" for n in sources)
        raise ImportFailed(f"没有名为“{name}”的名单类型，可用的有：{names}")
    return source


def _not_this_kind(source: src.Source, path: Path, table: Table, fields: dict[str, list[str]], profile,
                   sources: Registry[src.Source]) -> str:
    """Why a list without any of its kind's defining columns is refused: the file, the kind, the columns
    it lacks (with the header names that are recognised), the headers it has, and the kind it looks like."""
    def wanted(key: str) -> str:
        label = src.FLAG_HEADER.get(key) or L.field_label(key)
        names = [n for n in fields.get(key, ()) if n != label][:3]
        return f"{label}（或{'、'.join(names)}）" if names else label
    return (f"“{path.name}”不像{source.label}（没有可导入的内容列），未导入任何内容：{source.label}至少要有以下一列："
            f"{'；'.join(wanted(k) for k in source.defining)}。"
            f"{_headers_found(table)}{_other_kind(source, table.headers, profile, sources)}")


def _headers_found(table: Table) -> str:
    return f"文件第{table.header_row}行的表头为：{'、'.join(one_line(h) for h in table.headers if h) or '（无）'}"


def _defining_found(source: src.Source, headers, profile) -> list[str]:
    """The defining columns of ``source`` among ``headers`` (when its required ones are there too)."""
    lookup = build_lookup(header_fields(source, profile.header_synonyms()))
    keys = {match_header(h, lookup) for h in headers if h}
    if any(k not in keys for k in source.required if k != "school"):      # --school may give the school
        return []
    return [k for k in source.defining if k in keys]


def likely_kinds(source: src.Source, headers, profile,
                 sources: Registry[src.Source]) -> tuple[list[src.Source], list[str]]:
    """The other kinds of list whose columns ``headers`` show most (and those columns); ([], []) if none."""
    best: list[src.Source] = []
    shown: list[str] = []
    for other in sources.values():
        if other.name == source.name:
            continue
        found = _defining_found(other, headers, profile)
        if found and len(found) > len(shown):
            best, shown = [other], found
        elif found and len(found) == len(shown):
            best.append(other)
    if len(best) > 1:       # every list has addresses: the 户籍 list is the guess only when nothing else fits
        best = [b for b in best if b.name != "police"] or best
    return best, shown


def _other_kind(source: src.Source, headers, profile, sources: Registry[src.Source]) -> str:
    """``。这份名单看起来是学校学籍名单，请按该类型导入（命令行：kbtui import school）``, or ""."""
    best, _ = likely_kinds(source, headers, profile, sources)
    if not best:
        return ""
    kinds = "或".join(b.label for b in best)
    commands = "、".join(f"kbtui import {b.name}" for b in best)
    return f"。这份名单看起来是{kinds}，请按该类型导入（命令行：{commands}）"


def _looks_like_another_kind(source: src.Source, path: Path, table: Table, profile,
                             sources: Registry[src.Source]) -> str | None:
    """A list with more of another kind's defining columns than of its own (a 学籍 list with 年级, 班级,
    学籍号 and 学籍状态 imported as a 户籍 list, which only needs an address): refused, with why."""
    own = [k for k in source.defining if k in table.columns]
    best, shown = likely_kinds(source, table.headers, profile, sources)
    if not best or len(shown) <= len(own):
        return None
    kinds = "或".join(b.label for b in best)
    theirs = "、".join(L.field_label(k) for k in shown)
    mine = "、".join(L.field_label(k) for k in own) or "（无）"
    commands = "、".join(f"kbtui import {b.name}" for b in best)
    return (f"“{path.name}”看起来是{kinds}，不像{source.label}，未导入任何内容：文件中有{kinds}的列（{theirs}），"
            f"{source.label}应有的列只有{mine}。{_headers_found(table)}。请按{kinds}导入（命令行：{commands}）")


def drop_rows(checked, dropped: dict[int, str]) -> None:
    """Move the checked rows ``dropped`` ({row number: why}) to the rejects, with their reason."""
    if not dropped:
        return
    rows = {row.number: row for row in checked.table.rows}
    warned = {row.number for row, _why in checked.rejects}
    checked.rejects[:] = [(row, why) for row, why in checked.rejects if row.number not in dropped]
    checked.warned -= len(warned & set(dropped))
    for number, problem in dropped.items():
        checked.rejects.append((rows[number], "未导入：" + problem))
        checked.issues.append(Issue(number, "", problem, False))
    checked.rejected += len(dropped)
    checked.good[:] = [item for item in checked.good if item[2] not in dropped]


@gc_paused
def reject_out_of_scope(workspace: Workspace, checked) -> int:
    """For an import being prepared: move rows outside the scope to the rejects.

    ``checked`` has ``good`` [(id, values, row number)], ``rejects`` [(Row, reason)], ``issues``,
    ``rejected``, ``warned`` and ``table.rows``. Raises AccessDenied when the role may not import.
    Returns the number of rows moved.
    """
    require(workspace, R.IMPORT, "导入名单")
    store = workspace.store
    if not isinstance(store, ScopedStore) or store.scope.everything:
        return 0
    store.scope.reset()
    dropped = {}
    for id_number, values, number in checked.good:
        problem = access.row_problem(workspace, id_number, values)
        if problem:
            dropped[number] = problem
    drop_rows(checked, dropped)
    return len(dropped)


def prepare_import(workspace: Workspace, source: str | src.Source, path: str | Path, *, sheet: str | None = None,
                   defaults: dict[str, Any] | None = None, progress: Progress | None = None) -> PreparedImport:
    """Read and check a list (no change to the data). Raises ImportFailed / ExcelReadError (Chinese)."""
    sources = workspace.sources
    source = get_source(sources, source) if isinstance(source, str) else source
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
        raise ImportFailed(f"{source.label}：{err}{hint}{_other_kind(source, err.found, profile, sources)}") from None
    if source.defining and source.needs_defining and not any(k in table.columns for k in source.defining):
        raise ImportFailed(_not_this_kind(source, path, table, fields, profile, sources))
    other = _looks_like_another_kind(source, path, table, profile, sources)
    if other:
        raise ImportFailed(other)
    canon = Canon(profile.villages, [*profile.schools,
                                      *(s for c in profile.cohorts.values() for s in c.schools)])
    if "school" in defaults:
        defaults["school"] = canon.school(src.fast_text(defaults["school"]))
    checked = check_rows(table, source, defaults, canon,
                         (lambda d, t: progress(CHECK, d, t)) if progress else None)
    raw = raw_store(workspace)
    stored = raw.get
    drop_rows(checked, towns.assign_towns(workspace, checked, stored))   # a district: each row's town
    # children stored beyond what this process may read (a database narrowed to the operator's town or village)
    unseen = raw.registered_towns([id_number for id_number, _values, _row in checked.good if stored(id_number) is None])
    cross = [(id_number, values[towns.TOWN], row) for id_number, values, row in checked.good
             if towns.cross_town(profile.district, stored(id_number), values)
             or (id_number in unseen and towns.cross_town(profile.district, {towns.TOWN: unseen[id_number]}, values))]
    sees = workspace.store.allows if isinstance(workspace.store, ScopedStore) else (lambda _record: True)
    crossing = {id_number for id_number, _town, _row in cross}
    dropped = {row: f"身份证号 {id_number}：{towns.CROSS_TOWN_REASON}" for id_number, _town, row in cross
               if id_number in unseen or not sees(stored(id_number))}
    if isinstance(workspace.store, ScopedStore):
        dropped.update({row: f"身份证号 {id_number}：{workspace.store.scope.outside()}，不能由您导入"
                        for id_number, _values, row in checked.good
                        if id_number in unseen and id_number not in crossing})
    drop_rows(checked, dropped)
    reject_out_of_scope(workspace, checked)   # rows outside the operator's scope → rejects
    return PreparedImport(workspace, source, path, checked, progress, cross_town=cross)


@gc_paused      # one pause for read, check and write: no collection over the read rows in between
def import_list(workspace: Workspace, source: str, path: str | Path, *, sheet: str | None = None, dry_run: bool = False,
                defaults: dict[str, Any] | None = None, progress: Progress | None = None) -> ImportResult:
    prepared = prepare_import(workspace, source, path, sheet=sheet, defaults=defaults, progress=progress)
    return prepared.preview() if dry_run else prepared.commit()


__all__ = ["ChildChange", "ImportFailed", "ImportResult", "PreparedImport",
           "import_list", "prepare_import", "write_rejects_file"]
