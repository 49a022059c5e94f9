"""Which keys each file of a village-sharded folder holds, remembered between processes (issue 18).

A command about one child (``kbtui visit``) needs one village's files, but finding which village holds an ID
meant reading every file (a 100,000-child county: 170 village files and as many task files). Each sharded
folder (the children's, a sharded collection's) keeps ``.keys`` (JSON) beside its files: for every file, its
signature (inode, size, times) and the keys it held then. A file whose signature is still the one remembered
holds exactly those keys (a write replaces the file: a new inode), so it need not be read to know them; only the
files changed since (one after a visit) are read. What the hint says of a changed, new or missing file is not
used, and an unreadable or malformed hint is no hint: it costs time, never a wrong answer.

It is a cache, not data: not journaled, not a data file (its name starts with a dot: the snapshot, the
consistency check and a folder's data listing pass it by; backups leave it out). The command line writes it
after a write of its own (a command that changes nothing leaves the folder as it was), replaced atomically
without ``fsync``: lost in a power cut, the next command reads the files and the next write keeps it again.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

import orjson

from kbtui.store.layout import FILE_MODE
from kbtui.store.owner import keep_owner
from kbtui.store.storage import Signature, write_all

HINT_FILE = ".keys"
_SEP = "\n"


class Hint:
    """The remembered keys of a folder's files: ``keys_of(name, sig)`` is the file's keys, or None when its
    signature is not the one remembered (read the file)."""

    def __init__(self, files: Mapping[str, tuple[Signature, str]] | None = None):
        self.files = dict(files or {})

    @classmethod
    def of(cls, files: Iterable[tuple[str, Signature | None, Iterable[str]]]) -> Hint:
        hint = cls()
        for name, sig, keys in files:
            hint.set(name, sig, keys)
        return hint

    def set(self, name: str, sig: Signature | None, keys: Iterable[str] | None) -> None:
        """The file ``name`` as it is now holds ``keys``; a file without a signature, or with a key the
        format cannot hold, is forgotten (it is read, as without a hint)."""
        keys = list(keys) if keys is not None else None
        if sig is None or keys is None or any(_SEP in k for k in keys):
            self.files.pop(name, None)
        else:
            self.files[name] = (tuple(sig), _SEP.join(sorted(keys)))     # type: ignore[assignment]

    def keys_of(self, name: str, sig: Signature | None) -> list[str] | None:
        entry = self.files.get(name)
        if entry is None or sig is None or entry[0] != sig:
            return None
        return entry[1].split(_SEP) if entry[1] else []

    def holds(self, name: str, sig: Signature | None, key: str) -> bool | None:
        """Does the file hold ``key``? None when the hint does not know the file as it is now."""
        entry = self.files.get(name)
        if entry is None or sig is None or entry[0] != sig:
            return None
        return key in entry[1] and f"{_SEP}{key}{_SEP}" in f"{_SEP}{entry[1]}{_SEP}"


def read(folder: Path) -> Hint:
    try:
        data = orjson.loads((folder / HINT_FILE).read_bytes())
        files = {name: (tuple(sig), keys) for name, (sig, keys) in data["files"].items()
                 if isinstance(keys, str) and len(sig) == 4 and all(isinstance(x, int) for x in sig)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return Hint()
    return Hint(files)


def write(folder: Path, hint: Hint) -> None:
    """Keep ``hint`` for the folder. Never raises: a folder that cannot be written (a read-only mount,
    another user's) just keeps no hint."""
    table = {name: [list(sig), keys] for name, (sig, keys) in hint.files.items()}
    tmp = folder / f".{HINT_FILE}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            keep_owner(tmp, fd)
            write_all(fd, orjson.dumps({"files": table}))
        finally:
            os.close(fd)
        os.replace(tmp, folder / HINT_FILE)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


__all__ = ["HINT_FILE", "Hint", "read", "write"]
