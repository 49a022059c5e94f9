"""The change journal for people: verify it (and the store against it), and read who changed what.

The journal itself (append-only, hash-chained, signed) is ``store.journal.Journal``; this module reads it.
``verify(workspace)`` checks the chain, its signatures and its anchor (``store.chain``), that every village
and collection file holds what the journal says (``store.consistency``), and that the journal still
reaches the head recorded by each backup in ``backups/``; it says what is wrong and where (entry number,
time and operator as recorded there; file and child). ``log(workspace, child=…, operator=…)`` filters
entries; an operator whose role may not read the whole journal (``roles.AUDIT``) sees only entries about
children within their scope, and of a failed verification only which files and how many records.
``rekey(workspace)`` replaces a lost or exposed key (镇管理员 only).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import labels as L
from kbtui.domain import roles as R
from kbtui.domain.masking import mask_id_number
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.errors import StoreError
from kbtui.services.access import gate
from kbtui.services.access.backup_archive import BackupError, list_backups, manifest_signed_by, read_manifest
from kbtui.services.access.operators import (
    BEFORE_KEY,
    DIGEST_KEY,
    FOLDER_KEY,
    AccessDenied,
    folder_id,
    operators_digest,
    operators_path,
)
from kbtui.store import Journal, backends, signing
from kbtui.store import consistency as C
from kbtui.store.chain import ChainCheck
from kbtui.store.storage import locked, make_lock

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

BOOKKEEPING_LABELS = {"_v": "版本号", "_by": "修改人", "_at": "修改时间"}
SHOWN = 20                      # problems listed in full; the rest are counted
EXAMPLES = 3                    # records named per file and kind


@dataclass
class VerifyReport:
    ok: bool
    entries: int                      # entries checked (all when ok)
    seq: int | None = None            # where the journal is wrong
    ts: str | None = None             # time recorded in that entry (if readable)
    operator: str | None = None       # operator recorded in that entry (if readable)
    message: str = ""                 # what is wrong with the journal itself ("" when only the store is)
    problems: list[str] = field(default_factory=list)   # every problem found, Chinese, with where
    notes: list[str] = field(default_factory=list)      # what could not be proved (not failures)
    children: int = 0                 # children and other records compared with the journal
    documents: int = 0
    files: int = 0
    at_entry: bool = False            # the journal is wrong at entry ``seq`` (not at its end, anchor or key)
    unsigned: bool = False            # a journal never signed (older kbtui): its chain alone was checked
    database: bool = False            # a district database's (its rows, not files, were compared)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "seq": self.seq, "ts": self.ts, "operator": self.operator,
                "message": self.message, "problems": self.problems, "notes": self.notes,
                "children": self.children, "documents": self.documents, "files": self.files,
                "signed": not self.unsigned}

    def text(self) -> str:
        lines: list[str] = []
        if self.ok:
            signed = "" if self.unsigned else "，签名和锚点相符"
            place = f"{self.files} 个数据文件中的 " if self.files else "数据库中的 "
            lines.append(f"日志完整：共 {self.entries} 条，哈希链校验通过{signed}；{place}"
                         f"{self.children} 名儿童、{self.documents} 条其他记录与日志一致")
        elif self.message and self.seq is not None and self.at_entry:
            where = [f"时间 {self.ts.replace('T', ' ')}"] if self.ts else []
            where += [f"操作员 {self.operator}"] if self.operator else []
            extra = f"（{'，'.join(where)}）" if where else ""
            lines.append(f"日志校验失败：第 {self.seq} 条{extra}。{self.message}。该条及以后的记录不可信，请从备份核对")
        elif self.message:
            lines.append(f"日志校验失败：{self.message}。请从备份核对")
        elif self.database:
            lines.append("数据库中的记录与日志不符（有人绕过 kbtui，直接用 SQL 改动了数据库）：")
        else:
            lines.append("数据文件与日志不符（有人绕过 kbtui 改动了数据文件）：")
        lines += [f"- {p}" for p in self.problems if p != self.message]
        lines += [f"注意：{n}" for n in self.notes]
        return "\n".join(lines)


def journal_of(workspace: Workspace) -> Journal:
    return gate.raw_store(workspace).journal


def verify(workspace: Workspace) -> VerifyReport:
    """Check the journal (chain, signatures, anchor), the store files against it and the backups' heads."""
    store = gate.raw_store(workspace)
    if backends.backend_kind(store) == backends.POSTGRESQL:
        return _verify_database(workspace, store)
    heads = _backup_heads(Path(store.root))
    chain, stored = C.check_store(store, want=tuple(h[1] for h in heads if h[1]))
    report = _chain_report(chain)
    if stored is not None:
        report.children, report.documents, report.files = stored.children, stored.documents, stored.files
        found = describe_store_problems(stored, store, gate.operator_of(workspace))
        report.problems += found
        if stored.unverifiable:
            report.notes.append(f"{stored.unverifiable} 条记录最后一次由旧版本的 kbtui 修改，日志中没有它们的摘要，"
                                "只核对了它们在不在、在哪个文件")
        if stored.unsettled:
            report.notes.append(f"{'、'.join(stored.unsettled)} 有一次被中断、尚未处理完的写入，本次未核对；"
                                "重新打开 kbtui 后再校验")
    elif not chain.ok:
        report.notes.append("日志本身已断开，数据文件未与它核对")
    report.problems += _check_heads(heads, chain, store.journal)
    problem, note = _check_operators(store.journal, Path(store.root))
    report.problems += [problem] if problem else []
    report.notes += [note] if note else []
    report.ok = chain.ok and not report.problems
    return report


