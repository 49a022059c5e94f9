"""The append-only, hash-chained, signed audit journal (``root/journal/journal.jsonl``).

One JSON line per change. Each entry carries ``seq`` (1, 2, 3 …), ``ts``, ``operator``, ``action``,
``record``, ``changes`` ({field: [old, new]}), optional ``detail``, ``prev`` (hash of the previous entry,
"" for the first) and ``hash`` = sha256 hex of the canonical orjson (sorted keys) of the entry without
``hash``. An entry that changes a child or a collection document also carries ``digest``, the
``record_digest`` of the whole record after the change (``store.consistency`` compares it with the store
files). A batch is appended with one write + fsync under the journal lock; its last line also carries
``mac``, the HMAC of its hash with the journal's key, and the anchor is rewritten with the new head
(``store.signing``). A bulk insert (an import of new children) is one line with ``inserted`` = {ID number:
record}; ``entries`` reads it as one entry per child.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypedDict

import orjson

from kbtui.errors import StoreError
from kbtui.store import signing
from kbtui.store.chain import check_journal
from kbtui.store.errors import read_failed, write_failed
from kbtui.store.journal_lines import (
    HASH_AT,
    INSERTED,
    INSERTED_AT,
    KEY_ACTION,
    SIGNED_TAIL,
    body_end,
    bulk_span,
    line_head,
    lost_key_message,
)
from kbtui.store.json_items import object_items
from kbtui.store.layout import FILE_MODE
from kbtui.store.owner import keep_owner
from kbtui.store.storage import fsync_dir, locked, make_lock, write_buffers

_TAIL_CHUNK = 64 * 1024


class JournalEntry(TypedDict, total=False):
    seq: int
    ts: str
    operator: str
    action: str
    record: str | None
    changes: dict[str, list[Any]]
    detail: dict[str, Any]
    digest: str
    prev: str
    hash: str
    mac: str
    _tx: str                            # the write-ahead transaction it commits (``store.txn``)
    inserted: dict[str, dict[str, Any]]     # a bulk insert's records by ID number (``bulk_insert_entry``)


def now_ts() -> str:
    """Local time, ISO format with seconds."""
    return dt.datetime.now().isoformat(timespec="seconds")


def record_digest(record: dict[str, Any]) -> str:
    """A short cryptographic digest of a stored record (every key, bookkeeping included), the same for
    the dict a writer stores and for the dict read back from the file."""
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def serialise_entry(entry: Mapping[str, Any]) -> bytes:
    """An entry's line body: keys sorted (``_tx`` first, see ``count_tx``). A bulk insert keeps its records in
    the order given (orjson's sorting of 100,000 keys would cost three times the rest of the line) and puts
    them last, so that one child's entry can be read without parsing the others (``_bulk_entries``)."""
    if INSERTED in entry:
        return orjson.dumps({**dict(sorted((k, v) for k, v in entry.items() if k != INSERTED)),
                             INSERTED: entry[INSERTED]})
    return orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)


def _bulk_entries(line: bytes, record: str) -> list[dict[str, Any]] | None:
    """One child's entries of a bulk insert line without parsing the other children's records (a county's
    import is one ~35 MB line; the child form shows a child's history). None when the line is not laid out
    as ``serialise_entry`` writes it: the caller parses it whole."""
    span = bulk_span(line)
    if span is None:
        return None
    start, end = span
    try:
        head = orjson.loads(line[:start] + line[end:])          # every key but the records
    except orjson.JSONDecodeError:
        return None
    key = orjson.dumps(record) + b":"
    at = line.find(key, start, end)
    if at < 0:
        return []
    rec = _json_value_at(line, at + len(key), end)
    return None if rec is None else list(expand_bulk({**head, INSERTED: {record: rec}}, record))


def bulk_records(line: bytes) -> Iterator[tuple[str, dict[str, Any]]]:
    """The (ID number, record) pairs of a bulk insert line, parsed a chunk (~1 MB) at a time instead of the
    whole line at once (the whole 35 MB line parsed would take ~260 MB): ``json_items``. Raises
    ValueError if the line is not laid out as ``serialise_entry`` writes it."""
    span = bulk_span(line)
    if span is None:
        entry = orjson.loads(line)
        records = entry.get(INSERTED) if isinstance(entry, dict) else None
        if not isinstance(records, dict):
            raise ValueError("not a bulk insert line")
        yield from records.items()
        return
    yield from object_items(line, span[0] + len(INSERTED_AT), span[1] - 1)     # inside the records' braces


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
               detail: dict[str, Any] | None = None, ts: str | None = None,
               after: dict[str, Any] | None = None) -> JournalEntry:
    """A journal entry before sequencing (``seq``, ``prev`` and ``hash`` are set by ``append``). ``after``:
    the whole record as stored by the change, kept as its ``record_digest`` (``store.consistency``)."""
    entry: JournalEntry = {
        "ts": ts or now_ts(),
        "operator": operator,
        "action": action,
        "record": record,
        "changes": changes or {},
    }
    if detail:
        entry["detail"] = detail
    if after is not None:
        entry["digest"] = record_digest(after)
    return entry


