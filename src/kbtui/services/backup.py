"""Backups of a data folder and their restoration.

``create_backup(workspace)`` writes ``<data>/backups/kbtui-backup-YYYYMMDD-HHMMSS.tar.gz``: every file of the
data folder (store, journal, attachments, exports, rejects, profile, operators) except the backups
themselves, lock files and temp files, plus a manifest ``kbtui-backup.json`` (who, when, why, the number of
children, the journal's last entry, and the sha256 of every file). It is taken while holding every store
lock (village files, collections, journal, operators), so the copy is one consistent moment. The last
``keep`` backups are kept.

``before(workspace, reason)`` is the automatic backup taken before an import or a ledger round-trip
(by any operator allowed to import; no backup permission needed).

``restore_backup(file, into)`` extracts into a new folder next to ``into``, checks every file against the
manifest, the journal chain and the number of children, and only then renames it to ``into``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import secrets
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import orjson

from kbtui.domain import roles as R
from kbtui.oserrors import os_error_reason
from kbtui.services import gate, operators
from kbtui.store import ChildStore, Journal, StoreError
from kbtui.store import layout
from kbtui.store.journal import make_entry
from kbtui.store.storage import fsync_dir, locked, make_lock

BACKUPS = "backups"
MANIFEST = "kbtui-backup.json"
PREFIX = "kbtui-backup-"
SUFFIX = ".tar.gz"
DEFAULT_KEEP = 10
FORMAT = 1


class BackupError(StoreError):
    """A backup that cannot be made or restored (message in Chinese)."""


@dataclass
class BackupInfo:
    path: Path
    manifest: dict[str, Any]
    removed: list[Path] = field(default_factory=list)

    @property
    def children(self) -> int:
        return int(self.manifest.get("children", 0))

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "created": self.manifest.get("created"),
                "reason": self.manifest.get("reason"), "operator": self.manifest.get("operator"),
                "children": self.children, "journal_entries": self.manifest.get("journal", {}).get("entries"),
                "files": len(self.manifest.get("files", {})), "size": self.path.stat().st_size,
                "removed": [str(p) for p in self.removed]}


# --------------------------------------------------------------------------- what goes in

def _excluded(rel: PurePosixPath) -> bool:
    if rel.parts and rel.parts[0] == BACKUPS:
        return True
    name = rel.name
    return name.endswith(".lock") or (name.startswith(".") and ".tmp-" in name)


def _data_files(root: Path) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """(folders, files) of the data folder to back up, relative, sorted."""
    dirs: list[PurePosixPath] = []
    files: list[PurePosixPath] = []
    for here, subdirs, names in os.walk(root):
        rel_here = PurePosixPath(Path(here).relative_to(root).as_posix())
        base = () if str(rel_here) == "." else rel_here.parts
        subdirs.sort()
        if base and base[0] == BACKUPS:
            subdirs[:] = []          # the backups folder itself is kept (empty), never its content
            continue
        dirs.extend(PurePosixPath(*base, d) for d in subdirs)
        for name in sorted(names):
            rel = PurePosixPath(*base, name)
            full = os.path.join(here, name)
            if not _excluded(rel) and os.path.isfile(full) and not os.path.islink(full):
                files.append(rel)
    return dirs, files


def _lock_targets(root: Path) -> list[Path]:
    """Files whose locks make the copy consistent, in the order writers take them (village files, then
    collections, then the journal), so that a backup never deadlocks with a writer."""
    targets: list[Path] = []
    for folder in (layout.children_dir(root), layout.collections_dir(root)):
        with contextlib.suppress(FileNotFoundError):
            targets += sorted(folder / n for n in os.listdir(folder) if layout.is_data_file(n))
    targets.append(layout.journal_path(root))
    targets.append(operators.operators_path(root))
    return targets


@contextlib.contextmanager
def _all_locks(root: Path) -> Iterator[set[Path]]:
    with contextlib.ExitStack() as stack:
        held: set[Path] = set()
        for target in _lock_targets(root):
            stack.enter_context(locked(make_lock(target), target))
            held.add(target)
        yield held


def _children_in(shard_bytes: list[bytes]) -> int:
    ids: set[str] = set()
    for raw in shard_bytes:
        if not raw.strip():
            continue
        table = (orjson.loads(raw) or {}).get("_default") or {}
        ids.update(r.get("id_number") for r in table.values() if isinstance(r.get("id_number"), str))
    return len(ids)


def _journal_tail(data: bytes) -> dict[str, Any]:
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    if not lines:
        return {"entries": 0, "last_hash": ""}
    last = orjson.loads(lines[-1])
    return {"entries": int(last.get("seq", len(lines))), "last_hash": last.get("hash", "")}


# --------------------------------------------------------------------------- creating

def backups_dir(root: Path) -> Path:
    path = Path(root) / BACKUPS
    layout.ensure_private_dir(path)
    return path


def list_backups(root: Path) -> list[Path]:
    """Backups in the data folder, oldest first."""
    folder = Path(root) / BACKUPS
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _keep_setting(workspace) -> int:
    with contextlib.suppress(Exception):
        value = int(workspace.profile.section("backup").get("keep", DEFAULT_KEEP))
        if value > 0:
            return value
    return DEFAULT_KEEP


def create_backup(workspace, keep: int | None = None, reason: str = "手动备份", *, automatic: bool = False,
                  now: dt.datetime | None = None) -> BackupInfo:
    """Write a dated compressed copy of the data folder and keep the last ``keep`` ones."""
    operator = gate.operator_of(workspace)
    if not automatic:
        gate.require(workspace, R.BACKUP, "备份数据")
    keep = keep if keep is not None else _keep_setting(workspace)
    if keep < 1:
        raise BackupError("保留份数至少为 1")
    root = Path(workspace.root)
    folder = backups_dir(root)
    now = now or dt.datetime.now()
    stamp = now.strftime("%Y%m%d-%H%M%S") + ("-auto" if automatic else "")
    target = folder / f"{PREFIX}{stamp}{SUFFIX}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{PREFIX}{stamp}-{n}{SUFFIX}"
    tmp = folder / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    login = operator.login if operator else str(getattr(workspace, "operator", ""))
    try:
        with _all_locks(root) as held:
            dirs, files = _data_files(root)
            data_dirs = {layout.children_dir(root), layout.collections_dir(root)}
            # a village file created after the locks were taken belongs to a write still waiting for the
            # journal: leave it out, as its journal entry is not in this copy either
            files = [f for f in files if (root / f).parent not in data_dirs or (root / f) in held]
            contents: dict[PurePosixPath, bytes] = {}
            for rel in files:
                try:
                    contents[rel] = (root / rel).read_bytes()
                except OSError as err:
                    raise BackupError(f"读取 {root / rel} 失败：{os_error_reason(err)}，未生成备份") from err
        children_dir = PurePosixPath(layout.children_dir(root).relative_to(root).as_posix())
        journal_rel = PurePosixPath(layout.journal_path(root).relative_to(root).as_posix())
        manifest = {
            "format": FORMAT,
            "created": now.isoformat(timespec="seconds"),
            "operator": login,
            "reason": reason,
            "automatic": automatic,
            "profile": workspace.meta.get("profile") if hasattr(workspace, "meta") else None,
            "children": _children_in([b for r, b in contents.items() if r.parent == children_dir]),
            "journal": _journal_tail(contents.get(journal_rel, b"")),
            "dirs": [str(d) for d in dirs],
            "files": {str(r): hashlib.sha256(b).hexdigest() for r, b in contents.items()},
        }
        _write_archive(tmp, manifest, dirs, contents, now)
        os.replace(tmp, target)
        fsync_dir(folder)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BackupError(f"写入备份 {target} 失败：{os_error_reason(err)}（未留下不完整的备份）") from err
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    removed = prune(root, keep)
    gate.raw_store(workspace).journal.append([make_entry(
        login, "backup", None, {},
        {"file": target.name, "reason": reason, "children": manifest["children"], "automatic": automatic})])
    return BackupInfo(target, manifest, removed)


def _write_archive(path: Path, manifest: dict, dirs: list[PurePosixPath], contents: dict[PurePosixPath, bytes],
                   now: dt.datetime) -> None:
    mtime = int(now.timestamp())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, layout.FILE_MODE)
    with os.fdopen(fd, "wb") as raw:
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


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns the deleted paths."""
    found = list_backups(root)
    removed = found[:-keep] if len(found) > keep else []
    for path in removed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return removed