def _verify_database(workspace: Workspace, store) -> VerifyReport:
    """The same on a district database: every chain the login role may read (continuity, each line's hash,
    the bulk inserts' records, the signatures and signed heads, checked in the database, whose key the
    application never holds), every child row against its last journal line, and operators.toml."""
    from kbtui.store.postgres.check import check_store  # heavy: imported where used (psycopg)

    ok, seq, message = store.journal.verify()
    report = VerifyReport(ok, store.journal.entries_count(), database=True)
    if not ok:
        report.seq, report.message, report.at_entry = seq, message, seq is not None
        report.problems.append(message)
        report.notes.append("日志本身已断开，数据库中的记录未与它核对")
    else:
        stored = check_store(store)
        report.children, report.documents = stored.children, stored.documents
        report.problems += describe_store_problems(stored, store, gate.operator_of(workspace))
        if stored.unverifiable:
            report.notes.append(f"{stored.unverifiable} 条记录的最后一次修改在日志中没有摘要，只核对了它们在不在")
    root = Path(workspace.root)
    if ok:
        report.problems += _check_database_heads(_backup_heads(root), store.journal)
    problem, note = _check_operators(store.journal, root, folder_id(root) or "")
    report.problems += [problem] if problem else []
    report.notes += [note] if note else []
    report.ok = ok and not report.problems
    return report


def _check_operators(journal: Journal, root: Path, folder: str | None = None) -> tuple[str | None, str | None]:
    """(problem, note): operators.toml against the digests the journal recorded for it (every change kbtui
    makes to it records the file's digest before and after, ``operators.journal_change``): the file must be
    what the last change left, and each change must have found what the one before left. ``folder``: on a
    database (which several data folders share), only the changes of this folder (``FOLDER_KEY``)."""
    def compare() -> tuple[list[dict], str | None]:
        found = journal.entries_with(DIGEST_KEY)
        if folder is not None:
            found = (e for e in found if e["detail"].get(FOLDER_KEY) == folder)
        return list(found), operators_digest(root)

    changes, actual = compare()
    if changes and changes[-1]["detail"][DIGEST_KEY] != actual:
        try:        # an operators change between the two reads: look again as no change can be under way
            path = operators_path(root)
            with locked(make_lock(path), path):
                changes, actual = compare()
        except (OSError, StoreError):
            pass    # (a read-only copy: nobody is changing it)
    if not changes:
        return None, ("操作员名单 operators.toml 的校验值还没有记入日志（数据目录由旧版本的 kbtui 建立），本次未核对；"
                      "镇管理员修改一次操作员后即可核对" if actual else None)
    advice = ("有人不经 kbtui 改动了它（例如把自己写成了镇管理员）。请镇管理员用 kbtui operators list "
              "核对谁是什么角色，"
              "用 kbtui operators add / remove 改正，并查看这期间的修改日志")
    for earlier, later in zip(changes, changes[1:]):
        found = later["detail"].get(BEFORE_KEY, earlier["detail"][DIGEST_KEY])
        if found != earlier["detail"][DIGEST_KEY]:       # (stays reported after a correction: it happened)
            return (f"操作员名单 operators.toml 在日志第 {earlier.get('seq')} 条之后、第 {later.get('seq')} 条"
                    f"（{later.get('operator')} 修改操作员）之前被不经 kbtui 改动过：{advice}"), None
    last = changes[-1]
    if last["detail"][DIGEST_KEY] == actual:
        return None, None
    when = str(last.get("ts") or "").replace("T", " ")[:19]
    state = "不见了" if actual is None else "与日志最后一次记载的不同"
    return (f"操作员名单 operators.toml {state}（日志第 {last.get('seq')} 条，{when} {last.get('operator')} "
            f"改动后记载）：{advice}"), None