def bulk_insert_entry(operator: str, action: str, records: dict[str, dict[str, Any]],
                      detail: dict[str, Any] | None = None, ts: str | None = None) -> JournalEntry:
    """One entry for many new children (an import): ``inserted`` maps each ID number to its record as stored.

    ``Journal.entries`` reads it back as one entry per child (``record`` = the ID, ``changes`` = every field
    from None), so the audit log, replay and round trips see what single inserts would give; the file holds
    one line and one hash for the whole batch instead of serialising and hashing 100,000 entries.
    """
    entry = make_entry(operator, action, None, None, detail, ts)
    entry[INSERTED] = records
    return entry



def expand_bulk(entry: dict[str, Any], record: str | None) -> Iterator[dict[str, Any]]:
    """The per-child entries of a bulk insert entry (bookkeeping keys such as ``_v`` are not changes)."""
    inserted = entry.pop(INSERTED)
    items = inserted.items() if record is None else ([(record, inserted[record])] if record in inserted else [])
    for id_number, rec in items:
        yield {**entry, "record": id_number, "changes": {k: [None, v] for k, v in rec.items() if k[:1] != "_"}}


BLOCK = 1 << 20


def read_lines(fd: int, limit: int | None, start_at: int = 0) -> Iterator[bytes]:
    """Complete lines of the file, read a block at a time. A line longer than a block (a bulk insert's, tens
    of MB) is located first and then read in one piece: a buffered reader's readline would hold it twice."""
    base, buf, start = start_at, b"", 0     # buf holds the file from offset ``base``; lines before ``start`` done
    while True:
        nl = buf.find(b"\n", start)
        if nl >= 0:
            if limit is not None and base + nl + 1 > limit:
                return
            yield buf[start:nl + 1]
            start = nl + 1
            continue
        line_start = base + start
        if len(buf) - start > BLOCK:
            scan = base + len(buf)
            while True:
                chunk = os.pread(fd, BLOCK, scan)
                if not chunk:
                    return                  # a torn last line: not a line yet
                at = chunk.find(b"\n")
                if at >= 0:
                    end = scan + at + 1
                    break
                scan += len(chunk)
            if limit is not None and end > limit:
                return
            yield _pread_all(fd, end - line_start, line_start)
            base, buf, start = end, b"", 0
            continue
        chunk = os.pread(fd, BLOCK, base + len(buf))
        if not chunk:
            return
        buf, base, start = buf[start:] + chunk, line_start, 0


