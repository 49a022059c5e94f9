"""Backups of a data folder and their restoration.

``create_backup(workspace)`` writes ``<data>/backups/kbtui-backup-YYYYMMDD-HHMMSS.tar.gz``: every file of the
data folder (store, journal, attachments, exports, rejects, profile, operators) except the backups
themselves, the journal's key, lock files and temp files, plus a manifest signed with the journal's key
(``backup_archive``). It is taken while holding every store lock (village files, collections, journal,
operators), so the copy is one consistent moment. The last ``keep`` backups are kept. One backup runs at a
time (the lock of the backups folder), so a temp file found there is one a killed backup left: each backup
removes them.

``before(workspace, reason)`` is the automatic backup taken before an import or a ledger round-trip
(by any operator allowed to import; no backup permission needed).

``restore_backup(file, into)`` extracts into a private staging folder next to ``into`` (removed on any
failure; one a killed restore left is removed by the next restore), checks every file against the manifest
and the manifest's signature, reads the archive to its end, verifies the restored journal and that the
restored store agrees with it (``store.consistency``), the number of children, and only then renames the
staging folder to ``into``. The key of the folder the backup came from is copied along, so the restored
journal goes on being signed with it.

On a district database (``store.postgres``) the same archive holds the database's pg_dump
(``DATABASE_DUMP``, taken by the administrator's login in one snapshot with the chains' heads and counts)
beside the data folder's own files, and the manifest is signed with the database's journal key (read by that
login; never in the archive). Its restore checks the archive the same way, then ``store.postgres.dump``
stages, verifies and swaps the database in whole; the folder's files go to ``into`` as above. The automatic
backup before an import is taken there when the service account is given the administrator's login
(``configured_admin_url``: ~3 s at 100,000 children on a local server); the application's own roles cannot
read the whole database or its key.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from kbtui.domain import roles as R
from kbtui.errors import StoreError
from kbtui.excel.saving import output_problem
from kbtui.oserrors import os_error_reason
from kbtui.services.access import audit, gate, operators
from kbtui.services.access.backup_archive import (
    BACKUPS,
    DATABASE_DUMP,
    FORMAT,
    PREFIX,
    SUFFIX,
    BackupError,
    extract,
    list_backups,
    manifest_signed_by,
    read_manifest,
    sign_manifest,
    write_archive,
)
from kbtui.store import ChildStore, Journal, backends, hints, layout, signing
from kbtui.store.consistency import check_store
from kbtui.store.journal import make_entry
from kbtui.store.journal_lines import line_head
from kbtui.store.owner import keep_owner
from kbtui.store.snapshot import all_locks
from kbtui.store.storage import atomic_write, fsync_dir, locked, make_lock, pid_alive
from kbtui.user_paths import input_problem

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

DEFAULT_KEEP = 10
STAGING = ".restoring-"          # .<into>.restoring-<pid>-<random>: a restore's private staging folder
_OLD_STAGING_AGE_S = 3600        # staging folders of older versions carry no pid: stale after an hour
UNSIGNED = "备份没有签名（由旧版本的 kbtui 生成）：只核对了文件校验值、哈希链和数据与日志是否一致"


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
                "store": self.manifest.get("store", backends.TINYDB), "damaged": self.manifest.get("damaged"),
                "removed": [str(p) for p in self.removed]}


# --------------------------------------------------------------------------- what goes in

def _excluded(rel: PurePosixPath, key_rel: PurePosixPath) -> bool:
    if rel.parts and rel.parts[0] in (BACKUPS, layout.CACHE_DIR) or str(rel) == DATABASE_DUMP:
        return True
    name = rel.name
    return rel == key_rel or name.endswith(".lock") or (name.startswith(".") and ".tmp-" in name) \
        or name == hints.HINT_FILE          # a cache of which keys each file holds (rebuilt when missing)


def _data_files(root: Path) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """(folders, files) of the data folder to back up, relative, sorted."""
    key_rel = PurePosixPath(signing.key_path(layout.journal_path(root)).relative_to(root).as_posix())
    dirs: list[PurePosixPath] = []
    files: list[PurePosixPath] = []
    for here, subdirs, names in os.walk(root):
        rel_here = PurePosixPath(Path(here).relative_to(root).as_posix())
        base = () if str(rel_here) == "." else rel_here.parts
        subdirs.sort()
        if not base:                 # the derived counts are made again after a restore
            subdirs[:] = [d for d in subdirs if d != layout.CACHE_DIR]
        if base and base[0] == BACKUPS:
            subdirs[:] = []          # the backups folder itself is kept (empty), never its content
            continue
        dirs.extend(PurePosixPath(*base, d) for d in subdirs)
        for name in sorted(names):
            rel = PurePosixPath(*base, name)
            full = os.path.join(here, name)
            if not _excluded(rel, key_rel) and os.path.isfile(full) and not os.path.islink(full):
                files.append(rel)
    return dirs, files


def _children_in(shard_bytes: list[bytes]) -> int:
    ids: set[str] = set()
    for raw in shard_bytes:
        if not raw.strip():
            continue
        table = (orjson.loads(raw) or {}).get("_default") or {}
        ids.update(r.get("id_number") for r in table.values() if isinstance(r.get("id_number"), str))
    return len(ids)


def _journal_tail(data: bytes) -> dict[str, Any]:
    end = data.rstrip(b"\n").rfind(b"\n")
    last = data[end + 1:].strip()
    if not last:
        return {"entries": 0, "last_hash": ""}
    head = line_head(last)
    return {"entries": int(head["seq"]), "last_hash": head.get("hash", "")}


# --------------------------------------------------------------------------- creating

def backups_dir(root: Path) -> Path:
    path = Path(root) / BACKUPS
    layout.ensure_private_dir(path)
    return path


def _backups_lock(folder: Path):
    """Held by a backup from its first file to its pruning: one backup at a time per data folder."""
    return make_lock(folder / ".kbtui-backups")


def _remove_stale_temps(folder: Path) -> None:
    """Temp files of backups killed while writing (the backups lock is held: no backup is writing now)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith("." + PREFIX) and f"{SUFFIX}.tmp-" in entry.name:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _keep_setting(workspace: Workspace) -> int:
    keep = workspace.profile.settings.backup_keep
    return keep if keep is not None else DEFAULT_KEEP


