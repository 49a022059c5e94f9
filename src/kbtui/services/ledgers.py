"""Ledgers (台账) out and back in: list, export as a printable form, import a ledger filled in offline.

For the CLI (``kbtui ledger …``) and the TUI::

    infos = list_ledgers(workspace)                                  # id, title, rows
    result = export_ledger(workspace, "in-school-local", path, village=None, progress=cb)
    plan = plan_ledger_import(workspace, path)                       # what would change, child by child
    outcome = apply_ledger_import(workspace, plan)                   # journaled, stale rows refused

``progress(done, total)`` is called while rows are written.

An exported workbook carries a hidden sheet ``_kbtui`` naming the ledger, the record field of each
column, which columns may be filled in, and when it was exported. The import reads it to know which
column is which field; if the sheet was lost (the file re-saved by another program) the ledger is
recognised by its title and headers instead.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kbtui.domain import normalize as nz
from kbtui.domain import status as st
from kbtui.domain.idcard import IdNumberError, normalize_id
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.domain.ledger_columns import FieldColumn, clean_text
from kbtui.excel import ExcelReadError, FormSheet, read_rows, write_form
from kbtui.services import access, backup
from kbtui.store import StaleEditError, StoreError
from kbtui.store.journal import make_entry, now_ts

Progress = Callable[[int, int | None], None]

MARKER_SHEET = "_kbtui"
MARKER = "kbtui-ledger"
FORMAT = 1
ACTION = "ledger-import"


class LedgerError(Exception):
    """A ledger operation that cannot be done; the message is Chinese."""


# --------------------------------------------------------------------------- listing

@dataclass
class LedgerInfo:
    id: str
    title: str
    description: str
    rows: int
    columns: list[str]

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "description": self.description, "rows": self.rows,
                "columns": self.columns}


def get_ledger(workspace, ledger_id: str) -> Ledger:
    ledgers = workspace.ledgers
    if ledger_id not in ledgers:
        names = "、".join(ledgers) or "（无）"
        raise LedgerError(f"没有名为“{ledger_id}”的台账（本配置启用的台账有：{names}）")
    return ledgers[ledger_id]


def _records(workspace, village: str | None) -> list[dict]:
    records = list(workspace.store.all())
    if village:
        records = [r for r in records if (r.get("village") or "") == village]
        if not records:
            known = sorted({r.get("village") or "" for r in workspace.store.all()} - {""})
            raise LedgerError(f"没有村（社区）为“{village}”的儿童；现有：{'、'.join(known) or '（无）'}")
    return records


def list_ledgers(workspace, village: str | None = None) -> list[LedgerInfo]:
    ctx = workspace.context()
    records = _records(workspace, village)
    out = []
    for lid, ledger in workspace.ledgers.items():
        rows = sum(1 for r in records if ledger.include(r, ctx))
        out.append(LedgerInfo(lid, ledger.title_for(ctx), ledger.description, rows,
                              [h for h, _ in ledger.headers()]))
    return out


# --------------------------------------------------------------------------- export

@dataclass
class ExportResult:
    ledger_id: str
    title: str
    path: str
    rows: int
    village: str | None = None

    def as_dict(self) -> dict:
        return {"ledger": self.ledger_id, "title": self.title, "path": self.path, "rows": self.rows,
                "village": self.village}


def column_keys(ledger: Ledger) -> tuple[list[str], list[str]]:
    """Per printed column (序号 included): the record field ("" if computed), "1" if editable."""
    keys = [""] if ledger.serial else []
    editable = [""] if ledger.serial else []
    for column in ledger.columns:
        keys.append(getattr(column, "key", "") or "")
        editable.append("1" if getattr(column, "editable", False) else "")
    return keys, editable


def _marker_rows(workspace, ledger: Ledger, title: str, village: str | None, exported_at: str,
                 journal_seq: int) -> list[list]:
    keys, editable = column_keys(ledger)
    return [
        [MARKER, FORMAT],
        ["ledger", ledger.id],
        ["title", title],
        ["profile", workspace.profile.name],
        ["village", village or ""],
        ["exported_at", exported_at],
        ["exported_by", workspace.operator],
        ["journal_seq", journal_seq],
        ["keys", *keys],
        ["editable", *editable],
        ["headers", *(h for h, _ in ledger.headers())],
    ]


def default_export_name(workspace, ledger_id: str, village: str | None = None) -> Path:
    ledger = get_ledger(workspace, ledger_id)
    title = ledger.title_for(workspace.context())
    stamp = dt.date.today().strftime("%Y%m%d")
    return workspace.folder("exports") / f"{title}{('-' + village) if village else ''}-{stamp}.xlsx"


def export_ledger(workspace, ledger_id: str, path: str | Path | None = None, *, village: str | None = None,
                  progress: Progress | None = None, today: dt.date | None = None,
                  level: str | None = None) -> ExportResult:
    """Write one ledger as a printable form (title, 填报单位, date, 序号, frozen header, footer).

    ``level`` (a checking level, e.g. 镇核查) keeps only findings checked at least that far
    (domain.checking.checked_at_least); None exports every member."""
    ledger = get_ledger(workspace, ledger_id)
    path = Path(path) if path else default_export_name(workspace, ledger_id, village)
    if path.suffix.lower() != ".xlsx":
        raise LedgerError(f"导出文件应以 .xlsx 结尾：{path}")
    ctx = workspace.context(today)
    title = ledger.title_for(ctx)
    workspace.store.refresh()
    members = ledger.members(_records(workspace, village), ctx)
    if level:
        from kbtui.domain.checking import CheckingError, checked_at_least

        try:
            members = [r for r in members if checked_at_least(r, level)]
        except CheckingError as err:
            raise LedgerError(str(err)) from None
    columns = ledger.columns
    serial = ledger.serial
    sheets = _extra_sheets(workspace, ledger, title, members, ctx)

    def rows():
        for n, record in enumerate(members, 1):
            values = access.mask_row(workspace, columns, [c.value(record, ctx) for c in columns])
            yield [n, *values] if serial else values

    exported_at = now_ts()
    journal_seq = workspace.store.journal.last_seq()
    profile = workspace.profile
    unit = f"{profile.township}{village}" if village else profile.township
    marker = _marker_rows(workspace, ledger, title, village, exported_at, journal_seq)

    def write(properties: dict[str, str]) -> int:
        return write_form(
            path, title=title, unit=unit, date=ctx.today, columns=ledger.headers(), rows=_Sized(rows(), len(members)),
            sheet_title=ledger.sheet, progress=progress, hidden_sheets=[(MARKER_SHEET, marker)], sheets=sheets,
            properties=properties)

    detail: dict[str, Any] = {"ledger": ledger.id, "village": village}
    if sheets:
        detail["sheets"] = {sheet.sheet_title: len(sheet.rows) for sheet in sheets}
    try:
        written = access.export_file(
            workspace, title, path, write, detail=detail,
            properties={"subject": "台账", "keywords": f"{MARKER}:{ledger.id}",
                        "description": json.dumps({"kbtui": MARKER, "ledger": ledger.id,
                                                   "exported_at": exported_at}, ensure_ascii=False)})
    except OSError as err:
        raise LedgerError(f"无法写入文件“{path}”：{err.strerror or err}") from err
    return ExportResult(ledger.id, title, str(path), written, village)


def _extra_sheets(workspace, ledger: Ledger, title: str, members: list[dict], ctx: LedgerContext
                  ) -> list[FormSheet]:
    """The ledger's further sheets (``Ledger.extra_sheets``) as forms, their rows computed now and masked like
    the first sheet's. The collections they read are passed in ``ctx.extra["collections"]``, read through the
    operator's scoped store."""
    if not ledger.extra_sheets:
        return []
    wanted = dict.fromkeys(name for spec in ledger.extra_sheets for name in spec.collections)
    ctx.extra["collections"] = {name: workspace.store.collection(name).all() for name in wanted}
    sheets = []
    for spec in ledger.extra_sheets:
        columns = [None, *spec.columns] if spec.serial else list(spec.columns)
        rows = []
        for n, values in enumerate(spec.rows(members, ctx), 1):
            rows.append(access.mask_row(workspace, columns, [n, *values] if spec.serial else list(values)))
        sheets.append(FormSheet(spec.heading_for(ctx, title), spec.headers(), rows, spec.title))
    return sheets


