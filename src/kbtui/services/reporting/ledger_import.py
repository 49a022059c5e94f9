"""Reading back a ledger (台账) filled in offline: plan what would change, child by child (stale edits and
read-only columns reported, not applied), then apply the plan as journaled updates."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import normalize as nz
from kbtui.domain import status as st
from kbtui.domain.idcard import IdNumberError, normalize_id
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.domain.ledger_columns import FieldColumn, clean_text
from kbtui.errors import StaleEditError, StoreError
from kbtui.excel.errors import ExcelReadError
from kbtui.excel.reader import read_rows
from kbtui.services.access import backup
from kbtui.services.reporting.ledger_catalog import LedgerError
from kbtui.services.reporting.ledger_marker import identify, marker_position
from kbtui.store.journal import make_entry

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

ACTION = "ledger-import"


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


def _changed_after(workspace: Workspace, position: Any, since: str | None, ids: set[str], file: str = ""
                   ) -> dict[str, dict[str, tuple[str, str, Any]]]:
    """Fields of the given children changed in the store after the export (journal entries after the
    journal ``position`` it recorded; without one, at or after the time ``since``), other than by an earlier
    import of this same file: id → field → (who, when, new)."""
    if (position is None and not since) or not ids:
        return {}
    out: dict[str, dict[str, tuple[str, str, Any]]] = {}
    for entry in workspace.store.journal.entries(since=position):
        if position is None and entry.get("ts", "") < (since or ""):
            continue
        if entry.get("record") not in ids:
            continue
        if entry.get("action") == ACTION and (entry.get("detail") or {}).get("file") == file:
            continue
        fields = out.setdefault(entry["record"], {})
        for key, (_old, new) in (entry.get("changes") or {}).items():
            fields[key] = (entry.get("operator", ""), entry.get("ts", ""), new)
    return out


def plan_ledger_import(workspace: Workspace, path: str | Path, today: dt.date | None = None) -> LedgerImportPlan:
    """Read a ledger filled in offline and work out what would change, child by child. Writes nothing."""
    path = Path(path)
    ledger, marker = identify(workspace, path)
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
    headers = {key: shown for key, (_j, shown) in table.columns.items()}
    for row in table.rows:
        raw = row.values
        problem = nz.too_long(raw, headers)
        if problem:
            plan.problems.append(RowProblem(row.number, f"{problem}，本行未导入"))
            continue
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
    later = _changed_after(workspace, marker_position(marker), exported_at,
                           {u.id_number for u, _ in pending}, path.name)
    for update, _record in pending:
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


def apply_ledger_import(workspace: Workspace, plan: LedgerImportPlan) -> LedgerImportPlan:
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
            plan.problems.append(RowProblem(update.row,
                                            "刚才有其他操作员修改了这名儿童的记录，本行未导入，请重新导入本文件",
                                            update.id_number))
        except StoreError as err:
            plan.refused += 1
            plan.problems.append(RowProblem(update.row, f"{err}，本行未导入", update.id_number))
    store.journal.append([make_entry(workspace.operator, ACTION, None, {}, {
        **detail_base, "path": str(Path(plan.file).resolve()), "rows": plan.rows, "applied": plan.applied,
        "refused": plan.refused, "problems": len(plan.problems), "unchanged": plan.unchanged})])
    plan.done = True
    return plan
