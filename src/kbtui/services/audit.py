"""The change journal for people: verify its hash chain, and read who changed what.

The journal itself (append-only, hash-chained) is ``store.journal.Journal``; this module only reads it.
``verify(workspace)`` says where the chain breaks (entry number, time and operator as recorded there).
``log(workspace, child=…, operator=…)`` filters entries; an operator whose role may not read the whole
journal (``roles.AUDIT``) sees only entries about children within their scope.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from kbtui.domain import labels as L
from kbtui.domain import roles as R
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.services import gate
from kbtui.services.operators import AccessDenied
from kbtui.store import Journal, StoreError


@dataclass
class VerifyReport:
    ok: bool
    entries: int                      # entries checked (all when ok)
    seq: int | None = None            # where the chain breaks
    ts: str | None = None             # time recorded in that entry (if readable)
    operator: str | None = None       # operator recorded in that entry (if readable)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "seq": self.seq, "ts": self.ts, "operator": self.operator,
                "message": self.message}

    def text(self) -> str:
        if self.ok:
            return f"日志完整：共 {self.entries} 条，哈希链校验通过"
        where = []
        if self.ts:
            where.append(f"时间 {self.ts.replace('T', ' ')}")
        if self.operator:
            where.append(f"操作员 {self.operator}")
        extra = f"（{'，'.join(where)}）" if where else ""
        return f"日志校验失败：第 {self.seq} 条{extra}。{self.message}。该条及以后的记录不可信，请从备份核对"


def journal_of(workspace) -> Journal:
    return gate.raw_store(workspace).journal


def verify(workspace) -> VerifyReport:
    """Check the whole hash chain of the workspace's journal."""
    return verify_journal(journal_of(workspace))


def verify_journal(journal: Journal) -> VerifyReport:
    ok, seq, message = journal.verify()
    if ok:
        return VerifyReport(True, journal.last_seq(), message=message)
    entry = _line(journal, seq or 1)
    return VerifyReport(False, (seq or 1) - 1, seq, entry.get("ts"), entry.get("operator"), message)


def _line(journal: Journal, number: int) -> dict[str, Any]:
    """The ``number``-th complete line of the journal, parsed as far as possible ({} if unreadable)."""
    for n, line in enumerate(journal._lines(), 1):
        if n == number:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                return {}
            return entry if isinstance(entry, dict) else {}
    return {}


def _visible_filter(workspace):
    """None when the operator reads the whole journal; else a test on entries (children in scope only)."""
    operator = gate.operator_of(workspace)
    if operator is not None and operator.role_info.may(R.AUDIT):
        return None
    store = workspace.store

    def visible(entry: dict[str, Any]) -> bool:
        record = entry.get("record")
        if not isinstance(record, str) or (entry.get("detail") or {}).get("collection"):
            return False
        return store.get(record) is not None

    return visible


def log(workspace, child: str | None = None, operator: str | None = None, action: str | None = None,
        since: str | None = None, limit: int | None = None, newest_first: bool = False) -> list[dict[str, Any]]:
    """Journal entries filtered by child (ID number), operator (login), action prefix and start time."""
    action = action_filter(action)
    since = _since(since)
    visible = _visible_filter(workspace)
    if child is not None and visible is not None and workspace.store.get(child) is None:
        raise AccessDenied(f"找不到身份证号为 {child} 的儿童，或该儿童不在您的管辖范围内，无权查看其修改记录")
    found: list[dict[str, Any]] = []
    for entry in journal_of(workspace).entries(record=child, operator=operator):
        if action and not str(entry.get("action", "")).startswith(action):
            continue
        if since and str(entry.get("ts", "")) < since:
            continue
        if visible is not None and not visible(entry):
            continue
        found.append(entry)
    if newest_first:
        found.reverse()
    if limit is not None:
        found = found[:limit] if newest_first else found[-limit:]
    return found


# bookkeeping in a change or a detail that says nothing to a reader, or what the record name already says
_UNSHOWN = frozenset({"collection", "key", "what", "_v", "_by", "_at"})