class _Sized:
    """An iterator that knows its length (so write_form can report progress against a total)."""

    def __init__(self, it, n: int):
        self._it = it
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __iter__(self):
        return self._it


# --------------------------------------------------------------------------- import back (round trip)

@dataclass
class FieldChange:
    field: str          # record field key
    label: str          # the column header
    old: Any
    new: Any

    def as_dict(self) -> dict:
        return {"field": self.field, "label": self.label, "old": self.old, "new": self.new}


@dataclass
class ChildUpdate:
    row: int
    id_number: str
    name: str
    version: int
    fields: list[FieldChange]
    changes: dict[str, Any]          # what is written to the record

    def text(self) -> str:
        parts = "；".join(f"{f.label}：{_shown(f.old)} → {_shown(f.new)}" for f in self.fields)
        return f"第{self.row}行 {self.name}（{self.id_number}）{parts}"

    def as_dict(self) -> dict:
        return {"row": self.row, "id_number": self.id_number, "name": self.name,
                "changes": [f.as_dict() for f in self.fields]}


@dataclass
class RowProblem:
    row: int
    message: str
    id_number: str = ""

    def text(self) -> str:
        return f"第{self.row}行：{self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "id_number": self.id_number, "message": self.message}


@dataclass
class LedgerImportPlan:
    ledger_id: str
    title: str
    file: str
    sheet: str
    rows: int = 0
    exported_at: str | None = None
    marker: bool = True
    updates: list[ChildUpdate] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)    # rows not (fully) applied
    notes: list[RowProblem] = field(default_factory=list)       # ignored edits of read-only columns
    unchanged: int = 0
    applied: int = 0
    refused: int = 0
    done: bool = False

    def as_dict(self) -> dict:
        return {"ledger": self.ledger_id, "title": self.title, "file": self.file, "sheet": self.sheet,
                "rows": self.rows, "exported_at": self.exported_at, "marker": self.marker,
                "changed": len(self.updates), "unchanged": self.unchanged, "applied": self.applied,
                "refused": self.refused, "problems": [p.as_dict() for p in self.problems],
                "notes": [n.as_dict() for n in self.notes], "updates": [u.as_dict() for u in self.updates],
                "done": self.done}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    return str(value)


