"""ChildStore: children sharded by village (one TinyDB file per village; a district's per town and village,
``store.town_shards``) + an in-memory index.

Only the shard of the edited record is re-read and rewritten on an edit, so an edit costs the same
whatever the county's total. Every change is journaled while the shard lock is held, so the journal
order of a record's entries follows its versions.

A store opened ``lazy`` (the command line) reads a village file when a child in it is asked for (``get``,
``in``, ``update``: the villages that may hold the ID, found with ``store.hints``) and every file at the first
question about more than one child (``all``, ``ids``, ``len``, a bulk write): it answers as the loaded store.
"""
from __future__ import annotations

import contextlib
import gc
import operator
import os
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document, Table

from kbtui.errors import RecordNotFound, StoreError
from kbtui.store import edits, hints, layout
from kbtui.store.collections import Collection
from kbtui.store.errors import read_failed
from kbtui.store.journal import Journal, JournalEntry, bulk_insert_entry, make_entry, now_ts
from kbtui.store.record_index import RecordIndex
from kbtui.store.sharded import SHARDED, ShardedCollection
from kbtui.store.storage import (
    LockedJSONStorage,
    Signature,
    cleanup_temp_files,
    parse_json,
    read_bytes,
    read_json,
    signature_of,
    target_of_pending,
)
from kbtui.store.town_shards import split_town_files
from kbtui.store.txn import commit

Record = dict[str, Any]
KEY = "id_number"
TABLE = "_default"


_MOVES = frozenset({"village", "town"})       # the fields that name a child's file (``layout.record_shard``)
_GET_ID = operator.methodcaller("get", KEY)
_ID_OF = operator.itemgetter(KEY)


def _raw_table(data: Any) -> dict[str, Record]:
    if not data:
        return {}
    table = data.get(TABLE)
    return table if isinstance(table, dict) else {}


class _Shard:
    """One village file: its TinyDB handle and which ids it holds (id_number -> doc_id)."""

    def __init__(self, name: str, path: Path, journal: Journal):
        self.name = name
        self.path = path
        self.db = TinyDB(path, storage=LockedJSONStorage)
        self.storage: LockedJSONStorage = self.db.storage  # type: ignore[assignment]
        self.storage.journal = journal
        self.table: Table = self.db.table(TABLE)
        self.doc_ids: dict[str, int] = {}
        self.signature: Signature | None = None

    def next_doc_id(self, raw: dict[str, Record]) -> int:
        return max((int(k) for k in raw), default=0) + 1