def describe_changes(entry: dict[str, Any], width: int | None = None) -> str:
    """字段：旧 → 新；… with Chinese field names and values, or the entry's detail for summary entries."""
    collection = (entry.get("detail") or {}).get("collection")
    parts = [L.change_text(key, *((pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)),
                           collection=collection)
             for key, pair in (entry.get("changes") or {}).items() if key not in _UNSHOWN]
    if not parts and entry.get("detail"):
        parts = [_detail_text(k, v) for k, v in entry["detail"].items()
                 if v not in (None, "", [], {}) and k not in _UNSHOWN]
    text = "；".join(parts)
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def _detail_text(key: str, value: Any) -> str:
    if isinstance(value, dict):       # import counts: 人数：行数 30、新增 30 …
        inner = "、".join(f"{L.field_label(k)} {L.value_text(k, v)}" for k, v in value.items())
        return f"{L.field_label(key)}：{inner}"
    return f"{L.field_label(key)}：{L.value_text(key, value)}"


def action_label(action: str | None) -> str:
    return L.action_label(action)


def action_filter(text: str | None) -> str | None:
    """``--action``: a journal action (or the start of one: ``collection``) or its Chinese name (核查通过)
    → the action to filter on; anything else raises AuditError listing the choices."""
    if not text:
        return None
    text = text.strip()
    by_label = {label: action for action, label in L.ACTION_LABELS.items()}
    if text in by_label:
        return by_label[text]
    if any(action.startswith(text) for action in L.ACTION_LABELS):
        return text
    listed = "、".join(f"{label}（{action}）" for action, label in L.ACTION_LABELS.items())
    raise AuditError(f"没有“{text}”这类操作，可用的有：{listed}")


def _since(text: str | None) -> str | None:
    """``--since``: a date (any way people write one) or an ISO time, as the ISO text entries compare with."""
    if not text:
        return None
    text = text.strip()
    if len(text) > 10 and text[10:11] in ("T", " "):
        day, rest = text[:10], "T" + text[11:]
    else:
        day, rest = text, ""
    try:
        return parse_date(day).isoformat() + rest
    except NormalizeError as err:
        raise AuditError(f"--since：{err}") from None


class AuditError(StoreError):
    """A filter the journal cannot take (message in Chinese)."""


class RecordNames:
    """Readable names of the records journal entries are about: ``王小明（500224…）`` for a child,
    ``走访任务：王小明（500224…）`` or ``人员：王支书`` for other records, ``操作员 lisi``, the ledger or file
    of an export or import. Looked up once each."""

    def __init__(self, workspace):
        self.workspace = workspace
        self._children: dict[str, str] = {}

    def child(self, id_number: str) -> str:
        name = self._children.get(id_number)
        if name is None:
            try:
                record = self.workspace.store.get(id_number)
            except StoreError:
                record = None
            name = self._children[id_number] = f"{record.get('name')}（{id_number}）" \
                if record and record.get("name") else id_number
        return name

    def __call__(self, entry: dict[str, Any]) -> str:
        detail = entry.get("detail") or {}
        record = entry.get("record")
        if isinstance(record, str) and detail.get("collection"):
            return f"{L.collection_label(detail['collection'])}：{self._document(detail['collection'], record, entry)}"
        if isinstance(record, str):
            return self.child(record)
        if detail.get("operator"):
            return f"操作员 {detail['operator']}"
        # summary entries (an export, an import, a backup) are about what they wrote or read
        return str(detail.get("what") or detail.get("file") or "")

    def _document(self, collection: str, key: str, entry: dict[str, Any]) -> str:
        doc = {k: pair[1] for k, pair in (entry.get("changes") or {}).items() if isinstance(pair, list)}
        if not doc.get("id_number") and not doc.get("name"):
            try:
                doc = self.workspace.store.collection(collection).get(key) or doc
            except StoreError:
                pass
        if doc.get("id_number"):
            return self.child(str(doc["id_number"]))
        return str(doc.get("name") or doc.get("title") or key)


def iter_text(entries: list[dict[str, Any]], workspace=None) -> Iterator[str]:
    names = RecordNames(workspace) if workspace is not None else None
    for e in entries:
        record = names(e) if names is not None else str(e.get("record") or "")
        yield (f"#{e.get('seq')}  {str(e.get('ts', '')).replace('T', ' ')}  {e.get('operator', '')}  "
               f"{action_label(e.get('action'))}  {record}  {describe_changes(e)}").rstrip()


__all__ = ["AuditError", "RecordNames", "VerifyReport", "action_filter", "action_label", "describe_changes",
           "iter_text", "log", "verify", "verify_journal"]
