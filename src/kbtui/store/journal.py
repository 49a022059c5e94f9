"""The append-only, hash-chained audit journal (``root/journal/journal.jsonl``).

One JSON line per change. Each entry carries ``seq`` (1, 2, 3 …), ``ts``, ``operator``, ``action``,
``record``, ``changes`` ({field: [old, new]}), optional ``detail``, ``prev`` (hash of the previous entry,
"" for the first) and ``hash`` = sha256 hex of the canonical orjson (sorted keys) of the entry without
``hash``. A batch is appended with one write + fsync under the journal lock. A bulk insert (an import of
new children) is one line with ``inserted`` = {ID number: record}; ``entries`` reads it as one entry per child.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, TypedDict

import orjson

from kbtui.store.errors import StoreError, read_failed, write_failed
from kbtui.store.layout import FILE_MODE
from kbtui.store.owner import keep_owner
from kbtui.store.storage import fsync_dir, locked, make_lock, write_buffers

_TAIL_CHUNK = 64 * 1024
INSERTED = "inserted"       # the key of a bulk insert entry


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


_HASH_TAIL = len(b',"hash":"') + 64 + len(b'"}')


def line_hash(line: bytes) -> str:
    """The hash of a journal line as written: sha256 of the line without its trailing ``,"hash":"…"``
    (the entry is serialised once, hashed, and the hash appended as the last key)."""
    line = line.rstrip(b"\n")
    return hashlib.sha256(line[:-_HASH_TAIL] + b"}").hexdigest()


def _serialise(entry: dict[str, Any]) -> bytes:
    """An entry's line body: keys sorted (``_tx`` first, see ``count_tx``). A bulk insert keeps its records in
    the order given (orjson's sorting of 100,000 keys would cost three times the rest of the line) and puts
    them last, so that one child's entry can be read without parsing the others (``_bulk_entries``)."""
    if INSERTED in entry:
        return orjson.dumps({**dict(sorted((k, v) for k, v in entry.items() if k != INSERTED)),
                             INSERTED: entry[INSERTED]})
    return orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)


_INSERTED_AT = b',"' + INSERTED.encode() + b'":{'
_HASH_AT = b',"hash":"'


def _bulk_entries(line: bytes, record: str) -> list[dict[str, Any]] | None:
    """One child's entries of a bulk insert line without parsing the other children's records (a county's
    import is one ~35 MB line; the child form shows a child's history). None when the line is not laid out
    as ``_serialise`` writes it: the caller parses it whole."""
    start, end = line.find(_INSERTED_AT), line.rfind(_HASH_AT)
    if start < 0 or end < 0 or line[end - 2:end] != b"}}":
        return None
    try:
        head = orjson.loads(line[:start] + line[end:])          # every key but the records
    except orjson.JSONDecodeError:
        return None
    key = orjson.dumps(record) + b":"
    at = line.find(key, start, end)
    if at < 0:
        return []
    rec = _json_value_at(line, at + len(key), end)
    return None if rec is None else list(_expand({**head, INSERTED: {record: rec}}, record))


def _json_value_at(line: bytes, start: int, end: int) -> Any:
    """The JSON value that starts at ``start`` (a record: a few hundred bytes), read through growing windows."""
    decoder = json.JSONDecoder()
    window = 4096
    while True:
        text = line[start:min(end, start + window)].decode("utf-8", errors="ignore")   # a window may cut a character
        try:
            return decoder.raw_decode(text)[0]
        except json.JSONDecodeError:
            if start + window >= end:
                return None
            window *= 4


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


def bulk_insert_entry(operator: str, action: str, records: dict[str, dict[str, Any]],
                      detail: dict[str, Any] | None = None, ts: str | None = None) -> JournalEntry:
    """One entry for many new children (an import): ``inserted`` maps each ID number to its record as stored.

    ``Journal.entries`` reads it back as one entry per child (``record`` = the ID, ``changes`` = every field
    from None), so the audit log, replay and round trips see what single inserts would give; the file holds
    one line and one hash for the whole batch instead of serialising and hashing 100,000 entries.
    """
    entry = make_entry(operator, action, None, None, detail, ts)
    entry[INSERTED] = records  # type: ignore[literal-required]
    return entry



def _expand(entry: dict[str, Any], record: str | None) -> Iterator[dict[str, Any]]:
    """The per-child entries of a bulk insert entry (bookkeeping keys such as ``_v`` are not changes)."""
    inserted = entry.pop(INSERTED)
    items = inserted.items() if record is None else ([(record, inserted[record])] if record in inserted else [])
    for id_number, rec in items:
        yield {**entry, "record": id_number, "changes": {k: [None, v] for k, v in rec.items() if k[:1] != "_"}}


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = make_lock(self.path)
        # (ino, size) of the file when last_seq/last_hash were known
        self._tail_key: tuple[int, int] | None = None
        self._last_seq = 0
        self._last_hash = ""

    # -- writing -------------------------------------------------------------------------------------
    def append(self, entries: Iterable[dict[str, Any]]) -> list[JournalEntry]:
        """Sequence, chain and append ``entries`` in one durable write. Returns the stored entries."""
        pending = list(entries)
        if not pending:
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
                keep_owner(self.path, fd)
                size = self._sync_tail(fd, st)
                seq, prev = self._last_seq, self._last_hash
                stored: list[JournalEntry] = []
                # each line as two buffers: its body without the closing brace, then the hash, brace, newline
                buffers: list[Any] = []
                sha256 = hashlib.sha256
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
                    body = _serialise(entry)
                    entry["hash"] = prev = sha256(body).hexdigest()
                    stored.append(entry)  # type: ignore[arg-type]
                    buffers += (memoryview(body)[:-1], b',"hash":"%s"}\n' % prev.encode())
                try:
                    written = write_buffers(fd, buffers)
                    os.fsync(fd)
                except BaseException as err:    # also an interrupt between two writes: the batch goes whole
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, size)
                        os.fsync(fd)
                    self._tail_key = None
                    if isinstance(err, OSError):
                        raise write_failed(self.path, err) from err
                    raise
                self._last_seq, self._last_hash = seq, prev
                self._tail_key = (st.st_ino, size + written)
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
        window = _TAIL_CHUNK
        while True:
            start = max(0, size - window)
            window *= 2         # a bulk insert line can be tens of MB: no quadratic re-reading
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
                    keep_owner(fh.name, fh.fileno())
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
        """Entries in order, optionally only those of one record and/or one operator. A bulk insert line
        (``bulk_insert_entry``) gives one entry per child, all with the line's ``seq`` and ``hash``."""
        needles = [orjson.dumps(v) for v in (record, operator) if v is not None]
        for line in self._lines():
            if any(n not in line for n in needles):
                continue
            if record is not None and _INSERTED_AT in line:
                found = _bulk_entries(line, record)
                if found is not None:
                    yield from (e for e in found if operator is None or e.get("operator") == operator)
                    continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if operator is not None and entry.get("operator") != operator:
                continue
            if INSERTED in entry:
                yield from _expand(entry, record)
                continue
            if record is not None and entry.get("record") != record:
                continue
            yield entry

    def last_seq(self) -> int:
        """The sequence number of the last complete entry (reads only the tail of the file)."""
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                start = size
                window = _TAIL_CHUNK
                while start > 0:
                    start = max(0, size - window)
                    window *= 2
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
            if line_hash(line) != stored_hash:
                return False, seq, f"日志第 {seq} 条的内容与校验值不符，该条已被修改"
            prev = stored_hash
            expected += 1
        return True, None, f"日志校验通过，共 {expected - 1} 条"