def _read_marker(path: Path) -> dict[str, list]:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        if MARKER_SHEET not in wb.sheet_names:
            return {}
        rows = wb.get_sheet_by_name(MARKER_SHEET).to_python()
    except Exception:  # noqa: BLE001 - no marker is not an error: fall back to the title
        return {}
    marker = {str(r[0]): list(r[1:]) for r in rows if r and r[0] != ""}
    return marker if MARKER in marker else {}


def _title_of(path: Path) -> str:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            if name == MARKER_SHEET:
                continue
            for row in wb.get_sheet_by_name(name).to_python()[:3]:
                for cell in row:
                    if isinstance(cell, str) and cell.strip():
                        return cell.strip()
    except Exception:  # noqa: BLE001
        return ""
    return ""


def _identify(workspace, path: Path) -> tuple[Ledger, dict[str, list]]:
    marker = _read_marker(path)
    if marker:
        lid = str((marker.get("ledger") or [""])[0])
        if lid not in workspace.all_ledgers:
            raise LedgerError(f"文件“{path.name}”是台账“{lid}”，本系统没有登记这个台账，无法导入")
        return workspace.all_ledgers[lid], marker
    title = _title_of(path)
    ctx = workspace.context()
    for ledger in workspace.ledgers.values():
        if title and ledger.title_for(ctx) == title:
            return ledger, {}
    raise LedgerError(f"文件“{path.name}”不是从本系统导出的台账（没有导出标记，标题“{title or '（空）'}”也对不上"
                      "任何台账）。请用 kbtui ledger export 导出台账，填写后再导入")