def create_backup(workspace: Workspace, keep: int | None = None, reason: str = "手动备份", *, automatic: bool = False,
                  now: dt.datetime | None = None, admin_url: str | None = None) -> BackupInfo:
    """Write a dated compressed copy of the data folder (and of its database, on a district database) and keep
    the last ``keep`` ones. ``admin_url``: the database administrator's login (else the configured one)."""
    operator = gate.operator_of(workspace)
    if not automatic:
        gate.require(workspace, R.BACKUP, "备份数据")
    store = gate.raw_store(workspace)
    database = backends.backend_kind(store) != backends.TINYDB
    admin = (admin_url or configured_admin_url(workspace) or str(getattr(store, "url", ""))) if database else None
    keep = keep if keep is not None else _keep_setting(workspace)
    if keep < 1:
        raise BackupError("保留份数至少为 1")
    root = Path(workspace.root)
    folder = backups_dir(root)
    login = operator.login if operator else str(getattr(workspace, "operator", ""))
    with locked(_backups_lock(folder), folder):
        _remove_stale_temps(folder)
        now = now or dt.datetime.now()
        stamp = now.strftime("%Y%m%d-%H%M%S") + ("-auto" if automatic else "")
        target = folder / f"{PREFIX}{stamp}{SUFFIX}"
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{PREFIX}{stamp}-{n}{SUFFIX}"
        tmp = folder / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            if admin is not None:
                dirs, contents, key, facts = _database_copy(root, admin, tmp)
            else:
                dirs, contents, key, facts = _folder_copy(root, store.journal)
            manifest = {
                "format": FORMAT,
                "created": now.isoformat(timespec="seconds"),
                "operator": login,
                "reason": reason,
                "automatic": automatic,
                "profile": workspace.meta.get("profile") if hasattr(workspace, "meta") else None,
                **facts,
                "dirs": [str(d) for d in dirs],
                "files": {str(r): hashlib.sha256(b).hexdigest() for r, b in contents.items()},
            }
            if key is not None:
                sign_manifest(manifest, key)
            write_archive(tmp, manifest, dirs, contents, now)
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
        removed = _prune(folder, keep)
    store.journal.append([make_entry(
        login, "backup", None, {},
        {"file": target.name, "reason": reason, "children": manifest["children"], "automatic": automatic})])
    return BackupInfo(target, manifest, removed)


