"""Atomic private file writes, file locks and the TinyDB storage used for every store file.

Writes go to a temp file in the same folder, are fsynced, then ``os.replace``d over the target and the
folder is fsynced: a reader (or a crash) sees either the old or the new content, never a mixture.
Reads always open the file by path, so a file replaced by another process is seen at once, and take no
lock (a read-only data folder can be read; see ``settle_before_reading``).

Journaled writes (every write of the child store and of collections) are write-ahead: inside a session
the storage is put in *deferred* mode, TinyDB's writes only stage the new content in memory, and
``kbtui.store.txn.commit`` then writes each staged file to its fixed pending file ``.<name>.tmp-wal``
(tagged with a transaction id), appends the journal entries (tagged with the same id), and only then
replaces the data files. Whoever next takes the file's lock finds a pending file left by a killed writer
and settles it against the journal (``recover``): installed when all its entries are in the journal,
dropped otherwise. So a change is stored only if it is journaled.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from tinydb.storages import Storage

from kbtui.errors import StoreError
from kbtui.oserrors import os_error_reason
from kbtui.store.errors import read_failed, write_failed
from kbtui.store.layout import FILE_MODE
from kbtui.store.owner import keep_owner

LOCK_TIMEOUT_S = 60.0
MISSING = object()
PENDING_SUFFIX = ".tmp-wal"
TX_KEY = "_tx"          # top-level key of a pending file (and of the installed file): {"id", "n"}

Signature = tuple[int, int, int, int]   # ino, size, mtime_ns, ctime_ns


def signature_of(st: os.stat_result) -> Signature:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_signature(path: Path) -> Signature | None:
    try:
        return signature_of(os.stat(path))
    except FileNotFoundError:
        return None


def make_lock(target: Path) -> FileLock:
    lock_path = str(target) + ".lock"
    try:
        return FileLock(lock_path, timeout=LOCK_TIMEOUT_S, mode=FILE_MODE, preserve_lock_file=True)
    except TypeError:   # older filelock without preserve_lock_file
        return FileLock(lock_path, timeout=LOCK_TIMEOUT_S, mode=FILE_MODE)


@contextlib.contextmanager
def locked(lock: FileLock, target: Path) -> Iterator[None]:
    try:
        lock.acquire()
    except Timeout as err:
        raise StoreError(f"{target} 正被其他操作员写入，等待超时，请稍后再试") from err
    except OSError as err:
        raise StoreError(f"无法锁定 {target}：{os_error_reason(err)}，未作任何修改") from err
    try:
        keep_owner(lock.lock_file)
    except OSError as err:
        lock.release()
        raise StoreError(f"无法锁定 {target}：{os_error_reason(err)}，未作任何修改") from err
    try:
        yield
    finally:
        lock.release()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_buffers(fd: int, buffers: list) -> int:
    """Write the buffers in order: small ones gathered into one write, large ones (a bulk journal line's
    body, tens of MB) written from where they are instead of being copied into a joined whole (joining
    copied a 35 MB line twice). Returns the bytes written."""
    total = 0
    small = bytearray()
    for buffer in buffers:
        total += len(buffer)
        if len(buffer) < _LARGE:
            small += buffer
            continue
        if small:
            write_all(fd, small)
            small = bytearray()
        write_all(fd, buffer)
    if small:
        write_all(fd, small)
    return total


_LARGE = 1 << 20


def atomic_write(path: Path, data: bytes) -> Signature:
    """Replace ``path`` by ``data`` atomically and durably; 0600. Returns the new file's signature.

    On failure the previous file is left intact and StoreError (Chinese, naming the file) is raised.
    """
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            keep_owner(tmp, fd)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
        return signature_of(os.stat(path))
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise write_failed(path, err) from err


def pending_path(path: Path) -> Path:
    """The fixed write-ahead file of ``path`` (one writer at a time holds the lock, so one name suffices)."""
    return path.parent / f".{path.name}{PENDING_SUFFIX}"


def target_of_pending(name: str) -> str | None:
    """``.x.json.tmp-wal`` -> ``x.json`` (None if ``name`` is not a pending file)."""
    if name.startswith(".") and name.endswith(PENDING_SUFFIX):
        return name[1:-len(PENDING_SUFFIX)]
    return None


def read_bytes(path: Path) -> tuple[bytes | None, Signature | None]:
    """The content of ``path`` (opened by path) and its signature; (None, None) if missing."""
    try:
        with open(path, "rb") as fh:
            sig = signature_of(os.fstat(fh.fileno()))
            raw = fh.read()
    except FileNotFoundError:
        return None, None
    except OSError as err:
        raise read_failed(path, err) from err
    return raw, sig


def parse_json(path: Path, raw: bytes | None) -> Any:
    if raw is None or not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise StoreError(f"数据文件 {path} 已损坏，无法读取（{err}），请从备份恢复") from err


def read_json(path: Path) -> tuple[Any, Signature | None]:
    """Parse ``path`` (opened by path); (None, None) if missing, (None, sig) if empty."""
    raw, sig = read_bytes(path)
    return parse_json(path, raw), sig


def content_digest(raw: bytes) -> tuple[int, int]:
    """Cheap identity of a file's content (~0.2 ms for a village file); only compared together with an
    equal file signature (inode, size, mtime, ctime)."""
    return len(raw), zlib.crc32(raw)


def copy_tables(data: Any) -> Any:
    """A copy of a store file's parsed content down to its documents (TinyDB mutates those)."""
    if not isinstance(data, dict):
        return data
    return {name: ({doc_id: (dict(doc) if isinstance(doc, dict) else doc) for doc_id, doc in table.items()}
                   if isinstance(table, dict) else table)
            for name, table in data.items()}