def _chain_report(chain: ChainCheck) -> VerifyReport:
    report = VerifyReport(chain.ok, chain.lines, notes=list(chain.notes), unsigned=chain.unsigned)
    if not chain.ok:
        report.seq, report.ts, report.operator, report.message = chain.seq, chain.ts, chain.operator, chain.message
        report.at_entry = chain.broken or chain.ts is not None
        report.problems.append(chain.message)
    return report


# --------------------------------------------------------------------------- the store against the journal

_KIND_TEXT = {
    C.CHANGED: "{n} {unit}与日志最后一次记载的不同",
    C.MISSING: "缺少日志中记载的 {n} {unit}（被从文件中删除了）",
    C.UNJOURNALED: "有 {n} {unit}在日志中没有任何记载（不是经 kbtui 写入的，或日志被删改过）",
    C.MISPLACED: "有 {n} {unit}按日志应在 {expected} 中",
    C.TWICE: "有 {n} {unit}同时出现在 {expected}",
}


def describe_store_problems(check: C.StoreCheck, store: Any = None, operator: Any = None) -> list[str]:
    """One Chinese sentence per file and kind of disagreement, naming up to three records (for roles that
    may read the whole journal: ID numbers masked where the role sees them masked; the fields that differ).
    """
    detailed = operator is None or operator.role_info.may(R.AUDIT)
    full = operator is None or operator.role_info.full_numbers
    groups: dict[tuple[str, str, str], list[C.Disagreement]] = {}
    out: list[str] = []
    unknown = [p.file for p in check.problems if p.kind == C.UNKNOWN_WRITE]
    if unknown:
        files = "、".join(unknown[:EXAMPLES]) + (f" 等 {len(unknown)} 个文件" if len(unknown) > EXAMPLES else "")
        out.append(f"{files}的最后一次写入在日志中没有记载：日志末尾被删除了，或文件被换成了别处的副本")
    for problem in check.problems:
        if problem.kind == C.UNKNOWN_WRITE:
            continue
        if problem.kind == C.UNREADABLE:
            out.append(f"{problem.file} 无法解析（{problem.detail}），已损坏或被改动")
        else:
            groups.setdefault((problem.file, problem.kind, problem.expected_file or ""), []).append(problem)
    for (file, kind, expected), items in groups.items():
        is_child = file.startswith(("store/children", "kbtui.children"))
        unit = "名儿童" if is_child else "条记录"
        text = f"{file}：" + _KIND_TEXT[kind].format(n=len(items), unit=unit, expected=expected)
        if detailed:
            text += "：" + "；".join(_named(p, store, is_child, full) for p in items[:EXAMPLES])
            if len(items) > EXAMPLES:
                text += " 等"
        out.append(text)
    if len(out) > SHOWN:
        out = out[:SHOWN] + [f"……另有 {len(out) - SHOWN} 处不符"]
    return out


def _named(problem: C.Disagreement, store: Any, is_child: bool, full: bool) -> str:
    record = str(problem.record)
    if is_child:
        name = ""
        if store is not None and problem.kind != C.MISSING:
            found = store.get(record)
            name = f"（{found.get('name')}）" if found and found.get("name") else ""
        text = f"身份证号 {record if full else mask_id_number(record)}{name}"
    else:
        text = f"编号 {record}"
    if problem.fields:
        labels = [BOOKKEEPING_LABELS.get(k) or L.field_label(k) for k in problem.fields]
        text += f"：{'、'.join(labels)}不同"
    if problem.seq:
        text += f"（日志第 {problem.seq} 条最后记载）"
    return text


# --------------------------------------------------------------------------- the backups' heads

def _backup_heads(root: Path) -> list[tuple[Path, int, str, dict[str, Any] | None]]:
    """(backup, journal lines, last hash, manifest) of each backup in ``backups/`` (0, "" if unreadable)."""
    heads: list[tuple[Path, int, str, dict[str, Any] | None]] = []
    for path in list_backups(root):
        try:
            manifest = read_manifest(path)
            journal = manifest.get("journal") or {}
            heads.append((path, int(journal.get("entries") or 0), str(journal.get("last_hash") or ""), manifest))
        except (BackupError, TypeError, ValueError, AttributeError):
            heads.append((path, 0, "", None))
    return heads