Copy = tuple[list[PurePosixPath], dict[PurePosixPath, bytes], "bytes | None", dict[str, Any]]


def _read_files(root: Path, files: list[PurePosixPath]) -> dict[PurePosixPath, bytes]:
    contents: dict[PurePosixPath, bytes] = {}
    for rel in files:
        try:
            contents[rel] = (root / rel).read_bytes()
        except OSError as err:
            raise BackupError(f"读取 {root / rel} 失败：{os_error_reason(err)}，未生成备份") from err
    return contents


def _folder_copy(root: Path, journal: Journal) -> Copy:
    """The data folder's files at one moment (every store lock held), its key and what the manifest says."""
    with all_locks(root, [operators.operators_path(root)]) as held:
        dirs, files = _data_files(root)
        data_dirs = set(layout.data_dirs(root))
        # a village file created after the locks were taken belongs to a write still waiting for the
        # journal: leave it out, as its journal entry is not in this copy either
        files = [f for f in files if (root / f).parent not in data_dirs or (root / f) in held]
        contents = _read_files(root, files)
        key = journal.key.load()
    children_dir = PurePosixPath(layout.children_dir(root).relative_to(root).as_posix())
    journal_rel = PurePosixPath(layout.journal_path(root).relative_to(root).as_posix())
    return dirs, contents, key, {
        "children": _children_in([b for r, b in contents.items() if r.parent == children_dir]),
        "journal": _journal_tail(contents.get(journal_rel, b""))}


def _database_copy(root: Path, admin: str, tmp: Path) -> Copy:
    """The database's pg_dump (one snapshot, with its heads and counts) and the data folder's own files
    (profile, operators, exports, attachments, rejects); the database's key signs the manifest."""
    from kbtui.store.postgres import dump  # heavy: imported where used (psycopg, only in district mode)

    dump_tmp = tmp.with_name(tmp.name + ".dump")
    try:
        state = dump.dump(admin, dump_tmp)
        database = dump_tmp.read_bytes()
    finally:
        with contextlib.suppress(OSError):
            dump_tmp.unlink()
    path = operators.operators_path(root)
    with locked(make_lock(path), path):
        dirs, files = _data_files(root)
        contents = _read_files(root, files)
    contents[PurePosixPath(DATABASE_DUMP)] = database
    return dirs, contents, state.key, {
        "store": backends.POSTGRESQL, "database": state.as_manifest(), "children": state.children,
        "journal": {"entries": state.entries, "last_hash": ""}}


def export_key(workspace: Workspace, path: Path | str, admin_url: str | None = None) -> str:
    """Write the district database's journal key to ``path`` (a new file, 0600) for safekeeping away from the
    server: with it a restore into a new database (the server lost) checks the backup's signature and keeps
    the journal's signatures. Returns the key's public id."""
    from kbtui.store.postgres import dump  # heavy: imported where used (psycopg, only in district mode)

    gate.require(workspace, R.BACKUP, "导出签名密钥")
    store = gate.raw_store(workspace)
    if backends.backend_kind(store) == backends.TINYDB:
        raise BackupError("本数据目录的数据不在数据库中：它的签名密钥就是 journal/journal.key，请直接另存该文件")
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} 已存在，未覆盖；请指定一个新文件")
    if not path.parent.is_dir():
        raise BackupError(f"文件夹 {path.parent} 不存在")
    key = dump.database_key(admin_url or configured_admin_url(workspace) or str(getattr(store, "url", "")))
    signing.JournalKey(path).install(key)
    login = gate.operator_of(workspace)
    store.journal.append([make_entry(login.login if login else str(workspace.operator), "key.export", None, {},
                                     {"key": signing.key_id(key)})])
    return signing.key_id(key)


