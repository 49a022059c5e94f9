"""Running kbtui as other Linux users, the way a township server does: the data folder belongs to a service
account and operators run ``sudo -u <service> kbtui`` (the process has the service account's uid, and
``SUDO_USER`` / ``SUDO_UID`` name the operator).

The command runs in a forked child that really takes the other uid (``setgid``/``setuid``) and then calls
the CLI in process: the child needs no permission to execute this interpreter (it may sit under a private
home), only to read kbtui's own files. Every stdlib module it needs must be imported already, hence
``warm_up``. Only root can do this: tests using it are skipped otherwise. The uids need no passwd entry.
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbtui.cli import cli

SERVICE = 54321          # the service account owning the data folder
STRANGER = 54322         # a user allowed to log in, but not in operators.toml
CADRE = 54323            # a registered 村干部

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")


@dataclass
class Run:
    exit_code: int
    output: str
    stderr: str


def as_user(uid: int, fn: Callable[[], object], groups: tuple[int, ...] = ()) -> object:
    """``fn()`` in a forked child running with ``uid`` (group ``uid``, and the supplementary ``groups``);
    its result, or AssertionError with the child's traceback."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # the child: never returns into pytest
        try:
            os.close(read_end)
            os.setgroups(list(groups))
            os.setgid(uid)
            os.setuid(uid)
            outcome = ("ok", fn())
        except BaseException:  # noqa: BLE001 - reported to the parent
            outcome = ("error", traceback.format_exc())
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(outcome))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(data)
    if status != "ok":
        raise AssertionError(f"uid {uid} 中出错：\n{value}")
    return value


def kbtui_as(uid: int, *args: str, sudo_user: str | None = None, sudo_uid: int | None = None,
             sudo_gid: int | None = None, groups: tuple[int, ...] = ()) -> Run:
    """``kbtui ARGS`` as ``uid`` (in ``groups`` too); with ``sudo_user`` as if run through
    ``sudo -u <uid's account> kbtui`` by the user ``sudo_uid`` (whose group is ``sudo_gid``, by default the
    same number)."""
    if sudo_uid is not None and sudo_gid is None:
        sudo_gid = sudo_uid
    env = {"SUDO_USER": sudo_user, "SUDO_UID": str(sudo_uid) if sudo_uid is not None else None,
           "SUDO_GID": str(sudo_gid) if sudo_gid is not None else None}

    def run() -> Run:
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)
        tail = "" if result.exception is None or isinstance(result.exception, SystemExit) else \
            "".join(traceback.format_exception(result.exception))
        return Run(result.exit_code, result.output + tail, result.stderr)

    return as_user(uid, run, groups)


def warm_up(*args: str) -> None:
    """Run a command as root first, so that every module it imports is loaded before the fork."""
    CliRunner().invoke(cli, list(args), catch_exceptions=True)


def shared_folder() -> Path:
    """A fresh folder every uid may enter (0755, under /tmp, not under pytest's private 0700 one)."""
    return Path(tempfile.mkdtemp(prefix="kbtui-users-", dir="/tmp"))


def chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for here, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.chown(Path(here) / name, uid, uid, follow_symlinks=False)


def owners(path: Path) -> dict[str, int]:
    """Every file and folder under ``path`` (relative name) → its owner uid."""
    found = {".": path.stat().st_uid}
    for here, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            entry = Path(here) / name
            found[str(entry.relative_to(path))] = entry.lstat().st_uid
    return found


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
