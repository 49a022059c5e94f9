"""Files an operator names for kbtui to read or write (``-o``, an import's list, evidence, a backup to
restore): never the data folder's own files, and under sudo only what the operator could reach themselves.

On a township server kbtui runs as the service account owning the data folder (``sudo -u kbtui kbtui``).
Whatever path an operator types is then opened with the service account's rights: without these rules a
村干部 could export a workbook over ``operators.toml`` or the journal, or import (or attach as evidence)
a village file or the journal key and read it back. So:

- a data folder (any folder holding ``meta.json`` and ``profile.toml``, found from the path with symlinks
  and ``..`` resolved) takes written files only in its ``exports/`` and ``rejects/``, and gives files to
  read only from there (a restore also from ``backups/``);
- under sudo (``SUDO_UID`` names another user than the one running), a file is read only if that user
  could read it, and written only into a folder that user could write to, judged by the permission bits
  against the user's uid and groups (``pwd``/``grp``): the service account is no way round them.

The outputs' rule is ``excel.saving.output_problem`` (which also knows what a workbook of ours is); the
inputs' is ``input_problem`` here. Both take an open file or folder (``/proc/self/fd``) where the caller
holds one, so that no symlink swapped in afterwards can send the read or write elsewhere.
"""
from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

DATA_MARKERS = ("meta.json", "profile.toml")         # what makes a folder a data folder (services.workspace)
PEOPLE_FOLDERS = ("exports", "rejects")              # a data folder's folders of workbooks for people
EXCHANGE_EXAMPLE = "/srv/kbtui-交换/"                 # the README's shared folder (乡镇服务器的设置)


def fd_path(fd: int) -> str:
    """A path naming what ``fd`` has open, whatever is renamed or swapped meanwhile (Linux)."""
    return f"/proc/self/fd/{fd}"


def real_path(path: str | os.PathLike[str]) -> str:
    """``path`` absolute, with ``~``, every symlink and ``..`` resolved (a missing tail kept as written)."""
    return os.path.realpath(os.path.expanduser(os.fspath(path)))