def configured_admin_url(workspace: Workspace) -> str | None:
    """The administrator's URL the service account is given for backups (environment, ``[store] admin_url``)."""
    profile = getattr(workspace, "profile", None)
    return backends.admin_url(profile.section("store") if profile is not None else None)


def list_infos(workspace: Workspace) -> list[BackupInfo]:
    """The backups in the data folder, oldest first (a damaged one with an empty manifest and a note)."""
    gate.require(workspace, R.BACKUP, "查看备份")
    found = []
    for path in list_backups(Path(workspace.root)):
        try:
            manifest = read_manifest(path)
        except BackupError as err:
            manifest = {"damaged": str(err)}
        found.append(BackupInfo(path, manifest))
    return found


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups, and temp files killed backups left; returns the deleted
    backups."""
    folder = backups_dir(root)
    with locked(_backups_lock(folder), folder):
        return _prune(folder, keep)


def _prune(folder: Path, keep: int) -> list[Path]:
    _remove_stale_temps(folder)
    found = list_backups(folder.parent)
    removed = found[:-keep] if len(found) > keep else []
    for path in removed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return removed


def before(workspace: Workspace, reason: str) -> BackupInfo | None:
    """Guard of an import or a ledger round-trip: refuses (AccessDenied) an operator whose role may not
    import, then takes the automatic backup (no backup permission needed)."""
    gate.require(workspace, R.IMPORT, "导入")
    if backends.backend_kind(gate.raw_store(workspace)) != backends.TINYDB and configured_admin_url(workspace) is None:
        # a database whose service account has no backup login: the application's roles cannot read the whole
        # database or its key (by design); the import is one transaction, the scheduled backups are the net
        return None
    return create_backup(workspace, reason=f"自动备份：{reason}", automatic=True)


# --------------------------------------------------------------------------- restoring

@dataclass
class RestoreReport:
    into: Path
    manifest: dict[str, Any]
    children: int
    journal_entries: int
    files: int
    signed: bool = False                 # the manifest's signature was checked with the folder's key
    notes: list[str] = field(default_factory=list)
    database: dict[str, Any] | None = None    # a district database restored: its name, the one kept aside

    def as_dict(self) -> dict[str, Any]:
        return {"into": str(self.into), "children": self.children, "journal_entries": self.journal_entries,
                "files": self.files, "created": self.manifest.get("created"),
                "operator": self.manifest.get("operator"), "reason": self.manifest.get("reason"),
                "signed": self.signed, "notes": self.notes, "database": self.database}


def restore_backup(file: Path | str, into: Path | str, operator: str | None = None, *,
                   key_file: Path | str | None = None, data_dir: Path | str | None = None,
                   admin_url: str | None = None, replace: bool = False) -> RestoreReport:
    """Restore a backup into an empty (or new) folder and verify it; the folder appears only when whole.

    The manifest's signature is checked with the journal key of the folder the backup belongs to: the one
    holding it (``<folder>/backups/…``), else ``data_dir``'s, or ``key_file`` given. That key goes into
    the restored folder. With no key at all the backup is restored on its checksums and hash chain alone,
    and the report says so.

    A district database's backup also restores its database, into the database of ``admin_url`` (the
    administrator's login): one holding kbtui data only with ``replace`` (swapped whole, the old one kept
    aside: ``store.postgres.dump``); its key is that database's own, or ``key_file``'s."""
    file, into = Path(file), Path(into)
    if not file.is_file():
        raise BackupError(f"备份文件 {file} 不存在")
    for named, allowed in ((file, (BACKUPS,)), (key_file, ("journal",))):
        problem = named is not None and input_problem(named, allowed=allowed)
        if problem:
            raise BackupError(problem)
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise BackupError(f"恢复目标 {into} 不是空目录，为免覆盖数据已停止；请指定一个新的或空的目录")
    problem = output_problem(into, new_folder=True)       # its folder must exist: none made on the way
    if problem:
        raise BackupError(problem)
    try:
        folder_fd = os.open(into.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise BackupError(f"无法打开文件夹 {into.parent}：{os_error_reason(err)}") from None
    try:
        problem = output_problem(into, new_folder=True, folder_fd=folder_fd)     # checked again as opened
        if problem:
            raise BackupError(problem)
        report = _restore_into(file, into, folder_fd, operator, key_file, data_dir, admin_url, replace)
    finally:
        os.close(folder_fd)
    report.into = into
    return report


def _restore_into(file: Path, into: Path, folder_fd: int, operator: str | None, key_file: Path | str | None,
                  data_dir: Path | str | None, admin_url: str | None, replace: bool) -> RestoreReport:
    """Restore into ``into``, whose folder is open as ``folder_fd`` (and was checked as opened). The staging
    folder is made and finally renamed through that descriptor: had the folder been swapped for a symlink
    meanwhile, the children's data would still not land anywhere else (writes by path then find no
    staging folder and fail)."""
    _remove_stale_staging(into.parent)
    manifest = read_manifest(file)
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{file} 的备份清单无法识别")
    database = manifest.get("store") == backends.POSTGRESQL
    if database:
        admin, target, key, notes = _database_target(file, manifest, admin_url, key_file, replace)
    else:
        key, notes = _key_of(file, manifest, key_file, data_dir)
    name = f".{into.name}{STAGING}{os.getpid()}-{secrets.token_hex(4)}"
    staging = into.parent / name
    try:
        os.mkdir(name, layout.DIR_MODE, dir_fd=folder_fd)
    except OSError as err:
        raise BackupError(f"无法在 {into.parent} 中建立恢复目录：{os_error_reason(err)}，已停止恢复") from None
    try:
        keep_owner(staging)
        extract(file, staging, manifest)
        if database:
            report = _restore_database(staging, into, folder_fd, manifest, operator, admin, target, key)
            report.signed = key is not None
            report.notes = notes + report.notes
            return report
        if key is not None:
            journal_dir = layout.journal_dir(staging)
            layout.ensure_private_dir(journal_dir)
            signing.JournalKey(signing.key_path(layout.journal_path(staging))).install(key)
        report = _verify(staging, manifest, operator, key)
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(into.name, dir_fd=folder_fd)
        os.replace(name, into.name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
        os.fsync(folder_fd)
    except BaseException:
        shutil.rmtree(name, dir_fd=folder_fd, ignore_errors=True)
        raise
    report.signed = key is not None
    report.notes = notes + report.notes
    return report


def _remove_stale_staging(parent: Path) -> None:
    """Staging folders of restores that were killed (their process is gone; an old unnamed one after an
    hour): up to a whole copy of the children's data, hidden next to the target."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            name = entry.name
            if not (name.startswith(".") and STAGING in name) or not entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue            # (a shared folder such as /tmp: another account's is not ours to remove)
            tag = name.rsplit(STAGING, 1)[1].split("-")
            if len(tag) == 2 and tag[0].isdigit():
                if int(tag[0]) == os.getpid() or pid_alive(int(tag[0])):
                    continue
            elif time.time() - entry.stat(follow_symlinks=False).st_mtime < _OLD_STAGING_AGE_S:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)