def _columns(ledger: Ledger, marker: dict[str, list]) -> list[tuple[str, FieldColumn]]:
    """(header, column) of every keyed column, in the order the workbook has them."""
    by_key = {c.key: c for c in ledger.columns if isinstance(c, FieldColumn) and c.key}
    if marker:
        keys = [str(k) for k in marker.get("keys", [])]
        headers = [str(h) for h in marker.get("headers", [])]
        out = []
        for key, header in zip(keys, headers):
            if key in by_key:
                out.append((header, by_key[key]))
        if out:
            return out
    return [(c.header, c) for c in by_key.values()]


def _changed_after(workspace, since_seq: int | None, since: str | None, ids: set[str], file: str = ""
                   ) -> dict[str, dict[str, tuple[str, str, Any]]]:
    """Fields of the given children changed in the store after the export (journal entries after
    ``since_seq``; without it, at or after the time ``since``), other than by an earlier import of
    this same file: id → field → (who, when, new)."""
    if (since_seq is None and not since) or not ids:
        return {}
    out: dict[str, dict[str, tuple[str, str, Any]]] = {}
    for entry in workspace.store.journal.entries():
        if since_seq is not None:
            if entry.get("seq", 0) <= since_seq:
                continue
        elif entry.get("ts", "") < since:  # type: ignore[operator]
            continue
        if entry.get("record") not in ids:
            continue
        if entry.get("action") == ACTION and (entry.get("detail") or {}).get("file") == file:
            continue
        fields = out.setdefault(entry["record"], {})
        for key, (_old, new) in (entry.get("changes") or {}).items():
            fields[key] = (entry.get("operator", ""), entry.get("ts", ""), new)
    return out


