"""The journal's key and anchor: what makes the hash chain prove something to whoever lacks the key.

A hash chain alone proves nothing against someone who can write the journal: they rewrite it from the
changed line on, or cut lines off its end. So:

- the **key** (``journal/journal.key``: 32 random bytes as hex, 0600, owned by the data folder's owner,
  never put in a backup) signs (HMAC-SHA256) the last line of every append; the chain carries that
  signature back to the first line. Lines cannot be changed, inserted or appended without the key.
- the **anchor** (``journal/journal.head``) holds the head of the journal (line count, last hash), signed
  too, rewritten after every append: cutting lines off the end, emptying or deleting the journal no longer
  leaves a journal that verifies. (A copy of an older anchor with the journal cut back to it still does:
  only the backups' heads and the store files' content show that; see ``store.consistency``.)

Each village and collection file keeps the transaction of its last write (``_tx``, written before the
journal append by the write-ahead commit, so it cannot hold the head that append makes); verification
requires that transaction in the journal (``store.consistency``), which ties every file to the journal the
way a copy of the head would. Backups keep the head in their signed manifest.

Whoever can read the key can rewrite everything; see the README, section 修改日志.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson

from kbtui.errors import StoreError
from kbtui.oserrors import os_error_reason
from kbtui.store.layout import FILE_MODE
from kbtui.store.storage import fsync_dir, write_all

KEY_BYTES = 32
HEAD_SIZE = 255           # the anchor is rewritten in place: one short fixed-size record, one sector


def key_path(journal_path: Path) -> Path:
    return journal_path.with_suffix(".key")


def head_path(journal_path: Path) -> Path:
    return journal_path.with_suffix(".head")


def sign(key: bytes, kind: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message``; ``kind`` keeps the signatures of lines, anchors and backups apart."""
    return hmac.digest(key, kind + b"\0" + message, "sha256").hex()


def signature_ok(key: bytes, kind: bytes, message: bytes, mac: object) -> bool:
    return isinstance(mac, str) and hmac.compare_digest(sign(key, kind, message), mac)


def key_id(key: bytes) -> str:
    """A short public name of a key (which key signed a backup or an anchor); reveals nothing of the key."""
    return hashlib.sha256(b"kbtui journal key id\0" + key).hexdigest()[:16]


def sign_line(key: bytes, line_hash: str) -> str:
    return sign(key, b"line", line_hash.encode())


def line_signature_ok(key: bytes, line_hash: str, mac: object) -> bool:
    return signature_ok(key, b"line", line_hash.encode(), mac)


