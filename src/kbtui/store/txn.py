"""Write-ahead commit of staged store files and their journal entries.

Order: each staged file is written to its pending file and fsynced, the folders are fsynced, the journal
entries (tagged ``_tx``) are appended and fsynced -- the commit point --, then the pending files replace the
data files (durable through the pending files, see ``commit``). A writer killed before the commit point leaves only
pending files, which the next holder of the lock drops; killed after it, the pending files are installed by the next
holder (``LockedJSONStorage.recover``). Either way no stored change lacks its journal entry and no journaled
change is lost.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from kbtui.errors import StoreError
from kbtui.store.errors import write_failed
from kbtui.store.journal import JournalEntry
from kbtui.store.storage import MISSING, LockedJSONStorage, fsync_dir


def commit(storages: Iterable[LockedJSONStorage], journal: Any,
           entries: list[JournalEntry]) -> list[Any]:
    """Commit the staged data of ``storages`` (all locked, deferred) together with ``entries``."""
    staged = [s for s in storages if s.staged is not MISSING]
    if not staged:
        return journal.append(entries) if entries else []
    if not entries:
        raise StoreError("内部错误：修改没有对应的日志条目，未保存")
    tx = secrets.token_hex(8)
    marker = {"id": tx, "n": len(entries)}
    folders = sorted({s.path.parent for s in staged})
    written: list[LockedJSONStorage] = []
    try:
        for storage in staged:
            written.append(storage)
            storage.write_pending(marker)
        for folder in folders:
            try:
                fsync_dir(folder)
            except OSError as err:
                raise write_failed(folder, err) from err
        for entry in entries:
            entry["_tx"] = tx
        stored = journal.append(entries)
    except BaseException:
        for storage in written:
            storage.discard_pending()
        raise
    # No folder fsync after the replaces: the pending files and the journal are durable, so a rename lost
    # in a power cut leaves the pending file, which the next lock holder installs; and the next write in
    # the folder fsyncs it before its own commit anyway. (Three fsyncs per edit, as before write-ahead.)
    for storage in staged:
        storage.install_pending()
    return stored
