"""Who owns what kbtui writes.

On a township server the data folder belongs to a service account (``kbtui``) and operators run
``sudo -u kbtui kbtui``. An administrator may still run kbtui as root (``kbtui operators add`` from a root
shell): a file root creates is root's, 0600, and the service account could no longer read it (nor the
data folder open). So everything kbtui creates while running as root takes the owner and group of the
folder it is created in — the data folder's service account for every file and folder inside it.
``keep_owner`` is called by the few primitives that create files and folders (``storage.atomic_write``,
pending files and locks, the journal, ``layout.ensure_private_dir``, workbook saving, backups, evidence
copies); nothing changes for any other user (only root may give a file away).
"""
from __future__ import annotations

import os
import pwd
from pathlib import Path


def user_name(uid: int) -> str:
    """The login of ``uid`` (``uid 1002`` when it has no passwd entry)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def keep_owner(path: str | os.PathLike[str], fd: int | None = None) -> None:
    """Running as root: give ``path`` (just created by us; ``fd`` when it is open) the owner and group of
    the folder holding it. Raises OSError when that fails (the caller's write then fails as a whole)."""
    if os.geteuid() != 0:
        return
    path = os.fspath(path)
    folder = os.stat(os.path.dirname(os.path.abspath(path)))
    current = os.fstat(fd) if fd is not None else os.stat(path, follow_symlinks=False)
    if (current.st_uid, current.st_gid) == (folder.st_uid, folder.st_gid):
        return
    if fd is not None:
        os.fchown(fd, folder.st_uid, folder.st_gid)
    else:
        os.chown(path, folder.st_uid, folder.st_gid, follow_symlinks=False)


def make_dirs(path: Path, mode: int) -> None:
    """``path.mkdir(parents=True, exist_ok=True)`` with ``mode``, each folder it creates kept in the
    owner of the folder above it (``keep_owner``)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=mode)
        except FileExistsError:
            continue            # made meanwhile by another process
        keep_owner(folder)