def plan_ledger_import(workspace, path: str | Path, today: dt.date | None = None) -> LedgerImportPlan:
    """Read a ledger filled in offline and work out what would change, child by child. Writes nothing."""
    path = Path(path)
    ledger, marker = _identify(workspace, path)
    ctx: LedgerContext = workspace.context(today)
    columns = _columns(ledger, marker)
    fields: dict[str, list[str]] = {}
    for header, column in columns:
        fields.setdefault(column.key, []).append(header)
    if "id_number" not in fields:
        raise LedgerError(f"台账“{ledger.id}”没有身份证号列，无法按儿童导入")
    try:
        table = read_rows(path, fields=fields, required=["id_number"])
    except ExcelReadError as err:
        raise LedgerError(str(err)) from None
    exported_at = str((marker.get("exported_at") or [""])[0]) or None
    plan = LedgerImportPlan(ledger.id, ledger.title_for(ctx), str(path), table.sheet, len(table.rows),
                            exported_at, bool(marker))
    if not marker:
        plan.notes.append(RowProblem(0, "文件中没有导出标记（可能被其他软件另存过），已按表头识别各列；"
                                        "无法判断导出后系统中是否有人改过同一内容，请仔细核对下面的变化"))
    workspace.store.refresh()
    statuses = workspace.statuses
    by_key = {c.key: c for _h, c in columns}
    editable = [c for c in by_key.values() if c.editable]
    readonly = [c for c in by_key.values() if not c.editable and c.key != "id_number"]
    seen: dict[str, int] = {}
    pending: list[tuple[ChildUpdate, dict]] = []
    for row in table.rows:
        raw = row.values
        id_cell = raw.get("id_number")
        if id_cell is None or id_cell == "" or (isinstance(id_cell, str) and not id_cell.strip()):
            plan.problems.append(RowProblem(row.number, "身份证号为空（可能被删改），本行未导入"))
            continue
        try:
            id_number = normalize_id(id_cell)
        except IdNumberError as err:
            plan.problems.append(RowProblem(row.number, f"{err}（身份证号可能被改动），本行未导入"))
            continue
        record = workspace.store.get(id_number)
        if record is None:
            plan.problems.append(RowProblem(row.number, f"系统中没有身份证号为 {id_number} 的儿童，本行未导入",
                                            id_number))
            continue
        if id_number in seen:
            plan.problems.append(RowProblem(row.number, f"身份证号 {id_number} 与第{seen[id_number]}行重复，"
                                                        "本行未导入", id_number))
            continue
        seen[id_number] = row.number
        if "name" in raw and not _blank(raw["name"]):
            try:
                listed = nz.normalize_name(raw["name"])
            except nz.NormalizeError:
                listed = nz.normalize_text(raw["name"])
            if listed != record.get("name"):
                plan.problems.append(RowProblem(
                    row.number, f"姓名“{listed}”与系统中身份证号 {id_number} 的儿童“{record.get('name')}”不符"
                                "（身份证号或姓名可能被改动），本行未导入", id_number))
                continue
        update = ChildUpdate(row.number, id_number, record.get("name", ""), record.get("_v", 0), [], {})
        for column in editable:
            if column.key not in raw:
                continue
            cell = raw[column.key]
            if _blank(cell):
                continue              # an empty cell never erases what the system knows
            shown = clean_text(column.value(record, ctx))
            if clean_text(cell) == shown:
                continue
            try:
                parsed = column.parse(cell) if column.parse else clean_text(cell)
            except nz.NormalizeError as err:
                plan.problems.append(RowProblem(row.number, f"“{_header(columns, column)}”列：{err}，此项未导入",
                                                id_number))
                continue
            problem = _stage(update, record, column, parsed, _header(columns, column), statuses, ctx,
                             workspace.operator, path.name)
            if problem:
                plan.problems.append(RowProblem(row.number, problem, id_number))
        for column in readonly:
            cell = raw.get(column.key)
            if column.key not in raw or _blank(cell):
                continue
            if clean_text(cell) != clean_text(column.value(record, ctx)):
                plan.notes.append(RowProblem(
                    row.number, f"“{_header(columns, column)}”列不能通过台账修改（表中为“{clean_text(cell)}”，"
                                f"系统中为“{_shown(column.value(record, ctx))}”），已忽略", id_number))
        _infer_deferral(update, record, ctx)
        if update.fields:
            pending.append((update, record))
        else:
            plan.unchanged += 1
    # someone changed the same field in the system after the export: not overwritten, reported
    later = _changed_after(workspace, _int((marker.get("journal_seq") or [None])[0]), exported_at,
                           {u.id_number for u, _ in pending}, path.name)
    for update, record in pending:
        touched = later.get(update.id_number, {})
        stale = [f for f in update.fields if f.field in touched or (f.field == "status" and "status" in touched)]
        for f in stale:
            who, when, new = touched[f.field]
            plan.problems.append(RowProblem(
                update.row, f"“{f.label}”导出后已由 {who} 于 {when} 改为“{_shown(new)}”，台账中的"
                            f"“{_shown(f.new)}”未导入，请核实后在系统中修改", update.id_number))
            update.fields.remove(f)
            for key in _keys_of(f.field):
                update.changes.pop(key, None)
        if update.fields:
            plan.updates.append(update)
        else:
            plan.unchanged += 1
    return plan


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _keys_of(key: str) -> tuple[str, ...]:
    return ("status", "status_note", "status_history") if key == "status" else (key,)


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def _header(columns: list[tuple[str, FieldColumn]], column: FieldColumn) -> str:
    return next((h for h, c in columns if c is column), column.header)


