"""One consistent moment of a data folder: every store lock held while its files are read.

Used by backups (the copy) and by verification (the store files compared with the journal read up to the
same moment). The locks are taken in the order writers take them -- village files, collections, the
journal, then whatever the caller adds (the operators file) -- so a snapshot never deadlocks with a writer.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kbtui.store import layout
from kbtui.store.errors import read_failed
from kbtui.store.journal import Journal
from kbtui.store.signing import read_head_bytes
from kbtui.store.storage import locked, make_lock, pending_path


def lock_targets(root: Path, extra: Iterable[Path] = ()) -> list[Path]:
    targets: list[Path] = []
    for folder in layout.data_dirs(root):
        with contextlib.suppress(FileNotFoundError):
            targets += sorted(folder / n for n in os.listdir(folder) if layout.is_data_file(n))
    targets.append(layout.journal_path(root))
    targets += list(extra)
    return targets


@contextlib.contextmanager
def all_locks(root: Path, extra: Iterable[Path] = ()) -> Iterator[set[Path]]:
    """Hold the lock of every store file (and of ``extra``); yields the set of files locked.

    On a read-only data folder (a read-only mount) no lock file can be made and nobody can write: the files
    are one moment already, and the set of files is yielded without locking them."""
    if not os.access(layout.store_dir(root), os.W_OK):
        yield set(lock_targets(root, extra))
        return
    with contextlib.ExitStack() as stack:
        held: set[Path] = set()
        for target in lock_targets(root, extra):
            stack.enter_context(locked(make_lock(target), target))
            held.add(target)
        yield held


@dataclass
class StoreSnapshot:
    files: dict[str, bytes]          # "store/children/高峰村.json" -> its bytes, village files and collections
    journal_size: int                # the journal's complete lines at that moment
    head: bytes | None               # the anchor file's bytes (None: no anchor)
    unsettled: list[str]             # data files with a write-ahead file a killed writer left


def take_snapshot(root: Path) -> StoreSnapshot:
    """Read the village and collection files, the journal's size and the anchor at one moment."""
    root = Path(root)
    journal = Journal(layout.journal_path(root))
    data_dirs = set(layout.data_dirs(root))
    files: dict[str, bytes] = {}
    unsettled: list[str] = []
    with all_locks(root) as held:
        for target in sorted(held):
            if target.parent not in data_dirs:
                continue
            rel = target.relative_to(root).as_posix()
            try:
                files[rel] = target.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as err:
                raise read_failed(target, err) from err
            if os.path.exists(pending_path(target)):
                unsettled.append(rel)
        size = journal.complete_size()
        head = read_head_bytes(journal.head_path)
    return StoreSnapshot(files, size, head, unsettled)


__all__ = ["StoreSnapshot", "all_locks", "lock_targets", "take_snapshot"]