class ChildStore(RecordIndex):
    def __init__(self, root: Path):
        self.root = Path(root)
        self.children_dir = layout.children_dir(self.root)
        self.journal = Journal(layout.journal_path(self.root))
        self._records: dict[str, Record] = {}
        self._shard_of: dict[str, str] = {}
        self._shards: dict[str, _Shard] = {}
        self._collections: dict[str, Any] = {}
        self.loaded = False                      # every shard read once (the first refresh)
        self.lazy = False                        # read village files when asked for (see the module's docstring)
        self._located: set[str] = set()          # (lazy) IDs whose possible villages are read
        self._hint: hints.Hint | None = None     # (lazy) the files' keys as last read or written here
        self._where: dict[str, tuple[str, ...]] | None = None    # (lazy) ID -> the files holding it

    # -- opening and reading -------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path, load: bool = True, lazy: bool = False) -> ChildStore:
        """Open (creating the layout if missing) and load every shard into memory. With ``load=False`` the
        shards are read by the first ``refresh()`` (the TUI shows its first screen first, then loads); with
        ``lazy`` as they are needed (the module's docstring)."""
        root = Path(root)
        try:
            layout.ensure_layout(root)
        except OSError as err:
            raise StoreError(f"无法创建数据文件夹 {root}：{read_failed(root, err)}") from err
        store = cls(root)
        store.journal.ensure_key()
        cleanup_temp_files(store.children_dir)
        cleanup_temp_files(layout.collections_dir(root))
        store.recover_pending()
        split_town_files(store.children_dir, store.journal)      # a district folder written before: once
        store.lazy = lazy
        if load and not lazy:
            store.refresh()
        return store

    def recover_pending(self) -> None:
        """Settle the write-ahead files left by killed writers (each under its file's lock)."""
        for folder in (self.children_dir, layout.collections_dir(self.root)):
            try:
                names = [t for t in map(target_of_pending, os.listdir(folder)) if t and layout.is_data_file(t)]
            except OSError as err:
                raise read_failed(folder, err) from err
            for target in names:
                if folder == self.children_dir:
                    storage = self._shard(target[:-5]).storage
                elif target[:-5] in SHARDED:
                    storage = LockedJSONStorage(folder / target)     # an old single file, split on open
                    storage.journal = self.journal
                else:
                    storage = self.collection(target[:-5]).storage
                storage.settle_before_reading()     # under the lock if it can be had (not read-only)
        for folder in layout.sharded_dirs(self.root):
            if folder.name in SHARDED:
                self.collection(folder.name).recover_pending()

    @property
    def read_only(self) -> bool:
        """The data folder cannot be written (a read-only mount): reads work, writes would be refused."""
        return not os.access(layout.store_dir(self.root), os.W_OK)

    @property
    def location(self) -> str:
        """Where the data is, for messages."""
        return str(self.root)

    def close(self) -> None:
        """Nothing to release: every write is complete when it returns (the repository contract's close)."""

    def count_by(self, *fields: str) -> dict[tuple[Any, ...], int]:
        """How many children have each combination of ``fields``' values ('' for a missing one)."""
        self._whole()
        counts: dict[tuple[Any, ...], int] = {}
        for rec in self._records.values():
            key = tuple(rec.get(f) or "" for f in fields)
            counts[key] = counts.get(key, 0) + 1
        return counts


    def __len__(self) -> int:
        self._whole()
        return len(self._records)

    def __contains__(self, id_number: object) -> bool:
        if isinstance(id_number, str):
            self._find(id_number)
        return id_number in self._records

    def get(self, id_number: str) -> Record | None:
        self._find(id_number)
        rec = self._records.get(id_number)
        return dict(rec) if rec is not None else None

    def all(self) -> Iterator[Record]:
        """Every record (shared dicts: read-only for callers)."""
        self._whole()
        return iter(list(self._records.values()))

    def ids(self) -> list[str]:
        self._whole()
        return list(self._records)

    def shard_of(self, id_number: str) -> str | None:
        self._find(id_number)
        return self._shard_of.get(id_number)

    def shard_names(self) -> list[str]:
        self._whole()
        return sorted(self._shards)

    def shard_signatures(self) -> dict[str, Signature]:
        """Each village file read: the signature of the content the index holds (read it before
        ``shard_records``: a count made from those records is then never filed under a newer signature)."""
        return {name: shard.signature for name, shard in list(self._shards.items()) if shard.signature is not None}

    def shard_records(self, name: str) -> tuple[list[Record], bool]:
        """The records the index holds from one village file (shared dicts: read-only), and whether they
        are all of that file's records (False while one of them is held from another file, or while the
        file is being re-read)."""
        shard = self._shards.get(name)
        if shard is None:
            return [], True
        records, shard_of = self._records, self._shard_of
        ids = list(shard.doc_ids)
        own = [r for r in (records.get(i) for i in ids if shard_of.get(i) == name) if r is not None]
        return own, len(own) == len(ids)

    def shard_file_signatures(self) -> dict[str, Signature]:
        """The signature of every village file on disk now (one ``stat`` each, nothing read)."""
        try:
            entries = list(os.scandir(self.children_dir))
        except OSError as err:
            raise read_failed(self.children_dir, err) from err
        found = {}
        for entry in entries:
            if layout.is_data_file(entry.name):
                try:
                    found[entry.name[:-5]] = signature_of(entry.stat())
                except FileNotFoundError:
                    continue
        return found

    def data_version(self) -> tuple:
        """The signatures of every data file of the store (village files and collections, one ``stat``
        each): equal versions mean nothing was saved in between, by this process or another."""
        found = []
        base = layout.store_dir(self.root)
        stack = [base]
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as err:
                raise read_failed(folder, err) from err
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif layout.is_data_file(entry.name):
                    try:
                        found.append((entry.path, signature_of(entry.stat())))
                    except FileNotFoundError:
                        continue
        return tuple(sorted(found))

    def in_villages(self, villages: Iterable[object]) -> Iterator[Record]:
        """The records of the village files of ``villages`` (shared dicts, read-only): a lazy store reads only
        those files (in a district, every town's file of a village of that name). A file may also hold children
        of another village of the same file name: filter them."""
        names = {layout.shard_name(v or None) for v in villages}
        try:
            files = [f[:-5] for f in os.listdir(self.children_dir) if layout.is_data_file(f)]
        except OSError:
            files = list(self._shards)
        names |= {n for n in files if layout.is_town_shard(n) and layout.village_of_shard(n) in names}
        if self.lazy and not self.loaded:
            for name in sorted(names):
                shard = self._shards.get(name)
                if (shard is None or shard.signature is None) and (self.children_dir / f"{name}.json").exists():
                    self._read_shard(self._shard(name))
        shard_of = self._shard_of
        return iter([r for i, r in self._records.items() if shard_of[i] in names])

    # -- a lazy store ----------------------------------------------------------------------------------
    def _whole(self) -> None:
        if self.lazy and not self.loaded:
            self.refresh()

    def _find(self, id_number: str) -> None:
        """(lazy) Read the village files that may hold ``id_number`` (``_where``), each once."""
        if not self.lazy or self.loaded or not isinstance(id_number, str) or id_number in self._located:
            return
        if self._where is None:
            self._where = self._map_files()
        for name in self._where.get(id_number, ()):
            shard = self._shard(name)
            if shard.signature is None:
                self._read_shard(shard)
        self._located.add(id_number)

    def _map_files(self) -> dict[str, tuple[str, ...]]:
        """(lazy, once) Which files hold which ID: the hint's keys of each file it knows as it is now, the
        others read (the hint is brought up to date by the next write: ``_keep_hint``). Files are looked at
        once, as a loaded store reads them once: what others save later is read under the locks of a write,
        or by ``refresh``."""
        hint = self._hint = hints.read(self.children_dir)
        where: dict[str, tuple[str, ...]] = {}
        for entry in self._data_entries():
            name = entry.name[:-5]
            try:
                sig = signature_of(entry.stat())
            except FileNotFoundError:
                continue
            shard = self._shards.get(name)          # (a handle only for the files read: each has its locks)
            keys = hint.keys_of(name, sig) if shard is None or shard.signature != sig else None
            if keys is None:
                if shard is None or shard.signature != sig:
                    shard = self._shard(name)
                    self._read_shard(shard)
                    hint.set(name, shard.signature, shard.doc_ids)
                keys = list(shard.doc_ids)
            for key in keys:
                where[key] = (*where[key], name) if key in where else (name,)
        return where

    def _data_entries(self) -> list[os.DirEntry]:
        try:
            return [e for e in os.scandir(self.children_dir) if layout.is_data_file(e.name)]
        except OSError as err:
            raise read_failed(self.children_dir, err) from err

    def _read_shard(self, shard: _Shard) -> None:
        raw, sig = read_bytes(shard.path)
        data = parse_json(shard.path, raw)
        self._sync(shard, data, sig)
        shard.storage.remember(raw, sig, data)     # the next edit of the village skips the parse

    def refresh(self) -> bool:
        """Reload shards changed on disk (by other processes); True if anything changed."""
        changed = False
        seen: set[str] = set()
        gc_was_enabled = gc.isenabled()
        gc.disable()      # loading builds ~a million small objects: cyclic GC passes only cost time
        try:
            changed = self._refresh(seen)
        finally:
            if changed:
                # the loaded records (dicts of strings and lists, no cycles) are long-lived: move them out
                # of the collector's generations, else the next full collection walks all of them (~0.5-1 s
                # at 100,000 children, right after the load and then now and then while the app runs).
                # Refcounting still frees them when a village is reloaded.
                gc.freeze()
            if gc_was_enabled:
                gc.enable()
        for name in [n for n in self._shards if n not in seen and self._shards[n].doc_ids]:
            self._sync(self._shards[name], None, None)
            changed = True
        self.loaded = True
        return changed

    def _keep_hint(self, written: Iterable[str]) -> None:
        """(lazy, after a commit) Remember which IDs each file holds, so that the next command reads only the
        files it needs. Only a write does it: a command that changes nothing leaves the folder as it was."""
        if self.loaded:
            hint = hints.Hint.of((n, s.signature, s.doc_ids) for n, s in self._shards.items())
        else:
            hint = self._hint = self._hint or hints.read(self.children_dir)
            for name in written:
                hint.set(name, self._shards[name].signature, self._shards[name].doc_ids)
        hints.write(self.children_dir, hint)

    def _refresh(self, seen: set[str]) -> bool:
        changed = False
        for entry in self._data_entries():
            name = entry.name[:-5]
            seen.add(name)
            shard = self._shard(name)
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            sig = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            if sig != shard.signature:
                self._read_shard(shard)
                changed = True
        return changed

    # -- index maintenance ---------------------------------------------------------------------------
    def _shard(self, name: str) -> _Shard:
        shard = self._shards.get(name)
        if shard is None:
            shard = self._shards[name] = _Shard(name, self.children_dir / f"{name}.json", self.journal)
        return shard

    def _sync(self, shard: _Shard, data: Any, sig: Signature | None) -> None:
        """Make the index hold exactly what ``data`` (the shard's file content) holds."""
        records, shard_of = self._records, self._shard_of
        name = shard.name
        for id_number in shard.doc_ids:
            if shard_of.get(id_number) == name:
                del records[id_number]
                del shard_of[id_number]
        table = _raw_table(data)
        try:
            by_id = {rec[KEY]: rec for rec in table.values()}
            doc_ids = {rec[KEY]: int(doc_id) for doc_id, rec in table.items()}
        except (KeyError, TypeError, AttributeError):
            by_id = {r[KEY]: r for r in table.values() if isinstance(r, dict) and isinstance(r.get(KEY), str)}
            doc_ids = {r[KEY]: int(d) for d, r in table.items() if isinstance(r, dict) and r.get(KEY) in by_id}
        clashes = by_id.keys() & shard_of.keys()
        # a record can sit in two shards only after a crash in the middle of a village move:
        # the copy with the higher version wins
        for id_number in clashes:
            if records[id_number].get("_v", 0) >= by_id[id_number].get("_v", 0):
                del by_id[id_number]
        records.update(by_id)
        shard_of.update(dict.fromkeys(by_id, name))
        shard.doc_ids = doc_ids
        shard.signature = sig

    @contextlib.contextmanager
    def _locked(self, names: list[str]
                ) -> Iterator[tuple[dict[str, dict[str, Record]], dict[str, Any], list[JournalEntry]]]:
        """Lock shards (sorted order), re-read each by path; yield (name -> raw table, dirty, entries).

        The body changes the shards through their TinyDB tables (the writes are only staged), records in
        ``dirty[name]`` the ids it changed in that shard (None: resync all of it) and adds the journal
        entries of its changes to ``entries``; after the body the staged shards and the entries are
        committed write-ahead (``kbtui.store.txn.commit``). The index is synced with the file when the
        file changed since we last saw it, and after the commit for the dirty shards (``dirty[name]`` may
        also map ids to the very record dicts the body put in the table). On failure nothing
        is written and the touched shards are re-read from disk.
        """
        shards = [self._shard(n) for n in sorted(set(names))]
        with contextlib.ExitStack() as stack:
            for shard in shards:
                stack.enter_context(shard.storage.session())
                shard.storage.defer()
            entries: list[JournalEntry] = []
            raws: dict[str, dict[str, Record]] = {}
            dirty: dict[str, Any] = {}
            for shard in shards:
                data = shard.storage.read()
                if shard.storage.signature != shard.signature:
                    self._sync(shard, data, shard.storage.signature)
                raws[shard.name] = _raw_table(data)
            try:
                yield raws, dirty, entries
                commit([shard.storage for shard in shards], self.journal, entries)
            except BaseException:
                for shard in shards:
                    with contextlib.suppress(StoreError):
                        data, sig = read_json(shard.path)
                        self._sync(shard, data, sig)
                raise
            for name, ids in dirty.items():
                shard = self._shards[name]
                data = shard.storage.read()     # the session cache: exactly what was written
                if ids is None:
                    self._sync(shard, data, shard.storage.signature)
                    continue
                if isinstance(ids, dict):       # the new records themselves: the committed table holds them
                    self._records.update(ids)
                    self._shard_of.update(dict.fromkeys(ids, name))
                    shard.signature = shard.storage.signature
                    continue
                table = _raw_table(data)
                doc_ids = shard.doc_ids
                self._records.update({i: table[str(doc_ids[i])] for i in ids})
                self._shard_of.update(dict.fromkeys(ids, name))
                shard.signature = shard.storage.signature
            if self.lazy:
                self._keep_hint(dirty)

    # -- writing -------------------------------------------------------------------------------------
    def insert_many(self, records: list[Record], operator: str, action: str = "insert",
                    detail: dict[str, Any] | None = None, *, adopt: bool = False) -> int:
        """Insert new children: one lock + one write per shard, one journal line for the batch
        (``journal.bulk_insert_entry``, read back as one entry per child). With ``adopt`` the caller hands
        the dicts over: they become the stored records (completed in place) instead of being copied.

        Bulk path: the records go straight into each shard's table (no TinyDB ``Document`` per record, the
        same file content TinyDB would write)."""
        if not records:
            return 0
        ts = now_ts()
        bookkeeping = {"_v": 1, "_by": operator, "_at": ts}
        ids = list(map(_GET_ID, records))
        if set(map(type, ids)) != {str} or "" in ids:
            raise StoreError("记录缺少身份证号，无法保存")
        if adopt and not any(k[:1] == "_" for k in set().union(*records)):
            for raw in records:
                raw.update(bookkeeping)
            recs = records
        else:
            # bulk imports: records have no bookkeeping key ("_…" sorts before every lowercase key)
            recs = [{**raw, **bookkeeping} if min(raw) >= "`" else
                    {**{k: v for k, v in raw.items() if edits.is_field(k)}, **bookkeeping} for raw in records]
        inserted = dict(zip(ids, recs))
        if len(inserted) != len(recs):
            seen: set[str] = set()
            twice = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise StoreError(f"身份证号 {twice} 在本批数据中重复出现，未保存任何记录")
        by_village: dict[Any, list[Record]] = {}
        for rec in recs:
            place = (rec.get("village"), rec.get("town"))
            try:
                by_village[place].append(rec)
            except KeyError:
                by_village[place] = [rec]
            except TypeError:           # an unhashable village or town: the shard name says what it is
                by_village.setdefault((str(place[0]), str(place[1] or "")), []).append(rec)
        by_shard: dict[str, list[Record]] = {}
        for (village, town), group in by_village.items():
            by_shard.setdefault(layout.shard_name(village, town), []).extend(group)
        self.refresh()

        def refuse_existing() -> None:
            clash = inserted.keys() & self._records.keys()
            if clash:
                raise StoreError(f"身份证号 {min(clash)} 已存在，未保存任何记录")

        refuse_existing()
        with self._locked(list(by_shard)) as (raws, dirty, entries):
            refuse_existing()
            for name in sorted(by_shard):
                storage = self._shards[name].storage
                data = storage.read()           # the session's parsed file (raws[name] is its table)
                if not isinstance(data, dict):
                    data = {}
                table = data.get(TABLE)
                if not isinstance(table, dict):
                    table = data[TABLE] = {}
                recs = by_shard[name]
                ids = list(map(_ID_OF, recs))
                was_empty = not table
                first = max(map(int, table), default=0) + 1
                doc_ids = range(first, first + len(recs))
                table.update(zip(map(str, doc_ids), recs))
                storage.write(data)             # deferred: staged until the commit
                # a new shard: the index learns only the new records after the commit (on failure the shard
                # is re-read); else the whole shard is re-pointed to the committed data (see ``update``)
                self._shards[name].doc_ids.update(zip(ids, doc_ids))
                dirty[name] = dict(zip(ids, recs)) if was_empty else None
            entries.append(bulk_insert_entry(operator, action, inserted, detail, ts))
        return len(inserted)

    def insert(self, record: Record, operator: str, action: str = "insert",
               detail: dict[str, Any] | None = None) -> Record:
        self.insert_many([record], operator, action, detail)
        return self.get(record[KEY])  # type: ignore[return-value]

    def update(self, id_number: str, changes: edits.Changes, operator: str,
               expected_version: int | None = None, action: str = "update",
               detail: dict[str, Any] | None = None, *, base: Record | None = None) -> Record:
        """Change fields of one child. ``changes`` (a dict, or a function of the current record), ``base`` and
        ``expected_version`` are resolved under the shard lock on the record as it is then (``store.edits``):
        StaleEditError when ``expected_version`` is outdated or ``base`` meets another's edit of a field."""
        moving_to = None
        for _attempt in range(5):
            self._find(id_number)
            if _attempt == 0 and not callable(changes) and _MOVES & changes.keys():
                moving_to = layout.record_shard({**(self._records.get(id_number) or {}), **changes})
            source = self._shard_of.get(id_number)
            if source is None:
                self.refresh()
                source = self._shard_of.get(id_number)
                if source is None:
                    raise RecordNotFound(f"找不到身份证号为 {id_number} 的记录")
            locked = {source, moving_to or source}
            with self._locked(list(locked)) as (raws, dirty, entries):
                shard = self._shards[source]
                doc_id = shard.doc_ids.get(id_number)
                current = raws[source].get(str(doc_id)) if doc_id is not None else None
                if doc_id is None or current is None or current.get(KEY) != id_number:
                    self._sync(shard, {TABLE: raws[source]}, shard.storage.signature)
                    continue          # moved by another process meanwhile: locate it again
                wanted = edits.resolve(current, changes, expected_version=expected_version, base=base)
                if KEY in wanted and wanted[KEY] != id_number:
                    raise StoreError("身份证号是记录的主键，不能直接修改；请删除后重新录入")
                diff = edits.diff(current, wanted)
                if not diff:
                    return dict(current)
                target = layout.record_shard({**current, **wanted}) if _MOVES & wanted.keys() else source
                if target not in locked:
                    moving_to = target
                    continue          # a computed change moves the child: lock the other village too
                fields = {k: new for k, (_old, new) in diff.items()}
                fields.update({"_v": current.get("_v", 0) + 1, "_by": operator, "_at": now_ts()})
                stored = {**current, **fields}
                if target == source:
                    # the whole shard is re-pointed after the commit: the index then shares the committed
                    # data that the storage keeps to skip parsing the file at the next edit (one copy)
                    dirty[source] = None
                    # what TinyDB's update writes, without its per-document key conversions of the table
                    raws[source][str(doc_id)] = stored
                    data = shard.storage.read()     # the session's data, whose table raws[source] is
                    assert data is not None
                    shard.storage.write(data)
                else:
                    dirty[source] = dirty[target] = None
                    dest = self._shards[target]
                    # insert first, then remove: a crash in between leaves two copies, never none
                    dest.table.insert(Document(stored, doc_id=dest.next_doc_id(raws[target])))
                    shard.table.remove(doc_ids=[doc_id])
                entries.append(make_entry(operator, action, id_number, diff, detail, fields["_at"], stored))
            return self.get(id_number)  # type: ignore[return-value]
        raise StoreError(f"身份证号为 {id_number} 的记录正被频繁修改，请稍后再试")

    def apply_many(self, updates: list[tuple[str, edits.Changes]], operator: str, action: str = "import",
                   detail: dict[str, Any] | None = None) -> int:
        """Batch updates without version check (imports, a campaign switch): per-shard batched, journaled.
        Each update's changes are a dict or a function of the current record (``store.edits``), resolved
        under the locks in the order given. Returns the number of records actually changed."""
        if not updates:
            return 0
        self.refresh()
        per_id: dict[str, list[edits.Changes]] = {}
        for id_number, changes in updates:
            if id_number not in self._records:
                raise RecordNotFound(f"找不到身份证号为 {id_number} 的记录，本批修改未保存")
            per_id.setdefault(id_number, []).append(changes)
        names = {self._shard_of[i] for i in per_id}
        names |= {layout.record_shard({**self._records[i], **c}) for i, items in per_id.items() for c in items
                  if not callable(c) and _MOVES & c.keys()}
        ts = now_ts()
        for _attempt in range(5):
            with self._locked(list(names)) as (raws, dirty, entries):
                missing = [i for i in per_id if i not in self._records or self._shard_of[i] not in names]
                if missing:
                    raise StoreError(f"身份证号为 {missing[0]} 的记录刚被其他操作员移动或删除，本批修改未保存，请重试")
                planned: list[tuple[str, str, str, int, Record, dict[str, list[Any]]]] = []
                for id_number, items in per_id.items():
                    source = self._shard_of[id_number]
                    doc_id = self._shards[source].doc_ids[id_number]
                    current = raws[source][str(doc_id)]
                    wanted = edits.resolve(current, items[0])
                    for item in items[1:]:      # several updates of one child: each sees the ones before
                        wanted.update(edits.resolve({**current, **wanted}, item))
                    diff = edits.diff(current, wanted)
                    if diff:
                        target = layout.record_shard({**current, **wanted}) if _MOVES & diff.keys() else source
                        planned.append((id_number, source, target, doc_id, current, diff))
                extra = {target for _i, _s, target, *_rest in planned} - names
                if extra:
                    names |= extra
                    continue            # a computed change moves a child: lock its new village too
                dirty.update({name: None for name in names})
                in_place: dict[str, dict[int, dict[str, Any]]] = {}
                moves: dict[tuple[str, str], list[tuple[int, Record]]] = {}
                for id_number, source, target, doc_id, current, diff in planned:
                    fields = {k: new for k, (_old, new) in diff.items()}
                    fields.update({"_v": current.get("_v", 0) + 1, "_by": operator, "_at": ts})
                    stored = {**current, **fields}
                    if target == source:
                        in_place.setdefault(source, {})[doc_id] = fields
                    else:
                        moves.setdefault((source, target), []).append((doc_id, stored))
                    entries.append(make_entry(operator, action, id_number, diff, detail, ts, stored))
                for name, per_doc in in_place.items():
                    per_key = {raws[name][str(d)][KEY]: f for d, f in per_doc.items()}

                    def set_fields(doc: MutableMapping[str, Any], per_key: dict[str, Any] = per_key) -> None:
                        doc.update(per_key[doc[KEY]])
                    self._shards[name].table.update(set_fields, doc_ids=list(per_doc))
                inserts: dict[str, list[Record]] = {}
                removals: dict[str, list[int]] = {}
                for (source, target), moved in moves.items():
                    for doc_id, rec in moved:
                        inserts.setdefault(target, []).append(rec)
                        removals.setdefault(source, []).append(doc_id)
                for target, recs in inserts.items():
                    first = self._shards[target].next_doc_id(raws[target])
                    self._shards[target].table.insert_multiple(
                        Document(rec, doc_id=first + i) for i, rec in enumerate(recs))
                for source, doc_ids in removals.items():
                    self._shards[source].table.remove(doc_ids=doc_ids)
                count = len(entries)
            return count
        raise StoreError("本批修改涉及的记录正被其他操作员频繁修改，本批修改未保存，请稍后再试")

    # -- collections ---------------------------------------------------------------------------------
    def collection(self, name: str):
        """The collection ``name``: one file, or one file per village for those that grow with the
        children (``store.sharded.SHARDED``)."""
        coll = self._collections.get(name)
        if coll is None:
            if name in SHARDED:
                coll = ShardedCollection(self, name, SHARDED[name])
            else:
                coll = Collection(self, name)
            self._collections[name] = coll
        return coll