def before(workspace, reason: str) -> BackupInfo:
    """Guard of an import or a ledger round-trip: refuses (AccessDenied) an operator whose role may not
    import, then takes the automatic backup (no backup permission needed)."""
    gate.require(workspace, R.IMPORT, "导入")
    return create_backup(workspace, reason=f"自动备份：{reason}", automatic=True)


# --------------------------------------------------------------------------- restoring

@dataclass
class RestoreReport:
    into: Path
    manifest: dict[str, Any]
    children: int
    journal_entries: int
    files: int

    def as_dict(self) -> dict[str, Any]:
        return {"into": str(self.into), "children": self.children, "journal_entries": self.journal_entries,
                "files": self.files, "created": self.manifest.get("created"),
                "operator": self.manifest.get("operator"), "reason": self.manifest.get("reason")}


def _safe_member(name: str) -> PurePosixPath | None:
    """The path inside the data folder of an archive member ``data/...``, or None if it is not safe."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != "data":
        return None
    rel = PurePosixPath(*path.parts[1:])
    return rel if rel.parts else None


def read_manifest(file: Path) -> dict[str, Any]:
    try:
        with tarfile.open(file, "r:gz") as tar:
            member = tar.getmember(MANIFEST)
            handle = tar.extractfile(member)
            return orjson.loads(handle.read()) if handle else {}
    except (OSError, tarfile.TarError, KeyError, orjson.JSONDecodeError) as err:
        raise BackupError(f"{file} 不是 kbtui 备份文件或已损坏：{err}") from err


def restore_backup(file: Path | str, into: Path | str, operator: str | None = None) -> RestoreReport:
    """Restore a backup into an empty (or new) folder and verify it; the folder appears only when whole."""
    file, into = Path(file), Path(into)
    if not file.is_file():
        raise BackupError(f"备份文件 {file} 不存在")
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise BackupError(f"恢复目标 {into} 不是空目录，为免覆盖数据已停止；请指定一个新的或空的目录")
    manifest = read_manifest(file)
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{file} 的备份清单无法识别")
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = into.parent / f".{into.name}.restoring-{secrets.token_hex(4)}"
    layout.ensure_private_dir(staging)
    try:
        _extract(file, staging, manifest)
        report = _verify(staging, manifest, operator)
        if into.exists():
            into.rmdir()
        os.replace(staging, into)
        fsync_dir(into.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.into = into
    return report


def _extract(file: Path, staging: Path, manifest: dict[str, Any]) -> None:
    expected: dict[str, str] = manifest["files"]
    seen: set[str] = set()
    try:
        with tarfile.open(file, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                rel = _safe_member(member.name)
                if rel is None or not (member.isdir() or member.isfile()):
                    raise BackupError(f"备份中的“{member.name}”不安全（绝对路径、.. 或链接），已停止恢复")
                target = staging / rel
                if member.isdir():
                    layout.ensure_private_dir(target)
                    continue
                if str(rel) not in expected:
                    raise BackupError(f"备份中的“{rel}”不在清单里，备份可能被改动过，已停止恢复")
                handle = tar.extractfile(member)
                data = handle.read() if handle else b""
                if hashlib.sha256(data).hexdigest() != expected[str(rel)]:
                    raise BackupError(f"备份中的“{rel}”与清单的校验值不符，备份已损坏或被改动，已停止恢复")
                try:
                    layout.ensure_private_dir(target.parent)
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, layout.FILE_MODE)
                    with os.fdopen(fd, "wb") as out:
                        out.write(data)
                        out.flush()
                        os.fsync(out.fileno())
                except OSError as err:
                    raise BackupError(f"恢复到 {staging.parent} 失败：{os_error_reason(err)}，已停止恢复"
                                      "（未留下不完整的目录）") from err
                seen.add(str(rel))
    except (OSError, tarfile.TarError) as err:
        why = os_error_reason(err) if isinstance(err, OSError) else err
        raise BackupError(f"读取备份 {file} 失败：{why}") from err
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"备份缺少文件：{'、'.join(missing[:5])}，已停止恢复")


def _verify(folder: Path, manifest: dict[str, Any], operator: str | None) -> RestoreReport:
    meta_path = folder / "meta.json"
    meta = orjson.loads(meta_path.read_bytes()) if meta_path.exists() else {}
    # restoring hands over every child of the township: only who may back up (in that data) may restore
    who = operators.resolve_operator(folder, operator, meta)
    if not who.role_info.may(R.BACKUP):
        raise operators.AccessDenied(f"您的角色（{who.role}）不能恢复备份")
    journal = Journal(layout.journal_path(folder))
    ok, seq, message = journal.verify()
    if not ok:
        raise BackupError(f"恢复后的日志校验失败：{message}（第 {seq} 条）")
    entries = journal.last_seq()
    want = manifest.get("journal", {})
    if entries != want.get("entries"):
        raise BackupError(f"恢复后的日志有 {entries} 条，备份清单记载 {want.get('entries')} 条")
    store = ChildStore.open(folder)
    if len(store) != manifest.get("children"):
        raise BackupError(f"恢复后有 {len(store)} 名儿童，备份清单记载 {manifest.get('children')} 名")
    return RestoreReport(folder, manifest, len(store), entries, len(manifest["files"]))


__all__ = ["BackupError", "BackupInfo", "RestoreReport", "before", "create_backup", "list_backups", "prune",
           "read_manifest", "restore_backup"]