def cleanup_temp_files(folder: Path) -> None:
    """Remove temp files left by killed writers (their process no longer exists)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and ".tmp-" in name):
            continue
        try:
            pid = int(name.rsplit(".tmp-", 1)[1].split("-")[0])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid() or pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LockedJSONStorage(Storage):
    """TinyDB storage: orjson, file lock, re-read by path, atomic durable writes.

    Inside ``session()`` (which holds the lock) the data read once is reused by later reads of the same
    session, so a read-check-write sequence parses the file once; outside a session every read goes to
    disk. ``signature`` is the signature of the file content last read or written by this object.
    """

    def __init__(self, path: str | Path, lock: FileLock | None = None):
        self.path = Path(path)
        self.lock = lock if lock is not None else make_lock(self.path)
        self.pending = pending_path(self.path)
        self.signature: Signature | None = None
        # the journal (kbtui.store.journal.Journal) that pending files are settled against; set by the owner
        self.journal: Any = None
        self._depth = 0
        self._cache: Any = MISSING
        self._deferred = False
        self.staged: Any = MISSING
        # (signature, digest of the content, parsed data) of the file as we last loaded or committed it: a
        # later read that finds the same file with the same bytes (the usual case: nobody else wrote it
        # meanwhile) copies the data instead of parsing the file again (parsing a village file is most of
        # an edit's CPU). The data is shared with the owner's index (read-only); reads hand out copies.
        self._memo: tuple[Signature | None, tuple[int, int], Any] | None = None
        self._pending_memo: tuple[tuple[int, int], Any] | None = None

    @contextlib.contextmanager
    def session(self) -> Iterator[LockedJSONStorage]:
        with locked(self.lock, self.path):
            if self._depth == 0:
                self.recover()
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._cache = MISSING
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._cache = MISSING
                    self._deferred = False
                    self.staged = MISSING

    @contextlib.contextmanager
    def _fresh_lock(self) -> Iterator[None]:
        with locked(self.lock, self.path):
            self.recover()
            yield

    def _held(self) -> contextlib.AbstractContextManager[None]:
        # inside a session the lock is already ours: skip the (costly) re-entrant acquire
        return contextlib.nullcontext() if self._depth else self._fresh_lock()

    # -- write-ahead ---------------------------------------------------------------------------------
    def defer(self) -> None:
        """Inside a session: writes only stage their data until ``kbtui.store.txn.commit``."""
        if not self._depth:
            raise RuntimeError("defer() outside a session")
        self._deferred = True

    def write_pending(self, marker: dict[str, Any]) -> None:
        """Write the staged data, tagged with ``marker``, to the pending file (fsynced, not yet visible)."""
        data = dict(self.staged)
        data[TX_KEY] = marker
        payload = orjson.dumps(data)
        self._pending_memo = (content_digest(payload), data)
        try:
            fd = os.open(self.pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            try:
                os.fchmod(fd, FILE_MODE)
                keep_owner(self.pending, fd)
                write_all(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as err:
            self.discard_pending()
            raise write_failed(self.path, err) from err

    def discard_pending(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.pending)
        self.staged = MISSING
        self._cache = MISSING
        self._pending_memo = None

    def install_pending(self) -> None:
        """Make the pending file the data file (after its journal entries are durable)."""
        memo, self._pending_memo, self._memo = self._pending_memo, None, None
        try:
            os.replace(self.pending, self.path)
            self.signature = signature_of(os.stat(self.path))
        except OSError as err:
            self._cache = MISSING
            raise StoreError(f"写入 {self.path} 失败：{os_error_reason(err)}（修改已记入日志，"
                             f"将在下次打开数据时补写）") from err
        if memo is not None:
            self._memo = (self.signature, *memo)
        self.staged = MISSING

    def recover(self) -> None:
        """Settle a pending file left by a killed writer (call with the lock held)."""
        if self.journal is None or not os.path.exists(self.pending):
            return
        recover_pending(self.path, self.journal)

    def settle_before_reading(self) -> None:
        """Outside a session a read takes no lock (files are replaced atomically: it sees the old or the new
        content, and works on a read-only data folder); only a pending file, maybe left by a killed writer,
        is settled first under the lock. When the lock cannot be had (read-only mount, a writer holding it
        too long) the installed file is read as it is."""
        if self._depth or self.journal is None or not os.path.exists(self.pending):
            return
        with contextlib.suppress(StoreError):
            with self._fresh_lock():
                pass

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._depth and self._cache is not MISSING:
            return self._cache
        self.settle_before_reading()
        raw, sig = read_bytes(self.path)
        memo = self._memo
        if memo is not None and raw is not None and sig == memo[0] and content_digest(raw) == memo[1]:
            data = copy_tables(memo[2])
        else:
            self._memo = None
            data = parse_json(self.path, raw)
        self.signature = sig
        if self._depth:
            self._cache = data
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self._deferred:
            self.staged = data
            self._cache = data
            return
        payload = orjson.dumps(data)
        self._memo = None
        with self._held():
            try:
                self.signature = atomic_write(self.path, payload)
            except BaseException:
                self._cache = MISSING
                raise
        if self._depth:
            self._cache = data

    def remember(self, raw: bytes | None, sig: Signature | None, data: Any) -> None:
        """The owner loaded ``raw`` (signature ``sig``) as ``data`` and keeps ``data`` unchanged (read-only)."""
        self._memo = (sig, content_digest(raw), data) if raw is not None and isinstance(data, dict) else None

    def close(self) -> None:
        pass


def recover_pending(path: Path, journal: Any) -> str:
    """Settle ``path``'s pending file against ``journal`` (caller holds ``path``'s lock).

    All of its transaction's entries in the journal: the change was committed, install it. None: the writer
    died before committing, drop it. Some but not all (the journal append itself was cut short): drop it and
    journal a ``tx.rollback`` entry saying that those entries never took effect. Returns what was done.
    """
    pending = pending_path(path)
    try:
        raw = pending.read_bytes()
    except FileNotFoundError:
        return "none"
    except OSError as err:
        raise read_failed(pending, err) from err
    try:
        marker = orjson.loads(raw)[TX_KEY]
        tx, expected = str(marker["id"]), int(marker["n"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        tx, expected = "", -1       # torn: its journal append had not started
    found = journal.count_tx(tx) if tx else 0
    try:
        if found == expected:
            os.replace(pending, path)
            fsync_dir(path.parent)
            return "installed"
        os.unlink(pending)
        fsync_dir(path.parent)
    except OSError as err:
        raise write_failed(path, err) from err
    if found and not journal.has_rollback(tx):
        journal.rollback(tx, found, expected, path.name)
    return "dropped"