class JournalKey:
    """The key file of one journal. Read when first needed and again whenever the file changed (another
    process may have made a new one, ``Journal.start_signing``). A key file that other users could read or
    replace, or that another user owns, is refused: a signature anybody can make proves nothing."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stat: tuple[int, int, int, int] | None = None
        self._key: bytes | None = None

    def load(self) -> bytes | None:
        """The key, or None when there is no key file. StoreError if the file cannot be trusted or read."""
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            self._stat = self._key = None
            return None
        except OSError as err:
            raise StoreError(f"无法读取日志签名密钥 {self.path}：{os_error_reason(err)}") from err
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if stamp == self._stat and self._key is not None:
            return self._key
        _refuse_unsafe(self.path, st)
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                raw = os.read(fd, 4 * KEY_BYTES)
            finally:
                os.close(fd)
        except OSError as err:
            raise StoreError(f"无法读取日志签名密钥 {self.path}：{os_error_reason(err)}") from err
        try:
            key = bytes.fromhex(raw.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise StoreError(f"日志签名密钥 {self.path} 已损坏（应为 {2 * KEY_BYTES} 位十六进制数），"
                             "日志无法校验签名，也不能续写；如密钥确已丢失，请由镇管理员运行 kbtui audit rekey")
        self._stat, self._key = stamp, key
        return key

    def create(self, *, replace: bool = False) -> bytes:
        """Make a new key file and return the key. Never over an existing key unless ``replace``
        (``Journal.start_signing`` for a key that was lost or exposed): then the new file is renamed over
        the old one, so a reader sees one key or the other."""
        return self.install(secrets.token_bytes(KEY_BYTES), replace=replace)

    def install(self, key: bytes, *, replace: bool = False) -> bytes:
        """Write ``key`` as the key file (a restore puts back the key of the folder a backup came from):
        0600, owned by whoever owns the journal folder (when run as root, so that the service account can
        still read it). An existing key file is kept (and returned) unless ``replace``."""
        target = (self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
                  if replace else self.path)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        except FileExistsError:
            loaded = self.load()
            if loaded is None:
                raise StoreError(f"无法创建日志签名密钥 {self.path}") from None
            return loaded
        except OSError as err:
            raise StoreError(f"无法创建日志签名密钥 {self.path}：{os_error_reason(err)}，未作任何修改") from err
        try:
            try:
                os.fchmod(fd, FILE_MODE)
                if os.geteuid() == 0:
                    folder = os.stat(self.path.parent)
                    os.fchown(fd, folder.st_uid, folder.st_gid)
                write_all(fd, key.hex().encode("ascii") + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            if replace:
                os.replace(target, self.path)
            fsync_dir(self.path.parent)
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(target)
            raise StoreError(f"无法创建日志签名密钥 {self.path}：{os_error_reason(err)}，未作任何修改") from err
        self._stat = None
        return self.load() or key

    def exists(self) -> bool:
        return os.path.lexists(self.path)


def _refuse_unsafe(path: Path, st: os.stat_result) -> None:
    import stat as stat_mod

    if not stat_mod.S_ISREG(st.st_mode):
        raise StoreError(f"日志签名密钥 {path} 不是普通文件（可能是链接），为免签名被伪造已停止")
    mode = st.st_mode & 0o777
    if mode & 0o077:
        raise StoreError(f"日志签名密钥 {path} 的权限为 {mode:04o}，其他用户可以读取或替换它，签名因此不可信；"
                         f"请运行 chmod 600 {path}，并考虑由镇管理员运行 kbtui audit rekey 更换密钥")
    euid = os.geteuid()
    if euid != 0 and st.st_uid != euid:
        raise StoreError(f"日志签名密钥 {path} 不属于运行 kbtui 的用户（用户号 {st.st_uid}，应为 {euid}），"
                         "签名因此不可信，已停止")


# --------------------------------------------------------------------------- the anchor

@dataclass(frozen=True)
class Head:
    """The journal's head as the anchor records it."""
    seq: int
    hash: str
    key: str          # key_id of the key that signed it
    mac: str

    def message(self) -> bytes:
        return f"{self.seq}:{self.hash}:{self.key}".encode()

    def signed_by(self, key: bytes) -> bool:
        return self.key == key_id(key) and signature_ok(key, b"head", self.message(), self.mac)


def make_head(key: bytes, seq: int, last_hash: str) -> Head:
    kid = key_id(key)
    return Head(seq, last_hash, kid, sign(key, b"head", f"{seq}:{last_hash}:{kid}".encode()))


def write_head(path: Path, head: Head) -> None:
    """Rewrite the anchor in place (one short record: a torn write is not a worry). Not fsynced: the journal
    lines it points to are; after a power cut the anchor may be one append behind, which verification
    accepts because the lines after it are signed."""
    record = orjson.dumps({"seq": head.seq, "hash": head.hash, "key": head.key, "mac": head.mac})
    data = record.ljust(HEAD_SIZE) + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        st = os.fstat(fd)
        if (st.st_mode & 0o777) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        if os.geteuid() == 0 and st.st_uid == 0:
            folder = os.stat(path.parent)
            if folder.st_uid != 0:
                os.fchown(fd, folder.st_uid, folder.st_gid)
        os.pwrite(fd, data, 0)
        if st.st_size > len(data):
            os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


class HeadUnreadable(StoreError):
    """The anchor file exists but is not an anchor (message in Chinese)."""


def parse_head(path: Path, raw: bytes | None) -> Head | None:
    """The anchor from the file's bytes (None: no anchor file); HeadUnreadable if it is not one."""
    if raw is None:
        return None
    try:
        data = orjson.loads(raw)
        head = Head(int(data["seq"]), str(data["hash"]), str(data["key"]), str(data["mac"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise HeadUnreadable(f"锚点文件 {path} 已损坏或被改动，无法读取") from err
    if head.seq < 0:
        raise HeadUnreadable(f"锚点文件 {path} 已损坏或被改动（条数为负）")
    return head


def read_head_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(4 * HEAD_SIZE)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise StoreError(f"无法读取锚点文件 {path}：{os_error_reason(err)}") from err


__all__ = ["Head", "HeadUnreadable", "JournalKey", "head_path", "key_id", "key_path", "line_signature_ok",
           "make_head", "parse_head", "read_head_bytes", "sign", "sign_line", "signature_ok", "write_head"]
