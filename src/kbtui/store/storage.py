"""Atomic private file writes, file locks and the TinyDB storage used for every store file.

Writes go to a temp file in the same folder, are fsynced, then ``os.replace``d over the target and the
folder is fsynced: a reader (or a crash) sees either the old or the new content, never a mixture.
Reads always open the file by path, so a file replaced by another process is seen at once.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any, Iterator

import orjson
from filelock import FileLock, Timeout
from tinydb.storages import Storage

from kbtui.store.errors import StoreError, read_failed, write_failed
from kbtui.store.layout import FILE_MODE

LOCK_TIMEOUT_S = 60.0
_MISSING = object()

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
        raise StoreError(f"无法锁定 {target}：{read_failed(target, err)}") from err
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: Path, data: bytes) -> Signature:
    """Replace ``path`` by ``data`` atomically and durably; 0600. Returns the new file's signature.

    On failure the previous file is left intact and StoreError (Chinese, naming the file) is raised.
    """
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            _write_all(fd, data)
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


def read_json(path: Path) -> tuple[Any, Signature | None]:
    """Parse ``path`` (opened by path); (None, None) if missing, (None, sig) if empty."""
    try:
        with open(path, "rb") as fh:
            sig = signature_of(os.fstat(fh.fileno()))
            raw = fh.read()
    except FileNotFoundError:
        return None, None
    except OSError as err:
        raise read_failed(path, err) from err
    if not raw.strip():
        return None, sig
    try:
        return orjson.loads(raw), sig
    except orjson.JSONDecodeError as err:
        raise StoreError(f"数据文件 {path} 已损坏，无法读取（{err}），请从备份恢复") from err


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
        if pid == os.getpid() or _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def _pid_alive(pid: int) -> bool:
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
        self.signature: Signature | None = None
        self._depth = 0
        self._cache: Any = _MISSING

    @contextlib.contextmanager
    def session(self) -> Iterator["LockedJSONStorage"]:
        with locked(self.lock, self.path):
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._cache = _MISSING
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._cache = _MISSING

    def _held(self) -> contextlib.AbstractContextManager[None]:
        # inside a session the lock is already ours: skip the (costly) re-entrant acquire
        return contextlib.nullcontext() if self._depth else locked(self.lock, self.path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._depth and self._cache is not _MISSING:
            return self._cache
        with self._held():
            data, sig = read_json(self.path)
        self.signature = sig
        if self._depth:
            self._cache = data
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = orjson.dumps(data)
        with self._held():
            try:
                self.signature = atomic_write(self.path, payload)
            except BaseException:
                self._cache = _MISSING
                raise
        if self._depth:
            self._cache = data

    def close(self) -> None:
        pass