def _pread_all(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = os.pread(fd, size - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = make_lock(self.path)
        self.key = signing.JournalKey(signing.key_path(self.path))
        self.head_path = signing.head_path(self.path)
        # (ino, size) of the file when last_seq/last_hash were known
        self._tail_key: tuple[int, int] | None = None
        self._last_seq = 0
        self._last_hash = ""
        self._last_signed = False

    # -- writing -------------------------------------------------------------------------------------
    def append(self, entries: Iterable[JournalEntry]) -> list[JournalEntry]:
        """Sequence, chain, sign and append ``entries`` in one durable write; then move the anchor.
        Returns the stored entries."""
        pending = list(entries)
        if not pending:
            return []
        with locked(self.lock, self.path):
            return self._append_locked(pending)

    def _append_locked(self, pending: list[JournalEntry], key: bytes | None = None) -> list[JournalEntry]:
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
            if key is None:
                key, opening = self._signing_key(size)
            else:
                opening = []
            seq, prev = self._last_seq, self._last_hash
            stored: list[JournalEntry] = []
            # each line as two buffers: its body without the closing brace, then the hash, brace, newline
            buffers: list[Any] = []
            sha256 = hashlib.sha256
            for raw in opening + pending:
                seq += 1
                entry = raw.copy()
                if "seq" in entry or "prev" in entry or "hash" in entry or "mac" in entry:
                    entry.pop("seq", None)
                    entry.pop("prev", None)
                    entry.pop("hash", None)
                    entry.pop("mac", None)
                if "ts" not in entry:
                    entry["ts"] = now_ts()
                entry.setdefault("record", None)
                entry.setdefault("changes", {})
                entry["seq"] = seq
                entry["prev"] = prev
                # one serialisation per entry: the hashed body, with the hash appended as last key
                body = serialise_entry(entry)
                entry["hash"] = prev = sha256(body).hexdigest()
                stored.append(entry)
                buffers += (memoryview(body)[:-1], b',"hash":"%s"}\n' % prev.encode())
            # the batch's last line is signed; the chain carries the signature back to every line before it
            mac = signing.sign_line(key, prev)
            stored[-1]["mac"] = mac
            buffers[-1] = b',"hash":"%s","mac":"%s"}\n' % (prev.encode(), mac.encode())
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
            self._last_seq, self._last_hash, self._last_signed = seq, prev, True
            self._tail_key = (st.st_ino, size + written)
        finally:
            os.close(fd)
        # the entries are durable: the anchor may lag (a crash, a full disk) but must not fail the write
        with contextlib.suppress(OSError):
            signing.write_head(self.head_path, signing.make_head(key, seq, prev))
        if size == 0:
            with contextlib.suppress(OSError):
                fsync_dir(self.path.parent)
        return stored[len(opening):]

    def _signing_key(self, size: int) -> tuple[bytes, list[JournalEntry]]:
        """The key to sign with (under the journal lock), and the entry opening it when signing starts now.

        A folder whose journal was never signed (new, or written before signing existed) gets a key now; one
        whose journal was signed but whose key is gone is refused: a new key there would be how somebody
        without the old one rewrites the journal. The admin decides (``start_signing``)."""
        key = self.key.load()
        if key is not None:
            return key, []
        if self._last_signed or os.path.lexists(self.head_path):
            raise StoreError(lost_key_message(self.key.path))
        key = self.key.create()
        if size == 0:
            return key, []
        return key, [make_entry("系统", KEY_ACTION, None, {}, {
            "kind": "start", "reason": "开始为日志签名：此前的条目写于签名之前，由本条的签名一并担保",
            "previous_seq": self._last_seq, "previous_hash": self._last_hash, "key": signing.key_id(key)})]

    def start_signing(self, operator: str, reason: str) -> JournalEntry:
        """Replace the key by a new one (the old one lost or exposed) and journal that, signed with the new
        key. What came before can from now on be checked by its hash chain only: verification says so."""
        with locked(self.lock, self.path):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
                try:
                    self._sync_tail(fd, os.fstat(fd))       # the head the new key takes over from
                finally:
                    os.close(fd)
            except OSError as err:
                raise write_failed(self.path, err) from err
            previous = self._current_key_id()
            key = self.key.create(replace=True)
            entry = make_entry(operator, KEY_ACTION, None, {}, {
                "kind": "rekey", "reason": reason, "previous_seq": self._last_seq, "previous_hash": self._last_hash,
                "previous_key": previous, "key": signing.key_id(key)})
            return self._append_locked([entry], key)[0]

    def _current_key_id(self) -> str | None:
        """The id of the key in use: from the key file, or (the file lost) from the anchor it signed."""
        with contextlib.suppress(StoreError):
            key = self.key.load()
            if key is not None:
                return signing.key_id(key)
        with contextlib.suppress(StoreError):
            head = signing.parse_head(self.head_path, signing.read_head_bytes(self.head_path))
            if head is not None:
                return head.key
        return None

    def former_keys(self) -> dict[str, int]:
        """Ids of the keys this journal was signed with before a ``start_signing`` -> the line that replaced
        each (a backup signed with one of them is this folder's, made before the key changed)."""
        found: dict[str, int] = {}
        needle = b'"action":' + orjson.dumps(KEY_ACTION)
        for line in self._lines():
            if needle in line:
                with contextlib.suppress(orjson.JSONDecodeError, TypeError, AttributeError):
                    entry = line_head(line)
                    previous = (entry.get("detail") or {}).get("previous_key")
                    if isinstance(previous, str):
                        found[previous] = int(entry["seq"])
        return found

    def ensure_key(self) -> None:
        """Create the key of a journal that has none and was never signed (a new data folder), so that it
        exists from the first open; best effort (a read-only folder simply gets it at its first write)."""
        if self.key.exists() or os.path.lexists(self.head_path):
            return
        with contextlib.suppress(OSError, StoreError):
            with locked(self.lock, self.path):
                if self.key.exists() or (self.path.exists() and self.path.stat().st_size):
                    return          # an unsigned journal with entries: its first append starts signing, journaled
                key = self.key.create()
                signing.write_head(self.head_path, signing.make_head(key, 0, ""))

    def _sync_tail(self, fd: int, st: os.stat_result) -> int:
        """Learn the last seq/hash (cached when the file did not change); cut off a torn last line."""
        size = st.st_size
        if self._tail_key == (st.st_ino, size):
            return size
        if size == 0:
            self._last_seq, self._last_hash, self._last_signed = 0, "", False
            self._tail_key = (st.st_ino, 0)
            return 0
        if self._tail_from_anchor(fd, size):
            self._tail_key = (st.st_ino, size)
            return size
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
                last = line_head(lines[-1])
                self._last_seq, self._last_hash = int(last["seq"]), str(last["hash"])
                self._last_signed = "mac" in last
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
                raise StoreError(f"日志 {self.path} 最后一行已损坏，无法续写，请先运行日志校验") from err
        else:
            self._last_seq, self._last_hash, self._last_signed = 0, "", False
        self._tail_key = (os.fstat(fd).st_ino, size)
        return size

    def _tail_from_anchor(self, fd: int, size: int) -> bool:
        """Learn the last seq/hash from the anchor when the journal ends with the line it records (its hash
        and signature are at the end of the line): the last line after an import of 100,000 children is
        ~35 MB, read and parsed otherwise by the first write of every new process."""
        tail = os.pread(fd, SIGNED_TAIL + 1, size - SIGNED_TAIL - 1) if size > SIGNED_TAIL else b""
        if not tail.endswith(b'"}\n'):
            return False
        line = tail[:-1]
        if body_end(line) != 0:
            return False            # not a signed line's tail (an unsigned one: read it whole)
        try:
            key = self.key.load()
            head = signing.parse_head(self.head_path, signing.read_head_bytes(self.head_path))
        except StoreError:
            return False
        last_hash = line[len(HASH_AT):len(HASH_AT) + 64].decode("ascii", "replace")
        if key is None or head is None or head.hash != last_hash or not head.signed_by(key):
            return False
        self._last_seq, self._last_hash, self._last_signed = head.seq, head.hash, True
        return True

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
    def _lines(self, limit: int | None = None) -> Iterator[bytes]:
        """The complete lines, in order; with ``limit`` only those within its first ``limit`` bytes."""
        for _end, line in self.lines_at(limit):
            yield line

    def lines_at(self, limit: int | None = None, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """(offset just past the line, line) of each complete, non-blank line from byte ``start`` (the start
        of a line) on; with ``limit`` only those within the file's first ``limit`` bytes."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        except OSError as err:
            raise read_failed(self.path, err) from err
        try:
            pos = start
            for line in read_lines(fd, limit, start):
                pos += len(line)
                if len(line) > 256 or line.strip():    # (strip() of a 35 MB line would copy it)
                    yield pos, line
        except OSError as err:
            raise read_failed(self.path, err) from err
        finally:
            os.close(fd)

    def complete_size(self) -> int:
        """The size of the journal up to the end of its last complete line (0 if there is none)."""
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if not size:
                    return 0
                pos = size
                while pos > 0:
                    start = max(0, pos - _TAIL_CHUNK)
                    fh.seek(start)
                    cut = fh.read(pos - start).rfind(b"\n")
                    if cut >= 0:
                        return start + cut + 1
                    pos = start
                return 0
        except FileNotFoundError:
            return 0
        except OSError as err:
            raise read_failed(self.path, err) from err

    def entries(self, record: str | None = None, operator: str | None = None, *,
                since: int | None = None) -> Iterator[dict[str, Any]]:
        """Entries in order, optionally only those of one record and/or one operator, and only those after
        ``since`` (a ``position()``). A bulk insert line (``bulk_insert_entry``) gives one entry per child,
        all with the line's ``seq`` and ``hash``."""
        needles = [orjson.dumps(v) for v in (record, operator) if v is not None]
        for line in self._lines():
            if since is not None and int(line_head(line).get("seq", 0)) <= since:
                continue
            if any(n not in line for n in needles):
                continue
            if record is not None and INSERTED_AT in line:
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
                yield from expand_bulk(entry, record)
                continue
            if record is not None and entry.get("record") != record:
                continue
            yield entry

    def entries_with(self, key: str) -> Iterator[dict[str, Any]]:
        """The entries whose ``detail`` has ``key``, in order (only lines naming the key are parsed)."""
        needle = orjson.dumps(key) + b":"
        for line in self._lines():
            if needle in line:
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if key in (entry.get("detail") or {}):
                    yield entry

    def position(self) -> int:
        """Where the journal is now (the repository contract's position: one chain, its last seq)."""
        return self.last_seq()

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
                            return int(line_head(line)["seq"])
                        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                            continue
        except FileNotFoundError:
            return 0
        except OSError as err:
            raise read_failed(self.path, err) from err
        return 0

    def verify(self) -> tuple[bool, int | None, str]:
        """Check the whole journal -- chain, signatures, anchor (``store.chain``): (ok, seq where it is wrong
        or None, Chinese message)."""
        found = check_journal(self)
        return found.ok, found.seq, found.message