def _stage(update: ChildUpdate, record: dict, column: FieldColumn, parsed: Any, header: str,
           statuses: st.StatusRegistry, ctx: LedgerContext, operator: str, file: str) -> str | None:
    """Add one cell's change to ``update``; return a problem message instead when it cannot be used."""
    key = column.key
    if key == "status":
        label, detail = parsed
        if label not in statuses:
            known = "、".join(statuses.labels(st.Kind.STUDYING)[:6] + statuses.labels(st.Kind.NOT_DROPOUT)[:6]
                             + statuses.labels(st.Kind.PROBLEM))
            return f"“{header}”列的“{label}”不是已登记的情况（可填如：{known}），此项未导入"
        current = ctx.classify(record).situation
        if label == current and detail == (record.get("status_note") or ""):
            return None
        history = list(record.get("status_history") or [])
        history.append({"status": label, "date": ctx.today.isoformat(), "by": operator, "how": "台账回填",
                        "note": detail, "file": file})
        update.changes.update({"status": label, "status_note": detail, "status_history": history})
        old = f"{current}（{record['status_note']}）" if record.get("status_note") else current
        new = f"{label}（{detail}）" if detail else label
        update.fields.append(FieldChange("status", header, old, new))
        return None
    if parsed == "" or parsed == record.get(key):
        return None
    update.changes[key] = parsed
    update.fields.append(FieldChange(key, header, record.get(key), parsed))
    return None


def _infer_deferral(update: ChildUpdate, record: dict, ctx: LedgerContext) -> None:
    """是否办理缓学手续 = 是 on a child still 缓学待核实 means the finding 延缓入学 (shown in the preview)."""
    if update.changes.get("deferral_done") == "是" and "status" not in update.changes \
            and ctx.classify(record).situation == st.DEFERRAL_CHECK:
        history = list(record.get("status_history") or [])
        history.append({"status": "延缓入学", "date": ctx.today.isoformat(), "by": "", "how": "台账回填",
                        "note": "已办理缓学手续"})
        update.changes.update({"status": "延缓入学", "status_history": history})
        update.fields.append(FieldChange("status", "核实情况", st.DEFERRAL_CHECK, "延缓入学"))


def apply_ledger_import(workspace, plan: LedgerImportPlan) -> LedgerImportPlan:
    """Write the planned changes (one journaled update per child, refused if the child changed meanwhile)."""
    if plan.done:
        raise LedgerError("这份台账的修改已经导入过了")
    backup.before(workspace, f"台账回填 {Path(plan.file).name}")
    store = workspace.store
    detail_base = {"file": Path(plan.file).name, "ledger": plan.ledger_id}
    for update in list(plan.updates):
        changes = dict(update.changes)
        for entry in changes.get("status_history", [])[-1:]:
            if not entry.get("by"):
                entry["by"] = workspace.operator
        try:
            store.update(update.id_number, changes, workspace.operator, expected_version=update.version,
                         action=ACTION, detail={**detail_base, "row": update.row})
            plan.applied += 1
        except StaleEditError:
            plan.refused += 1
            plan.problems.append(RowProblem(update.row, "刚才有其他操作员修改了这名儿童的记录，本行未导入，请重新导入本文件",
                                            update.id_number))
        except StoreError as err:
            plan.refused += 1
            plan.problems.append(RowProblem(update.row, f"{err}，本行未导入", update.id_number))
    store.journal.append([make_entry(workspace.operator, ACTION, None, {}, {
        **detail_base, "path": str(Path(plan.file).resolve()), "rows": plan.rows, "applied": plan.applied,
        "refused": plan.refused, "problems": len(plan.problems), "unchanged": plan.unchanged})])
    plan.done = True
    return plan


__all__ = ["ExportResult", "LedgerError", "LedgerImportPlan", "LedgerInfo", "apply_ledger_import",
           "export_ledger", "list_ledgers", "plan_ledger_import"]