def _key_of(file: Path, manifest: dict[str, Any], key_file: Path | str | None,
            data_dir: Path | str | None) -> tuple[bytes | None, list[str]]:
    """The journal key the backup was signed with, and what the report should say about it."""
    head = signing.head_path(layout.journal_path(Path("."))).as_posix()
    if "mac" not in manifest and head in manifest["files"]:
        raise BackupError("备份清单没有签名，备份中的日志却是签过名的：清单被改动过，已停止恢复")
    if key_file is not None:
        key = signing.JournalKey(Path(key_file)).load()
        if key is None:
            raise BackupError(f"密钥文件 {key_file} 不存在")
        if "mac" in manifest and not manifest_signed_by(manifest, key):
            raise BackupError(f"备份清单的签名与密钥 {key_file} 不符：备份被改动过，或不是用这把密钥签的；已停止恢复")
        return (key, []) if "mac" in manifest else (None, [UNSIGNED])
    folders = [file.parent.parent] if file.parent.name == BACKUPS else []
    folders += [Path(data_dir)] if data_dir is not None else []
    keys: list[tuple[Path, bytes]] = []
    unusable: list[str] = []            # a key file that exists but cannot be trusted (mode, owner)
    for folder in dict.fromkeys(folders):
        path = signing.key_path(layout.journal_path(folder))
        try:
            found = signing.JournalKey(path).load()
        except StoreError as err:
            unusable.append(str(err))
            continue
        if found is not None:
            keys.append((path, found))
    if "mac" not in manifest:
        return None, [UNSIGNED]
    for path, key in keys:
        if manifest.get("key") == signing.key_id(key):
            if not manifest_signed_by(manifest, key):
                raise BackupError(f"备份清单的签名不符（用 {path} 核对）：备份被改动过，已停止恢复")
            return key, []
    if unusable:
        raise BackupError(f"无法核对备份清单的签名：{unusable[0]}")
    for folder in dict.fromkeys(folders):
        replaced_at = Journal(layout.journal_path(folder)).former_keys().get(str(manifest.get("key")))
        if replaced_at is not None:
            return None, [f"备份是用 {folder} 更换前的日志密钥签的（日志第 {replaced_at} 条起换用了新密钥），"
                          "已无法核对它的签名：只核对了文件校验值、哈希链和数据与日志是否一致；恢复出的目录没有密钥，"
                          "镇管理员运行 kbtui audit rekey 后才能继续修改"]
    if keys:
        raise BackupError(f"备份是用另一把日志密钥（编号 {manifest.get('key')}）签的，与 "
                          f"{'、'.join(str(p) for p, _ in keys)} 都不同：备份来自另一个数据目录，或被改动过。"
                          "如确知它的来源，请用 --key 指定那个数据目录的 journal/journal.key；已停止恢复")
    return None, ["没有找到这份备份所属数据目录的日志密钥：只核对了文件校验值、哈希链和数据与日志是否一致，"
                  "无法证明备份没有被改动过；恢复出的目录没有密钥，镇管理员运行 kbtui audit rekey 后才能继续修改"]


