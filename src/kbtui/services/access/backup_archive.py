"""The backup archive: a gzip'd tar of the data folder with a signed manifest first.

``write_archive`` writes the manifest ``kbtui-backup.json`` (who, when, why, the number of children, the
journal's head, the sha256 of every file) as the first member, then the folders and files under ``data/``.
The manifest is signed with the journal's key (``sign_manifest``): whoever edits a file of a backup and its
checksum in the manifest cannot sign the result without the key, and the journal's head it records is
compared with the live journal by ``audit verify``. The key itself is never put in a backup.

``read_manifest`` reads the first member only (a backup of 100,000 children need not be decompressed to
list it); ``extract`` checks every file against the manifest and reads the archive to its very end, so
that gzip checks its CRC and length trailer: a truncated archive or one flipped byte anywhere is refused,
with a Chinese message saying which.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from kbtui.errors import StoreError
from kbtui.oserrors import os_error_reason
from kbtui.store import layout, signing
from kbtui.store.owner import keep_owner

BACKUPS = "backups"
MANIFEST = "kbtui-backup.json"
PREFIX = "kbtui-backup-"
SUFFIX = ".tar.gz"
FORMAT = 1
DATABASE_DUMP = "kbtui-database.dump"     # a district database's pg_dump, beside the data folder's files


class BackupError(StoreError):
    """A backup that cannot be made or restored (message in Chinese)."""


def list_backups(root: Path) -> list[Path]:
    """Backups in the data folder, oldest first."""
    folder = Path(root) / BACKUPS
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


# --------------------------------------------------------------------------- signing the manifest

def _signed_part(manifest: dict[str, Any]) -> bytes:
    return orjson.dumps({k: v for k, v in manifest.items() if k != "mac"}, option=orjson.OPT_SORT_KEYS)


def sign_manifest(manifest: dict[str, Any], key: bytes) -> None:
    manifest["key"] = signing.key_id(key)
    manifest["mac"] = signing.sign(key, b"backup", _signed_part(manifest))


def manifest_signed_by(manifest: dict[str, Any], key: bytes) -> bool:
    return manifest.get("key") == signing.key_id(key) and signing.signature_ok(
        key, b"backup", _signed_part(manifest), manifest.get("mac"))


# --------------------------------------------------------------------------- writing

def write_archive(path: Path, manifest: dict, dirs: list[PurePosixPath], contents: dict[PurePosixPath, bytes],
                  now: dt.datetime) -> None:
    mtime = int(now.timestamp())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, layout.FILE_MODE)
    with os.fdopen(fd, "wb") as raw:
        keep_owner(path, fd)
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            def add(name: str, data: bytes) -> None:
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), layout.FILE_MODE, mtime
                tar.addfile(info, io.BytesIO(data))

            add(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
            for d in dirs:
                info = tarfile.TarInfo(f"data/{d}")
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, layout.DIR_MODE, mtime
                tar.addfile(info)
            for rel, data in contents.items():
                add(f"data/{rel}", data)
        raw.flush()
        os.fsync(raw.fileno())


# --------------------------------------------------------------------------- reading

def damaged(file: Path, err: BaseException) -> BackupError:
    """The Chinese message for an archive that cannot be read to its end."""
    if isinstance(err, EOFError) or "unexpected end of data" in str(err):
        return BackupError(f"备份文件 {file} 不完整（只有 {_size(file)}，在压缩数据中途就结束了）："
                           "复制或下载时没有传完，"
                           "或备份时被中断；请换一份完整的备份，已停止恢复")
    if "CRC check failed" in str(err) or "Incorrect length" in str(err) or isinstance(err, zlib.error):
        return BackupError(f"备份文件 {file} 已损坏：压缩数据的校验值不符，文件中有字节被改动过；已停止恢复")
    return BackupError(f"{file} 不是 kbtui 备份文件或已损坏（{err}），已停止恢复")


def _size(file: Path) -> str:
    try:
        size = file.stat().st_size
    except OSError:
        return "未知大小"
    return f"{size / (1 << 20):.1f} MB" if size >= 1 << 20 else f"{size} 字节"


_READ_ERRORS = (OSError, EOFError, zlib.error, tarfile.TarError)


def read_manifest(file: Path) -> dict[str, Any]:
    """The manifest of a backup, from its first member."""
    try:
        with tarfile.open(file, "r:gz") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST:
                member = tar.getmember(MANIFEST)
            handle = tar.extractfile(member)
            manifest = orjson.loads(handle.read()) if handle else {}
    except KeyError as err:
        raise BackupError(f"{file} 不是 kbtui 备份文件（没有备份清单）") from err
    except orjson.JSONDecodeError as err:
        raise BackupError(f"{file} 的备份清单已损坏：{err}") from err
    except _READ_ERRORS as err:
        raise damaged(file, err) from err
    if not isinstance(manifest, dict):
        raise BackupError(f"{file} 的备份清单无法识别")
    return manifest


def safe_member(name: str) -> PurePosixPath | None:
    """The path inside the data folder of an archive member ``data/...``, or None if it is not safe."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != "data":
        return None
    rel = PurePosixPath(*path.parts[1:])
    return rel if rel.parts else None


def _private_dir(target: Path) -> None:
    try:
        layout.ensure_private_dir(target)
    except OSError as err:
        raise BackupError(f"创建 {target} 失败：{os_error_reason(err)}，已停止恢复") from err


def _write_private(target: Path, data: bytes) -> None:
    _private_dir(target.parent)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, layout.FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            keep_owner(target, fd)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as err:
        raise BackupError(f"写入 {target} 失败：{os_error_reason(err)}，已停止恢复") from err


def extract(file: Path, staging: Path, manifest: dict[str, Any]) -> None:
    """Extract into ``staging`` (private modes), every file checked against the manifest, the archive read to
    its end (gzip's CRC and length)."""
    expected: dict[str, str] = manifest["files"]
    seen: set[str] = set()
    try:
        with tarfile.open(file, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                rel = safe_member(member.name)
                if rel is None or not (member.isdir() or member.isfile()):
                    raise BackupError(f"备份中的“{member.name}”不安全（绝对路径、.. 或链接），已停止恢复")
                target = staging / rel
                if member.isdir():
                    _private_dir(target)
                    continue
                if str(rel) not in expected:
                    raise BackupError(f"备份中的“{rel}”不在清单里，备份可能被改动过，已停止恢复")
                handle = tar.extractfile(member)
                data = handle.read() if handle else b""
                if hashlib.sha256(data).hexdigest() != expected[str(rel)]:
                    raise BackupError(f"备份中的“{rel}”与清单的校验值不符，备份已损坏或被改动，已停止恢复")
                _write_private(target, data)
                seen.add(str(rel))
            # tar stops at its end-of-archive blocks; gzip checks its CRC and length only at the very end
            while tar.fileobj.read(1 << 20):
                pass
    except BackupError:
        raise
    except _READ_ERRORS as err:
        raise damaged(file, err) from err
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"备份缺少文件：{'、'.join(missing[:5])}，已停止恢复")


__all__ = ["BACKUPS", "BackupError", "DATABASE_DUMP", "FORMAT", "MANIFEST", "PREFIX", "SUFFIX", "damaged", "extract",
           "list_backups", "manifest_signed_by", "read_manifest", "safe_member", "sign_manifest",
           "write_archive"]