def _check_heads(heads, chain: ChainCheck, journal: Journal) -> list[str]:
    """Each backup's manifest is signed with the journal's key and records a head the journal still has."""
    problems: list[str] = []
    try:
        key = journal.key.load()
    except StoreError:      # the chain check already says what is wrong with the key
        key = None
    for path, entries, last_hash, manifest in heads:
        if manifest is None:
            continue        # a damaged backup is reported when restored; it proves nothing either way
        if key is not None and manifest.get("key") == signing.key_id(key) and not manifest_signed_by(manifest, key):
            problems.append(f"备份 {path.name} 的清单签名不符：备份被改动过")
            continue
        if not entries or chain.broken:
            continue
        if entries > chain.lines:
            problems.append(f"备份 {path.name}（{str(manifest.get('created', '')).replace('T', ' ')}）记载日志当时已有 "
                            f"{entries} 条，现在只有 {chain.lines} 条：日志末尾被删除了")
        elif chain.hashes.get(entries) != last_hash:
            problems.append(f"备份 {path.name} 记载的日志第 {entries} 条与现在的日志不同：日志从该条或更早处被改写了")
    return problems


def _check_database_heads(heads, journal: Any) -> list[str]:
    """Each database backup in ``backups/`` records every chain's head: the journal must still hold those lines
    (the chains this role reads; the manifest's signature needs the key, which only the restore holds)."""
    problems: list[str] = []
    position = journal.position()
    for path, _entries, _hash, manifest in heads:
        chains = ((manifest or {}).get("database") or {}).get("chains") or {}
        recorded = {c: (int(v[0]), str(v[1])) for c, v in chains.items() if c in position and int(v[0]) > 0}
        found = journal.line_hashes({c: seq for c, (seq, _h) in recorded.items()})
        created = str((manifest or {}).get("created", "")).replace("T", " ")
        for chain, (seq, want) in sorted(recorded.items()):
            label = f"{chain}的" if chain else ""
            if seq > position[chain]:
                problems.append(f"备份 {path.name}（{created}）记载{label}日志当时已有 {seq} 条，"
                                f"现在只有 {position[chain]} 条：日志末尾被删除了，或数据库被换成了更早的备份")
            elif found.get(chain) != want:
                problems.append(f"备份 {path.name} 记载的{label}日志第 {seq} 条与现在的日志不同："
                                "日志从该条或更早处被改写了")
    return problems


# --------------------------------------------------------------------------- a new key

def rekey(workspace: Workspace, reason: str = "") -> dict[str, Any]:
    """Replace the journal's key (lost, or readable by others); journaled, signed with the new key. Only
    roles with ``roles.ADMIN``."""
    operator = gate.require(workspace, R.ADMIN, "更换日志密钥")
    login = operator.login if operator else str(workspace.operator)
    if backends.backend_kind(gate.raw_store(workspace)) != backends.TINYDB:
        raise AuditError(f"日志存放在数据库 {gate.raw_store(workspace).location} 中，签名密钥也在数据库里、应用读不到，"
                         "kbtui audit rekey 不适用；需要更换时请数据库管理员处理")
    journal = journal_of(workspace)
    entry = journal.start_signing(login, reason or "镇管理员更换日志密钥")
    return {"seq": entry["seq"], "key": entry["detail"]["key"], "previous_seq": entry["detail"]["previous_seq"]}


def _visible_filter(workspace: Workspace):
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


def log(workspace: Workspace, child: str | None = None, operator: str | None = None, action: str | None = None,
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


def _old_new(pair: Any) -> tuple[Any, Any]:
    """A change's ``[old, new]`` (a shorter list padded with None); a bare value is the new one."""
    if isinstance(pair, list):
        old, new = (pair + [None, None])[:2]
        return old, new
    return None, pair


def describe_changes(entry: dict[str, Any], width: int | None = None) -> str:
    """字段：旧 → 新；… with Chinese field names and values, or the entry's detail for summary entries."""
    collection = (entry.get("detail") or {}).get("collection")
    parts = [L.change_text(key, *_old_new(pair), collection=collection)
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

    def __init__(self, workspace: Workspace):
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


def iter_text(entries: list[dict[str, Any]], workspace: Workspace | None = None) -> Iterator[str]:
    names = RecordNames(workspace) if workspace is not None else None
    for e in entries:
        record = names(e) if names is not None else str(e.get("record") or "")
        yield (f"#{e.get('seq')}  {str(e.get('ts', '')).replace('T', ' ')}  {e.get('operator', '')}  "
               f"{action_label(e.get('action'))}  {record}  {describe_changes(e)}").rstrip()


__all__ = ["AuditError", "RecordNames", "VerifyReport", "action_filter", "action_label", "describe_changes",
           "describe_store_problems", "iter_text", "log", "rekey", "verify"]
