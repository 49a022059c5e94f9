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

from kbtui.domain import roles as R
from kbtui.domain.child import LABEL_OF
from kbtui.services import gate
from kbtui.services.operators import AccessDenied
from kbtui.store import Journal

ACTION_LABELS = {
    "insert": "新增", "update": "修改", "import": "导入", "demo": "演示数据", "export": "导出",
    "backup": "备份", "collection.insert": "新增记录", "collection.update": "修改记录",
    "operators.add": "添加操作员", "operators.update": "修改操作员", "operators.remove": "删除操作员",
    "check.pass": "核查通过", "check.return": "核查退回",
}


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


def describe_changes(entry: dict[str, Any], width: int | None = None) -> str:
    """字段: 旧 → 新, … (Chinese labels) or the entry's detail for summary entries."""
    parts = []
    for key, pair in (entry.get("changes") or {}).items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        parts.append(f"{LABEL_OF.get(key, key)}：{_short(old)} → {_short(new)}")
    if not parts and entry.get("detail"):
        detail = entry["detail"]
        parts = [f"{k}={_short(v)}" for k, v in detail.items() if v not in (None, "", [], {})]
    text = "；".join(parts)
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def _short(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value) or "（空）"
    if isinstance(value, dict):
        return orjson.dumps(value).decode("utf-8")
    return str(value)


def action_label(action: str | None) -> str:
    return ACTION_LABELS.get(action or "", action or "")


def iter_text(entries: list[dict[str, Any]]) -> Iterator[str]:
    for e in entries:
        target = (e.get("detail") or {}).get("operator")
        record = e.get("record") or (f"操作员 {target}" if target else "")
        yield (f"#{e.get('seq')}  {str(e.get('ts', '')).replace('T', ' ')}  {e.get('operator', '')}  "
               f"{action_label(e.get('action'))}  {record}  {describe_changes(e)}").rstrip()


__all__ = ["VerifyReport", "action_label", "describe_changes", "iter_text", "log", "verify", "verify_journal"]