def _may_restore(folder: Path, operator: str | None) -> None:
    """Restoring hands over every child of the township: only who may back up (in that data) may restore."""
    meta_path = folder / "meta.json"
    meta = orjson.loads(meta_path.read_bytes()) if meta_path.exists() else {}
    who = operators.resolve_operator(folder, operator, meta)
    if not who.role_info.may(R.BACKUP):
        raise operators.AccessDenied(f"您的角色（{who.role}）不能恢复备份")


def _database_target(file: Path, manifest: dict[str, Any], admin_url: str | None, key_file: Path | str | None,
                     replace: bool) -> tuple[str, Any, bytes | None, list[str]]:
    """(administrator's URL, target database, key, notes) of a district database's backup; refused before
    anything is written when the login, the target or the signature is not right."""
    from kbtui.store.postgres import dump  # heavy: imported where used (psycopg, only in district mode)

    admin = admin_url or backends.admin_url()
    if not admin:
        raise BackupError(f"{file} 是区县数据库的备份（数据库 {(manifest.get('database') or {}).get('name')}）："
                          "恢复需要数据库管理员（超级用户）账号的地址，"
                          "请用 --admin-url postgresql://管理员@服务器/数据库 "
                          f"（或环境变量 {backends.ADMIN_URL_ENV}）指明恢复到哪个数据库；已停止恢复")
    if "mac" not in manifest:
        raise BackupError("备份清单没有签名，区县数据库的备份总是签名的：清单被改动过，已停止恢复")
    target = dump.inspect_target(admin)
    if target.kbtui and not replace:
        raise BackupError(f"数据库 {target.name} 中已有 kbtui 的数据（{target.children} 名儿童）：恢复会整体替换它"
                          "（原数据库改名保留，不会删除）。确认要用这份备份替换时，加 --replace 再运行；已停止恢复")
    notes: list[str] = []
    key = dump.key_file_key(Path(key_file)) if key_file is not None else target.key
    if key is not None and manifest.get("key") != signing.key_id(key):
        source = f"密钥文件 {key_file}" if key_file is not None else f"数据库 {target.name} 的签名密钥"
        raise BackupError(f"备份是用另一把签名密钥（编号 {manifest.get('key')}）签的，与{source}（编号 "
                          f"{signing.key_id(key)}）不同：备份来自另一个区县数据库或数据目录，或被改动过。如确知它的来源，"
                          "请用 --key 指定那个数据库导出的密钥文件（kbtui store export-key）；已停止恢复")
    if key is not None and not manifest_signed_by(manifest, key):
        raise BackupError("备份清单的签名不符：备份被改动过，已停止恢复")
    return admin, target, key, notes