def data_folder_of(real: str) -> str | None:
    """The data folder holding the resolved path ``real`` (or being it), or None."""
    probe = real
    while True:
        if all(os.path.isfile(os.path.join(probe, marker)) for marker in DATA_MARKERS):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def _inside(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def data_folder_problem(shown: str | os.PathLike[str], real: str, allowed: tuple[str, ...],
                        reading: bool) -> str | None:
    """Why the resolved path ``real`` (typed as ``shown``) is a data folder's own, or None when it is
    outside every data folder or in one of its ``allowed`` subfolders."""
    data = data_folder_of(real)
    if data is None or any(_inside(real, os.path.join(data, name)) for name in allowed):
        return None
    where = f"“{shown}”在数据目录 {data} 中" if os.fspath(shown) == real else \
        f"“{shown}”（实际位置 {real}）在数据目录 {data} 中"
    if reading:
        return (f"{where}：数据目录里是儿童数据、修改日志、密钥和配置，不能作为名单或材料读取。"
                f"请把要导入或附上的文件放在数据目录以外（乡镇服务器上放进交换文件夹，如 {EXCHANGE_EXAMPLE}）")
    kept = "、".join(f"{name}/" for name in allowed)
    inside = f"只能写在它的 {kept} 中，或" if kept else "只能"
    return (f"{where}：数据目录里是儿童数据、修改日志、密钥和配置，不能被导出的文件覆盖，未写入任何文件。"
            f"导出的文件{inside}写到数据目录以外的文件夹")


# --------------------------------------------------------------------------- the operator under sudo

@dataclass(frozen=True)
class Invoker:
    """The user who ran ``sudo -u <service account> kbtui``: their uid, groups and login."""
    uid: int
    gids: frozenset[int]
    login: str


def invoker() -> Invoker | None:
    """Who called sudo, when kbtui runs as another (non-root) account for them; else None (nothing to check:
    the operator is the account itself, or root)."""
    sudo_uid = os.environ.get("SUDO_UID", "")
    euid = os.geteuid()
    if euid == 0 or not sudo_uid.isdigit() or int(sudo_uid) == euid:
        return None
    uid = int(sudo_uid)
    gid_text = os.environ.get("SUDO_GID", "")
    try:
        entry = pwd.getpwuid(uid)
        login, gid = entry.pw_name, entry.pw_gid
    except KeyError:
        entry = None
        login, gid = os.environ.get("SUDO_USER") or f"uid {uid}", int(gid_text) if gid_text.isdigit() else -1
    gids = {gid} if gid >= 0 else set()
    if entry is not None:
        try:
            gids.update(os.getgrouplist(login, gid))
        except OSError:
            pass
    return Invoker(uid, frozenset(gids), login)


def _allows(who: Invoker, st: os.stat_result, want: int) -> bool:
    """Do ``st``'s permission bits give ``who`` every right in ``want`` (4 read, 2 write, 1 search)?"""
    if who.uid == 0:
        return True
    if st.st_uid == who.uid:
        bits = st.st_mode >> 6
    elif st.st_gid in who.gids:
        bits = st.st_mode >> 3
    else:
        bits = st.st_mode
    return bits & want == want


def _reaches(who: Invoker, real: str) -> bool:
    """May ``who`` pass through every folder above the resolved path ``real``?"""
    folder = os.path.dirname(real)
    while True:
        try:
            if not _allows(who, os.stat(folder), 1):
                return False
        except OSError:
            return False
        parent = os.path.dirname(folder)
        if parent == folder:
            return True
        folder = parent


def could_read(who: Invoker, real: str, st: os.stat_result) -> bool:
    return _reaches(who, real) and _allows(who, st, 4)


def could_write_in(who: Invoker, real_folder: str, st: os.stat_result) -> bool:
    """Could ``who`` create and replace files in the folder ``real_folder`` (stat ``st``)?"""
    return _reaches(who, real_folder) and _allows(who, st, 3)


def could_replace(who: Invoker, folder_st: os.stat_result, file_st: os.stat_result) -> bool:
    """In a folder ``who`` may write to: may they replace the file there too (a sticky folder such as
    /tmp lets only the file's or the folder's owner do it)?"""
    return (not folder_st.st_mode & stat.S_ISVTX or who.uid in (0, folder_st.st_uid, file_st.st_uid))


def not_yours(who: Invoker, shown: str | os.PathLike[str], writing: bool) -> str:
    """The refusal when the operator could not read (write) ``shown`` themselves."""
    what = f"在文件夹“{shown}”中写文件" if writing else f"读取“{shown}”"
    folder = f"{EXCHANGE_EXAMPLE}{who.login}"
    return (f"您（{who.login}）自己没有{what}的权限，kbtui 以服务账号运行也不替您{'写' if writing else '读'}。"
            f"请用您自己能{'写' if writing else '读'}、服务账号也能读写的交换文件夹，如 {folder}"
            f"（见说明书“乡镇服务器的设置”）")


# --------------------------------------------------------------------------- inputs

def input_problem(path: str | os.PathLike[str], *, fd: int | None = None,
                  allowed: tuple[str, ...] = PEOPLE_FOLDERS) -> str | None:
    """Why the file ``path`` (open as ``fd`` when given: then that very file is judged) may not be read for
    the operator (Chinese), or None. A missing file is not a problem here: the reader says so itself.

    ``allowed``: the subfolders of a data folder it may come from (exports/ and rejects/: workbooks kbtui
    wrote for people; a restore also reads backups/)."""
    shown = Path(path).expanduser()
    real = real_path(fd_path(fd)) if fd is not None else real_path(shown)
    problem = data_folder_problem(shown, real, allowed, reading=True)
    if problem:
        return problem
    who = invoker()
    if who is None:
        return None
    try:
        st = os.fstat(fd) if fd is not None else os.stat(real)
    except OSError:
        return None
    return None if could_read(who, real, st) else not_yours(who, shown, writing=False)


def suggestible(folder: str | os.PathLike[str]) -> bool:
    """May the TUI's path completion list ``folder``'s entries for the operator? Not inside a data folder
    (but its exports/ and rejects/, and its top level to get there), and under sudo only a folder the
    operator could list themselves."""
    real = real_path(folder)
    data = data_folder_of(real)
    if data is not None and real != data and data_folder_problem(folder, real, PEOPLE_FOLDERS, True):
        return False
    who = invoker()
    if who is None:
        return True
    try:
        return _reaches(who, real) and _allows(who, os.stat(real), 5)
    except OSError:
        return False


def suggested_names(folder: str | os.PathLike[str], names: list[str]) -> list[str]:
    """Of ``names`` in ``folder`` (suggestible): those completion may offer (a data folder's top level
    offers only exports/ and rejects/)."""
    real = real_path(folder)
    if data_folder_of(real) == real:
        return [name for name in names if name in PEOPLE_FOLDERS]
    return names
