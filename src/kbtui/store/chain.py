"""Verifying a journal: its hash chain, its signatures and its anchor (``store.signing``).

``check_journal`` reads the journal once, line by line (a bulk insert line without parsing its records),
and says where it is wrong:

- the chain: every line's ``seq`` follows the previous one, its ``prev`` is the previous line's hash and
  its ``hash`` is the hash of its content -- a line changed, inserted or deleted in the middle;
- the signatures: the last line carries a signature made with the key, and every signature since the key
  was last changed is right -- lines added or rewritten by someone without the key, or cut off inside a
  batch;
- the anchor: signed with the key, and the journal reaches the line it records with the same hash -- lines
  cut off the end, an emptied or deleted journal.

What it cannot see (a whole folder put back to an earlier copy of itself, anything done with the key) is
said in the README, section 修改日志.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from kbtui.errors import StoreError
from kbtui.store import signing
from kbtui.store.journal_lines import KEY_ACTION, line_hash, line_head, lost_key_message

if TYPE_CHECKING:
    from kbtui.store.journal import Journal

_READ_NOW = object()
_AS_GIVEN = object()


@dataclass
class ChainCheck:
    ok: bool
    lines: int                                  # complete lines read (each has a seq)
    seq: int | None = None                      # the first wrong line (cut off: the first one missing)
    message: str = ""
    ts: str | None = None                       # time and operator recorded in that line, when readable
    operator: str | None = None
    last_hash: str = ""
    signed: bool = False                        # every line is covered by a signature of the current key
    broken: bool = False                        # the chain itself breaks at ``seq`` (not only a signature)
    key_missing: bool = False                   # signed, but the key file is gone: signatures unchecked
    unsigned: bool = False                      # never signed (older kbtui): the chain alone was checked
    notes: list[str] = field(default_factory=list)     # what could not be proved (not failures)
    hashes: dict[int, str] = field(default_factory=dict)  # the hashes of the lines asked for (``want``)


def check_journal(journal: Journal, *, on_entry: Callable[[dict[str, Any], bytes], None] | None = None,
                  limit: int | None = None, head_raw: Any = _READ_NOW, want: Iterable[int] = ()) -> ChainCheck:
    """Check ``journal`` (up to ``limit`` bytes); ``on_entry(entry, line)`` sees every line that passed the
    chain check (a bulk line's entry without its records, ``INSERTED`` set to True).

    The anchor is read before the lines (or handed over as ``head_raw``, read under the journal lock with
    ``limit``): a writer appends first and moves the anchor after, so the anchor read first never runs
    ahead of the lines read after it.
    """
    walk = ChainWalk(journal, on_entry=on_entry, want=want,
                     head_raw=signing.read_head_bytes(journal.head_path) if head_raw is _READ_NOW else head_raw)
    walk.feed(limit)
    return walk.finish()


class ChainWalk:
    """``check_journal`` in steps: ``feed(limit)`` reads on to ``limit`` bytes (again and again, as the journal
    grows), ``finish(head_raw)`` checks the signatures and the anchor (read after the lines fed: the anchor
    read with the last ``limit`` under the journal lock). Lets a caller read most of a large journal first
    and the store files with the rest at one moment, without holding both in memory."""

    def __init__(self, journal: Journal, *, on_entry: Callable[[dict[str, Any], bytes], None] | None = None,
                 want: Iterable[int] = (), head_raw: bytes | None = None):
        self.journal, self.on_entry = journal, on_entry
        self.key_problem = ""
        try:
            self.key = journal.key.load()
        except StoreError as err:
            self.key, self.key_problem = None, str(err)
        self.wanted = set(want)
        # the anchor now: the one read at the end is at or after it; every hash from its line on is kept
        self.from_seq = _head_seq(journal, head_raw)
        self.head_raw = head_raw
        self.hashes: dict[int, str] = {}
        self.offset = 0
        self.prev, self.expected = "", 1
        self.any_signed = False
        self.last_signed = 0
        self.bad_signature: dict[str, Any] | None = None        # the first wrong one since the key last changed
        self.key_changes: list[dict[str, Any]] = []
        self.failed: ChainCheck | None = None

    def feed(self, limit: int | None = None) -> None:
        if self.failed is not None:
            return
        key, wanted, from_seq, on_entry = self.key, self.wanted, self.from_seq, self.on_entry
        prev, expected = self.prev, self.expected
        try:
            for self.offset, line in self.journal.lines_at(limit, start=self.offset):  # noqa: B020 - resumable
                try:
                    entry = line_head(line)
                    seq, stored_hash = entry["seq"], entry["hash"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    self.failed = _broken(expected, f"日志第 {expected} 条无法解析，日志已损坏")
                    return
                if seq != expected:
                    self.failed = _broken(expected, f"日志第 {expected} 条缺失或顺序错误（读到序号 {seq}）", entry)
                    return
                if entry.get("prev") != prev:
                    self.failed = _broken(seq, f"日志第 {seq} 条与上一条的链接不符，前面的记录可能被修改或删除", entry)
                    return
                if line_hash(line) != stored_hash:
                    self.failed = _broken(seq, f"日志第 {seq} 条的内容与校验值不符，该条已被修改", entry)
                    return
                if entry.get("action") == KEY_ACTION:
                    self.bad_signature = None           # what came before was signed with an earlier key
                    if seq > 1:
                        self.key_changes.append(entry)
                mac = entry.get("mac")
                if mac is not None:
                    self.any_signed, self.last_signed = True, seq
                    if (key is not None and self.bad_signature is None
                            and not signing.line_signature_ok(key, stored_hash, mac)):
                        self.bad_signature = entry
                if seq >= from_seq or seq in wanted:
                    self.hashes[seq] = stored_hash
                if on_entry is not None:
                    on_entry(entry, line)
                prev = stored_hash
                expected += 1
        finally:
            self.prev, self.expected = prev, expected

    def finish(self, head_raw: Any = _AS_GIVEN) -> ChainCheck:
        """The result; ``head_raw``: the anchor's bytes read with the last ``feed`` (else the ones given)."""
        if self.failed is not None:
            return self.failed
        return _conclude(self, self.head_raw if head_raw is _AS_GIVEN else head_raw)


def _head_seq(journal: Journal, head_raw: bytes | None) -> int:
    try:
        head = signing.parse_head(journal.head_path, head_raw)
    except signing.HeadUnreadable:
        return 0
    return head.seq if head is not None else 0


def _conclude(walk: ChainWalk, head_raw: bytes | None) -> ChainCheck:
    """Signatures and anchor, once every line was fed."""
    journal, key, key_problem = walk.journal, walk.key, walk.key_problem
    any_signed, last_signed, bad_signature, key_changes = (walk.any_signed, walk.last_signed, walk.bad_signature,
                                                           walk.key_changes)
    hashes, prev = walk.hashes, walk.prev
    head_file = journal.head_path
    head: signing.Head | None = None
    head_problem = ""
    try:
        head = signing.parse_head(head_file, head_raw)
    except signing.HeadUnreadable as err:
        head_problem = str(err)
    lines = walk.expected - 1
    found = ChainCheck(True, lines, message=f"日志校验通过，共 {lines} 条", last_hash=prev, hashes=hashes)

    if key_problem:
        return _fail(found, None, key_problem)
    if key is None:
        if any_signed or head is not None or head_problem:
            found.key_missing = True
            return _fail(found, None, lost_key_message(journal.key.path))
        found.unsigned = True
        if lines:
            found.notes.append("日志尚未签名（由旧版本的 kbtui 写入），下一次修改时开始签名；"
                               "在此之前，能改写数据文件的人也能不留痕迹地改写日志")
        return found
    if head_problem:
        return _fail(found, None, f"{head_problem}：日志末尾是否被删除已无从核对")
    if head is None:
        return _fail(found, None, f"锚点文件 {head_file} 不见了（它记载日志的条数和最后一条的哈希）："
                                  "日志末尾可能被删除")
    if not head.signed_by(key):
        return _fail(found, None, f"锚点文件 {head_file} 的签名与密钥不符：它被改动过")
    if head.seq > lines:
        missing = head.seq - lines
        if lines == 0 and not journal.path.exists():
            text = f"日志文件 {journal.path} 不见了，锚点记载它应有 {head.seq} 条"
        elif lines == 0:
            text = f"日志文件 {journal.path} 被清空了，锚点记载它应有 {head.seq} 条"
        else:
            text = f"日志只有 {lines} 条，锚点记载至少应有 {head.seq} 条：日志末尾的 {missing} 条被删除了"
        return _fail(found, lines + 1, text)
    if head.seq and hashes.get(head.seq) != head.hash:
        return _fail(found, head.seq, f"日志第 {head.seq} 条与锚点记载的哈希不同：日志从该条或更早处被改写了")
    if bad_signature is not None:
        return _fail(found, bad_signature["seq"],
                     f"日志第 {bad_signature['seq']} 条的签名与密钥不符：该条（或它之前的条目）被改动过，"
                     "或是不知道密钥的人写入的", bad_signature)
    if lines and last_signed < lines:
        first = last_signed + 1
        span = f"第 {first} 条" if first == lines else f"第 {first}–{lines} 条"
        return _fail(found, first, f"日志{span}没有签名（kbtui 每次写入都以一条签了名的条目结束）："
                                   "这些条目不是 kbtui 写入的，或是它们之后的条目被删除了")
    found.signed = not key_changes
    for change in key_changes:
        when = str(change.get("ts", "")).replace("T", " ")
        where = f"日志自第 {change['seq']} 条（{when}，操作员 {change.get('operator', '')}）起"
        before = f"此前的 {change['seq'] - 1} 条只能按哈希链校验，无法证明没有被能写数据文件的人改写过"
        if (change.get("detail") or {}).get("kind") == "start":
            found.notes.append(f"{where}签名；{before}")
        else:
            found.notes.append(f"{where}换用新密钥；{before}。如不是镇管理员所为，请与备份核对")
    return found


def _broken(seq: int, message: str, entry: dict[str, Any] | None = None) -> ChainCheck:
    found = _fail(ChainCheck(True, seq - 1), seq, message, entry)
    found.broken = True
    return found


def _fail(found: ChainCheck, seq: int | None, message: str, entry: dict[str, Any] | None = None) -> ChainCheck:
    found.ok, found.seq, found.message = False, seq, message
    if entry is not None:
        ts, operator = entry.get("ts"), entry.get("operator")
        found.ts = ts if isinstance(ts, str) else None
        found.operator = operator if isinstance(operator, str) else None
    return found


__all__ = ["ChainCheck", "check_journal"]