def _restore_database(staging: Path, into: Path, folder_fd: int, manifest: dict[str, Any], operator: str | None,
                      admin: str, target: Any, key: bytes | None) -> RestoreReport:
    """The database of a verified archive restored (``dump.restore``: staged, verified, swapped in); the data
    folder's files moved to ``into`` just before the swap (and removed again if the swap fails)."""
    from kbtui.store.postgres import dump  # heavy: imported where used (psycopg, only in district mode)

    _may_restore(staging, operator)
    dump_file = staging / DATABASE_DUMP
    notes = _point_folder_at(staging, target.name)
    moved = False

    def move_in() -> None:          # (the dump is loaded by now: not left in the data folder)
        nonlocal moved
        dump_file.unlink()
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(into.name, dir_fd=folder_fd)
        os.replace(staging.name, into.name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
        os.fsync(folder_fd)
        moved = True

    try:
        restored = dump.restore(admin, dump_file, key, manifest.get("database") or {}, target, before_swap=move_in)
    except BaseException:
        if moved:
            shutil.rmtree(into.name, dir_fd=folder_fd, ignore_errors=True)
        raise
    report = RestoreReport(into, manifest, restored.children, restored.entries, len(manifest["files"]) - 1,
                           notes=restored.notes + notes)
    report.database = {"name": restored.name, "kept": restored.kept, "documents": restored.documents}
    return report


def _point_folder_at(folder: Path, dbname: str) -> list[str]:
    """A restored data folder names the database it was restored into (another name: a new database)."""
    meta_path = folder / "meta.json"
    meta = orjson.loads(meta_path.read_bytes())
    url = (meta.get(backends.META_KEY) or {}).get("url")
    if not isinstance(url, str) or backends.database_name(url) == dbname:
        return []
    meta[backends.META_KEY]["url"] = backends.url_with_database(url, dbname)
    atomic_write(meta_path, orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    return [f"数据库恢复到了 {dbname}（备份来自 {backends.database_name(url)}）：恢复出的数据目录已改为使用 {dbname}，"
            f"账号和服务器地址照旧；服务器地址不同时请设置环境变量 {backends.URL_ENV}"]


def _verify(folder: Path, manifest: dict[str, Any], operator: str | None, key: bytes | None) -> RestoreReport:
    _may_restore(folder, operator)
    store = ChildStore.open(folder)
    chain, stored = check_store(store)
    if not chain.ok and not (key is None and chain.key_missing):
        where = f"（第 {chain.seq} 条）" if chain.seq else ""
        raise BackupError(f"恢复后的日志校验失败：{chain.message}{where}")
    want = manifest.get("journal", {})
    if chain.lines != want.get("entries"):
        raise BackupError(f"恢复后的日志有 {chain.lines} 条，备份清单记载 {want.get('entries')} 条")
    if chain.last_hash != want.get("last_hash", chain.last_hash):
        raise BackupError("恢复后日志最后一条的哈希与备份清单记载的不同，备份被改动过")
    if len(store) != manifest.get("children"):
        raise BackupError(f"恢复后有 {len(store)} 名儿童，备份清单记载 {manifest.get('children')} 名")
    if stored is not None and not stored.ok:
        problems = audit.describe_store_problems(stored, store)
        raise BackupError("恢复后的数据与日志不符：" + "；".join(problems[:5]) + "。备份已损坏或被改动过")
    return RestoreReport(folder, manifest, len(store), chain.lines, len(manifest["files"]), notes=list(chain.notes))


__all__ = ["BackupInfo", "RestoreReport", "before", "configured_admin_url", "create_backup", "export_key", "list_infos",
           "prune", "restore_backup"]
