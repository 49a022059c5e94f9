"""The append-only, hash-chained audit journal (``root/journal/journal.jsonl``).

One JSON line per change. Each entry carries ``seq`` (1, 2, 3 …), ``ts``, ``operator``, ``action``,
``record``, ``changes`` ({field: [old, new]}), optional ``detail``, ``prev`` (hash of the previous entry,
"" for the first) and ``hash`` = sha256 hex of the canonical orjson (sorted keys) of the entry without
``hash``. A batch is appended with one write + fsync under the journal lock.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, TypedDict

import orjson

from kbtui.store.errors import StoreError, read_failed, write_failed
from kbtui.store.layout import FILE_MODE
from kbtui.store.storage import fsync_dir, locked, make_lock

_TAIL_CHUNK = 64 * 1024


class JournalEntry(TypedDict, total=False):
    seq: int
    ts: str
    operator: str
    action: str
    record: str | None
    changes: dict[str, list[Any]]
    detail: dict[str, Any]
    prev: str
    hash: str


def now_ts() -> str:
    """Local time, ISO format with seconds."""
    return dt.datetime.now().isoformat(timespec="seconds")


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"} if "hash" in entry else entry
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def make_entry(operator: str, action: str, record: str | None, changes: dict[str, list[Any]] | None = None,
               detail: dict[str, Any] | None = None, ts: str | None = None) -> JournalEntry:
    """A journal entry before sequencing (``seq``, ``prev`` and ``hash`` are set by ``append``)."""
    entry: JournalEntry = {
        "ts": ts or now_ts(),
        "operator": operator,
        "action": action,
        "record": record,
        "changes": changes or {},
    }
    if detail:
        entry["detail"] = detail
    return entry


class EntryBatch:
    """Many entries that differ only in ``record`` and ``changes`` (a bulk insert: one per child).

    ``Journal.append`` writes them exactly as it would write the equivalent entries (same line bytes, one
    line per child, same hash chain), but splices each line from pre-serialised constant parts instead of
    copying, completing and serialising a dict per entry. ``common`` holds the other keys (``ts``,
    ``operator``, ``action``, optional ``detail``; ``commit`` adds ``_tx``).
    """

    def __init__(self, common: dict[str, Any], items: list[tuple[str | None, dict[str, list[Any]]]]):
        self.common = dict(common)
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __setitem__(self, key: str, value: Any) -> None:      # commit tags the batch like an entry
        self.common[key] = value

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries())

    def entries(self) -> list[dict[str, Any]]:
        """The equivalent entries (before sequencing)."""
        return [{**self.common, "record": record, "changes": changes} for record, changes in self.items]


def _batch_lines(batch: EntryBatch, seq: int, prev: str) -> tuple[list[bytes], int, str]:
    """The journal lines of ``batch`` after ``seq``/``prev``: byte for byte what ``append`` makes of
    ``batch.entries()`` (orjson, sorted keys, hash as the last key)."""
    common = {k: v for k, v in batch.common.items() if k not in ("seq", "prev", "hash", "record", "changes")}
    if "ts" not in common:
        common["ts"] = now_ts()
    slots = ("changes", "prev", "record", "seq")
    keys = sorted([*common, *slots])
    # constant bytes between the variable slots, in key order
    parts: list[bytes] = []
    order: list[str] = []
    text = b"{"
    for i, key in enumerate(keys):
        text += (b"," if i else b"") + orjson.dumps(key) + b":"
        if key in slots:
            if key == "prev":
                text += b'"'
            parts.append(text)
            order.append(key)
            text = b'"' if key == "prev" else b""
        else:
            text += orjson.dumps(common[key], option=orjson.OPT_SORT_KEYS)
    tail = text + b"}"
    dumps, sort_keys, sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    join = b"".join
    idx = {key: n for n, key in enumerate(order)}
    i_changes, i_prev, i_record, i_seq = idx["changes"], idx["prev"], idx["record"], idx["seq"]
    values: list[bytes] = [b""] * 4
    pieces: list[bytes] = [b""] * 9
    pieces[0], pieces[2], pieces[4], pieces[6] = parts
    pieces[8] = tail
    lines = []
    for record, changes in batch.items:
        seq += 1
        values[i_changes] = dumps(changes, option=sort_keys)
        values[i_prev] = prev.encode()
        values[i_record] = dumps(record)
        values[i_seq] = b"%d" % seq
        pieces[1], pieces[3], pieces[5], pieces[7] = values
        body = join(pieces)
        prev = sha256(body).hexdigest()
        lines.append(b'%s,"hash":"%s"}' % (body[:-1], prev.encode()))
    return lines, seq, prev


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = make_lock(self.path)
        # (ino, size) of the file when last_seq/last_hash were known
        self._tail_key: tuple[int, int] | None = None
        self._last_seq = 0
        self._last_hash = ""

    # -- writing -------------------------------------------------------------------------------------
    def append(self, entries: Iterable[dict[str, Any]] | EntryBatch) -> list[JournalEntry]:
        """Sequence, chain and append ``entries`` in one durable write. Returns the stored entries
        (for an ``EntryBatch``: an empty list, the entries are only written)."""
        batch = entries if isinstance(entries, EntryBatch) else None
        pending = [] if batch is not None else list(entries)
        if not pending and not batch:
            return []
        with locked(self.lock, self.path):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE)
            except OSError as err:
                raise write_failed(self.path, err) from err
            try:
                st = os.fstat(fd)
                if (st.st_mode & 0o777) != FILE_MODE:
                    os.fchmod(fd, FILE_MODE)
                size = self._sync_tail(fd, st)
                seq, prev = self._last_seq, self._last_hash
                stored: list[JournalEntry] = []
                lines = []
                sort_keys = orjson.OPT_SORT_KEYS
                sha256 = hashlib.sha256
                if batch is not None:
                    lines, seq, prev = _batch_lines(batch, seq, prev)
                for raw in pending:
                    seq += 1
                    entry = raw.copy()
                    if "seq" in entry or "prev" in entry or "hash" in entry:
                        entry = {k: v for k, v in raw.items() if k not in ("seq", "prev", "hash")}
                    if "ts" not in entry:
                        entry["ts"] = now_ts()
                    entry.setdefault("record", None)
                    entry.setdefault("changes", {})
                    entry["seq"] = seq
                    entry["prev"] = prev
                    # one serialisation per entry: the hashed body, with the hash appended as last key
                    body = orjson.dumps(entry, option=sort_keys)
                    entry["hash"] = prev = sha256(body).hexdigest()
                    stored.append(entry)  # type: ignore[arg-type]
                    lines.append(b"%s,\"hash\":\"%s\"}" % (body[:-1], prev.encode()))
                payload = b"\n".join(lines) + b"\n"
                try:
                    view = memoryview(payload)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                except OSError as err:
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, size)
                        os.fsync(fd)
                    self._tail_key = None
                    raise write_failed(self.path, err) from err
                self._last_seq, self._last_hash = seq, prev
                self._tail_key = (st.st_ino, size + len(payload))
            finally:
                os.close(fd)
        if size == 0:
            with contextlib.suppress(OSError):
                fsync_dir(self.path.parent)
        return stored

    def _sync_tail(self, fd: int, st: os.stat_result) -> int:
        """Learn the last seq/hash (cached when the file did not change); cut off a torn last line."""
        size = st.st_size
        if self._tail_key == (st.st_ino, size):
            return size
        if size == 0:
            self._last_seq, self._last_hash = 0, ""
            self._tail_key = (st.st_ino, 0)
            return 0
        start = size
        tail = b""
        while True:
            start = max(0, start - _TAIL_CHUNK)
            tail = os.pread(fd, size - start, start)
            body = tail.rstrip(b"\n") if tail.endswith(b"\n") else tail
            if start == 0 or body.count(b"\n") >= 2:
                break
        if not tail.endswith(b"\n"):
            # a writer died in the middle of an append: keep the torn bytes aside, cut them off
            cut = tail.rfind(b"\n")
            keep = start + cut + 1 if cut >= 0 else 0
            torn = tail[cut + 1:]
            try:
                with open(str(self.path) + ".torn", "ab") as fh:
                    os.fchmod(fh.fileno(), FILE_MODE)
                    fh.write(torn + b"\n")
                os.ftruncate(fd, keep)
                os.fsync(fd)
            except OSError as err:
                raise write_failed(self.path, err) from err
            tail = tail[: cut + 1] if cut >= 0 else b""
            size = keep
        lines = [ln for ln in tail.split(b"\n") if ln.strip()]
        if lines:
            try:
                last = orjson.loads(lines[-1])
                self._last_seq, self._last_hash = int(last["seq"]), str(last["hash"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
                raise StoreError(f"日志 {self.path} 最后一行已损坏，无法续写，请先运行日志校验") from err
        else:
            self._last_seq, self._last_hash = 0, ""
        self._tail_key = (os.fstat(fd).st_ino, size)
        return size

    # -- write-ahead transactions (see kbtui.store.txn) ---------------------------------------------------
    def _complete_bytes(self) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return b""
        except OSError as err:
            raise read_failed(self.path, err) from err
        return data[: data.rfind(b"\n") + 1]

    def count_tx(self, tx: str) -> int:
        """How many complete entries belong to write-ahead transaction ``tx``."""
        # entries are serialised with sorted keys, so "_tx" is the first key of a tagged line
        return self._complete_bytes().count(b'{"_tx":' + orjson.dumps(tx) + b",")

    def has_rollback(self, tx: str) -> bool:
        return b'"rolled_back_tx":' + orjson.dumps(tx) in self._complete_bytes()

    def rollback(self, tx: str, found: int, expected: int, file: str) -> None:
        """Record that the ``found`` entries of ``tx`` already in the journal never took effect."""
        self.append([make_entry("系统", "tx.rollback", None, {}, {
            "rolled_back_tx": tx, "entries": found, "expected": expected, "file": file,
            "reason": "写入中途中断，该批日志条目对应的修改未保存"})])

    # -- reading -------------------------------------------------------------------------------------
    def _lines(self) -> Iterator[bytes]:
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return
        except OSError as err:
            raise read_failed(self.path, err) from err
        with fh:
            for line in fh:
                if line.endswith(b"\n") and line.strip():
                    yield line

    def entries(self, record: str | None = None, operator: str | None = None) -> Iterator[dict[str, Any]]:
        """Entries in order, optionally only those of one record and/or one operator."""
        needles = [orjson.dumps(v) for v in (record, operator) if v is not None]
        for line in self._lines():
            if any(n not in line for n in needles):
                continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if record is not None and entry.get("record") != record:
                continue
            if operator is not None and entry.get("operator") != operator:
                continue
            yield entry

    def last_seq(self) -> int:
        """The sequence number of the last complete entry (reads only the tail of the file)."""
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                start = size
                while start > 0:
                    start = max(0, start - _TAIL_CHUNK)
                    fh.seek(start)
                    pieces = fh.read(size - start).split(b"\n")
                    # the last piece is after the final newline (empty or torn); the first may be cut
                    for line in reversed(pieces[1 if start else 0:-1]):
                        try:
                            return int(orjson.loads(line)["seq"])
                        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                            continue
        except FileNotFoundError:
            return 0
        except OSError as err:
            raise read_failed(self.path, err) from err
        return 0

    def verify(self) -> tuple[bool, int | None, str]:
        """Check the whole chain: (ok, seq where it breaks or None, Chinese message)."""
        prev = ""
        expected = 1
        for line in self._lines():
            try:
                entry = orjson.loads(line)
                seq = entry["seq"]
                stored_hash = entry["hash"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                return False, expected, f"日志第 {expected} 条无法解析，日志已损坏"
            if seq != expected:
                return False, expected, f"日志第 {expected} 条缺失或顺序错误（读到序号 {seq}）"
            if entry.get("prev") != prev:
                return False, seq, f"日志第 {seq} 条与上一条的链接不符，前面的记录可能被修改或删除"
            if entry_hash(entry) != stored_hash:
                return False, seq, f"日志第 {seq} 条的内容与校验值不符，该条已被修改"
            prev = stored_hash
            expected += 1
        return True, None, f"日志校验通过，共 {expected - 1} 条"
