"""A district's village files named with their town (``城头镇·新村.json``): two towns may both have a 新村, and
one file for both would lock, rewrite and count the two towns' children together.

Children with a ``town`` go to ``<town>·<village>.json`` (``layout.record_shard``); a township's children have
none and keep their file names. A district folder written before has its children in ``<village>.json``: the
first open splits those files, under their locks and the new files' locks, the new files written first (each
atomically) and the old ones rewritten without the moved children (or removed) last, so that an interrupted
split is done again at the next open, the records merged by version, exactly as the old single ``tasks.json``
is split (``store.sharded``). Nothing is journaled: no record changes, only the file it is kept in (the
journal's replay places each record by its village and town, ``store.consistency``).

A marker (``.town-shards``) says the folder's files are named this way, so the check is made once per folder.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from kbtui.store import layout
from kbtui.store.storage import LockedJSONStorage, fsync_dir

TABLE = "_default"
MARKER = ".town-shards"


def _table(data: Any) -> dict[str, Any]:
    table = data.get(TABLE) if isinstance(data, dict) else None
    return dict(table) if isinstance(table, dict) else {}


def _storage(folder: Path, name: str, journal: Any) -> LockedJSONStorage:
    storage = LockedJSONStorage(folder / f"{name}.json")
    storage.journal = journal
    return storage


def split_town_files(folder: Path, journal: Any) -> int:
    """Move the children with a town out of the files named by their village alone (see the module's
    docstring); returns how many records were moved. A read-only folder is left as it is (read as it is)."""
    marker = folder / MARKER
    if marker.exists() or not os.access(folder, os.W_OK):
        return 0
    old = sorted(f[:-5] for f in os.listdir(folder) if layout.is_data_file(f) and not layout.is_town_shard(f[:-5]))
    candidates = [name for name in old if b'"town":"' in ((folder / f"{name}.json").read_bytes())]
    moved = 0
    if candidates:
        sources = {name: _storage(folder, name, journal) for name in candidates}
        with contextlib.ExitStack() as stack:
            for storage in sources.values():
                stack.enter_context(storage.session())
            plan: dict[str, dict[str, dict[str, Any]]] = {}      # target file -> id -> record
            keep: dict[str, dict[str, Any]] = {}
            for name, storage in sources.items():
                keep[name] = {}
                for doc_id, rec in _table(storage.read()).items():
                    target = layout.record_shard(rec) if isinstance(rec, dict) else name
                    if target == name:
                        keep[name][doc_id] = rec
                    else:
                        plan.setdefault(target, {})[rec["id_number"]] = rec
            targets = {name: _storage(folder, name, journal) for name in sorted(plan)}
            for storage in targets.values():
                stack.enter_context(storage.session())
            for name, storage in targets.items():
                table = _table(storage.read())
                have = {rec.get("id_number"): doc_id for doc_id, rec in table.items() if isinstance(rec, dict)}
                for id_number, rec in plan[name].items():
                    there = have.get(id_number)
                    if there is not None and table[there].get("_v", 0) >= rec.get("_v", 0):
                        continue        # already moved (an interrupted split done again)
                    table[there or str(max(map(int, table), default=0) + 1)] = rec
                    moved += 1
                storage.write({TABLE: table})           # atomic and durable, as every store write
            for name, storage in sources.items():
                if keep[name]:
                    storage.write({TABLE: keep[name]})
                else:
                    os.unlink(storage.path)
            fsync_dir(folder)
    marker.write_bytes(b"")
    os.chmod(marker, layout.FILE_MODE)
    return moved


__all__ = ["MARKER", "split_town_files"]
