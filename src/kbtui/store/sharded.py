"""A collection that grows with the children (visit tasks: one per child to visit), one file per village.

``store/collections/<name>/<village>.json`` instead of one ``<name>.json``: an edit locks, re-reads and
rewrites only the file of its document's village (a visit of a 100,000-child county rewrote a 16 MB task file
before), exactly like the children's village files. The API, the locks, the write-ahead commit and the journal
entries are those of ``Collection``: a document's journal entries name the collection and its key, never
the file, so moving documents between files changes nothing the journal says. A document whose village
changes moves to its new village's file in the same transaction (both files locked).

Reading: the keys of each file are found without parsing it (a regular expression over its bytes, the file
as ``orjson`` writes it), or without reading it when ``store.hints`` knows the file as it is; a file is parsed
when one of its documents is asked for, or for ``all``/``find``. Each later read only ``stat``s the files and
re-reads the changed ones.

A key is unique across the files as far as the files say when the write's own files are locked (the
children's rule: an insert is refused when any village file holds the key).

An old data folder's single ``<name>.json`` is split into village files the first time the collection is
opened (under its lock and the new files' locks; the old file is removed last, so an interrupted split is
done again, the documents merged by version).
"""
from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kbtui.errors import RecordNotFound, StoreError
from kbtui.store import hints, layout
from kbtui.store.collections import TABLE, Doc, insert_entries, prepare_docs, resolve_write
from kbtui.store.errors import read_failed, write_failed
from kbtui.store.journal import JournalEntry, now_ts
from kbtui.store.storage import (
    LockedJSONStorage,
    Signature,
    cleanup_temp_files,
    fsync_dir,
    parse_json,
    read_bytes,
    signature_of,
    target_of_pending,
)
from kbtui.store.txn import commit

if TYPE_CHECKING:
    from kbtui.store.children import ChildStore

# the collections kept one file per village, and the document field that names the village
SHARDED: dict[str, str] = {"tasks": "village"}

_COMPACT = b'{"' + TABLE.encode() + b'":{'
_KEYS = re.compile(rb'"key":"((?:[^"\\]|\\.)*)"')


def _keys_in(raw: bytes) -> set[str] | None:
    """The document keys in a file's bytes without parsing it (None: not a file as the store writes it).
    A nested ``"key"`` field may add a false key: harmless, the file is then parsed for nothing."""
    if not raw.startswith(_COMPACT):
        return None
    if b"\\" not in raw:
        return {m.decode("utf-8") for m in _KEYS.findall(raw)}
    return {orjson.loads(b'"' + m + b'"') for m in _KEYS.findall(raw)}


class _Part:
    """One village file: its storage, its keys, and its documents once parsed."""

    def __init__(self, name: str, path: Path, journal: Any):
        self.name = name
        self.path = path
        self.storage = LockedJSONStorage(path)
        self.storage.journal = journal
        self.signature: Signature | None = None
        self.keys: set[str] = set()
        self.docs: dict[str, Doc] | None = None          # None: not parsed
        self.doc_ids: dict[str, int] = {}

    def take(self, data: Any, sig: Signature | None) -> None:
        raw = (data or {}).get(TABLE) if isinstance(data, dict) else None
        docs: dict[str, Doc] = {}
        doc_ids: dict[str, int] = {}
        for doc_id, doc in (raw or {}).items():
            key = doc.get("key") if isinstance(doc, dict) else None
            if isinstance(key, str):
                docs[key] = doc
                doc_ids[key] = int(doc_id)
        self.docs, self.doc_ids, self.keys, self.signature = docs, doc_ids, set(docs), sig


class ShardedCollection:
    def __init__(self, store: ChildStore, name: str, field: str):
        self.store = store
        self.name = name
        self.field = field
        self.dir = layout.collections_dir(store.root) / name
        self.path = self.dir
        self.legacy = layout.collections_dir(store.root) / f"{name}.json"
        self._parts: dict[str, _Part] = {}
        self._where: dict[str, str] = {}
        if self.legacy.exists():
            self.migrate()

    # -- files ---------------------------------------------------------------------------------------
    def shard_of(self, doc: Doc) -> str:
        """A document's file: its village's, in a district its town's village (two towns may have a 新村)."""
        return layout.shard_name(doc.get(self.field) or None, doc.get("town"))

    def _part(self, name: str) -> _Part:
        part = self._parts.get(name)
        if part is None:
            part = self._parts[name] = _Part(name, self.dir / f"{name}.json", self.store.journal)
        return part

    def _scan(self) -> None:
        """Bring the keys of every file up to date: a ``stat`` each, changed files re-read."""
        try:
            entries = list(os.scandir(self.dir))
        except FileNotFoundError:
            entries = []
        except OSError as err:
            raise read_failed(self.dir, err) from err
        seen = set()
        hint: hints.Hint | None = None        # read when a file is met the first time
        for entry in entries:
            if not layout.is_data_file(entry.name):
                continue
            name = entry.name[:-5]
            seen.add(name)
            part = self._part(name)
            try:
                sig = signature_of(entry.stat())
            except FileNotFoundError:
                continue
            if sig == part.signature:
                continue
            if part.signature is None:
                hint = hint or hints.read(self.dir)
                keys = hint.keys_of(name, sig)
                if keys is not None:
                    self._unindex(part)
                    part.keys, part.docs, part.signature = set(keys), None, sig
                    self._index(part)
                    continue
            self._reload(part, keys_only=True)
        for name in [n for n, p in self._parts.items() if n not in seen and p.signature is not None]:
            self._set(self._parts[name], None, None)

    def _reload(self, part: _Part, keys_only: bool = False) -> None:
        raw, sig = read_bytes(part.path)
        keys = _keys_in(raw) if keys_only and raw is not None else None
        if keys is None:
            data = parse_json(part.path, raw)
            self._set(part, data, sig)
            part.storage.remember(raw, sig, data)
            return
        self._unindex(part)
        part.keys, part.docs, part.signature = keys, None, sig
        self._index(part)

    def _unindex(self, part: _Part) -> None:
        for key in part.keys:
            if self._where.get(key) == part.name:
                del self._where[key]

    def _index(self, part: _Part) -> None:
        for key in part.keys:
            self._where.setdefault(key, part.name)

    def _set(self, part: _Part, data: Any, sig: Signature | None) -> None:
        self._unindex(part)
        part.take(data, sig)
        self._index(part)

    def _docs_of(self, part: _Part) -> dict[str, Doc]:
        if part.docs is None or part.signature != signature_of_path(part.path):
            self._reload(part)
        return part.docs or {}

    def _locate(self, key: str) -> Doc | None:
        self._scan()
        name = self._where.get(key)
        if name is None:
            return None
        doc = self._docs_of(self._parts[name]).get(key)
        if doc is None:         # a false key (a nested "key" field), or another copy elsewhere
            for part in self._parts.values():
                if key in part.keys and (found := self._docs_of(part).get(key)) is not None:
                    self._where[key] = part.name
                    return found
        return doc

    def _every(self) -> Iterator[Doc]:
        self._scan()
        seen: set[str] = set()
        for name in sorted(self._parts):
            part = self._parts[name]
            if part.signature is None:
                continue
            for key, doc in self._docs_of(part).items():
                if key not in seen and self._where.get(key) == name:
                    seen.add(key)
                    yield doc

    # -- reading -------------------------------------------------------------------------------------
    def get(self, key: str) -> Doc | None:
        doc = self._locate(key)
        return dict(doc) if doc is not None else None

    def all(self) -> list[Doc]:
        return [dict(d) for d in self._every()]

    def find(self, **equal_fields: Any) -> list[Doc]:
        items = equal_fields.items()
        return [dict(d) for d in self._every() if all(d.get(k) == v for k, v in items)]

    def __len__(self) -> int:
        self._scan()
        return len(self._where)

    # -- writing -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, names: Iterable[str]) -> Iterator[dict[str, dict[str, Any]]]:
        """Lock the files (sorted order), re-read each; yields name -> its parsed data, to change in place.
        After the body the changed files (those whose data the body marked ``_dirty``) and the entries in
        ``self._entries`` are committed write-ahead; on failure nothing is written."""
        try:
            layout.ensure_private_dir(self.dir)
        except OSError as err:
            raise write_failed(self.dir, err) from err
        parts = [self._part(n) for n in sorted(set(names))]
        with contextlib.ExitStack() as stack:
            for part in parts:
                stack.enter_context(part.storage.session())
                part.storage.defer()
            datas: dict[str, dict[str, Any]] = {}
            for part in parts:
                data = part.storage.read()
                data = data if isinstance(data, dict) else {}
                if not isinstance(data.get(TABLE), dict):
                    data[TABLE] = {}
                if part.storage.signature != part.signature or part.docs is None:
                    self._set(part, data, part.storage.signature)
                datas[part.name] = data
            self._entries: list[JournalEntry] = []
            self._dirty: set[str] = set()
            try:
                yield datas
                for name in self._dirty:
                    self._parts[name].storage.write(datas[name])
                commit([p.storage for p in parts], self.store.journal, self._entries)
            except BaseException:
                for part in parts:
                    part.signature = None           # read again next time
                raise
            for name in self._dirty:
                part = self._parts[name]
                self._set(part, part.storage.read(), part.storage.signature)
            if self._dirty and self.store.lazy:
                # the command line: the next command reads only the files it needs (only a write does it)
                hints.write(self.dir, hints.Hint.of((p.name, p.signature, p.keys) for p in self._parts.values()))

    def insert(self, doc: Doc, operator: str, *, check: Callable[[list[Doc]], None] | None = None) -> Doc:
        return self.insert_many([doc], operator, check=check)[0]

    def insert_many(self, docs: list[Doc], operator: str, *, skip_existing: bool = False,
                    check: Callable[[list[Doc]], None] | None = None) -> list[Doc]:
        """As ``Collection.insert_many``; each document goes to its village's file. With ``check`` every file
        is locked (the rule is over all the documents)."""
        if not docs:
            return []
        ts = now_ts()
        prepared = prepare_docs(self.name, docs, operator, ts)
        by_part: dict[str, list[Doc]] = {}
        for doc in prepared:
            by_part.setdefault(self.shard_of(doc), []).append(doc)
        self._scan()
        names = set(by_part) | (set(self._parts) if check is not None else set())
        with self._locked(names) as datas:
            self._scan()
            if check is not None:
                check(list(self._every()))
            taken = {d["key"] for d in prepared if d["key"] in self._where}
            if taken and not skip_existing:
                raise StoreError(f"集合“{self.name}”中编号 {min(taken)} 已存在，未保存")
            prepared = [d for d in prepared if d["key"] not in taken]
            if not prepared:
                return []
            for name, group in by_part.items():
                group = [d for d in group if d["key"] not in taken]
                if not group:
                    continue
                table = datas[name][TABLE]
                first = max(map(int, table), default=0) + 1
                table.update((str(first + i), d) for i, d in enumerate(group))
                self._dirty.add(name)
            self._entries += insert_entries(self.name, prepared, operator, ts)
        return [dict(d) for d in prepared]

    def update(self, key: str, changes: Any, operator: str, expected_version: int | None = None, *,
               base: Doc | None = None) -> Doc:
        return self._write(key, changes, operator, expected_version, base, create=False)

    def upsert(self, key: str, changes: Any, operator: str, *, base: Doc | None = None) -> Doc:
        return self._write(key, changes, operator, None, base, create=True)

    def _write(self, key: str, changes: Any, operator: str, expected_version: int | None, base: Doc | None, *,
               create: bool) -> Doc:
        moving_to: str | None = None
        for _attempt in range(5):
            found = self._locate(key)
            if found is None and not create:
                raise RecordNotFound(f"集合“{self.name}”中找不到编号为 {key} 的记录")
            if found is not None:
                source = self._where[key]
            else:
                # a new document: its village is known once its fields are (worked out again under the lock)
                source = self.shard_of(resolve_write(self.name, key, None, changes, operator, None, base,
                                                     True).doc)  # type: ignore[union-attr]
            names = {source, moving_to or source}
            with self._locked(names) as datas:
                self._scan()
                where = self._where.get(key)
                if (found is None) != (where is None) or (where is not None and where != source):
                    continue              # made or moved by another process meanwhile: look again
                table = datas[source][TABLE]
                part = self._parts[source]
                doc_id = part.doc_ids.get(key)
                current = table.get(str(doc_id)) if doc_id is not None else None
                change = resolve_write(self.name, key, current, changes, operator, expected_version, base, create)
                if change is None:
                    return dict(current)      # type: ignore[arg-type]
                target = self.shard_of(change.doc)
                if target not in names:
                    moving_to = target
                    continue              # the change moves the document to another village: lock that one too
                if doc_id is not None and target == source:
                    table[str(doc_id)] = change.doc
                else:
                    if doc_id is not None:
                        del table[str(doc_id)]
                    dest = datas[target][TABLE]
                    dest[str(max(map(int, dest), default=0) + 1)] = change.doc
                self._dirty |= {source, target}
                self._entries.append(change.entry)
            return dict(change.doc)
        raise StoreError(f"集合“{self.name}”中编号为 {key} 的记录正被频繁修改，请稍后再试")

    # -- upkeep --------------------------------------------------------------------------------------
    def recover_pending(self) -> None:
        """Settle the write-ahead files killed writers left in the village files' folder."""
        cleanup_temp_files(self.dir)
        try:
            names = [t for t in map(target_of_pending, os.listdir(self.dir)) if t and layout.is_data_file(t)]
        except FileNotFoundError:
            return
        except OSError as err:
            raise read_failed(self.dir, err) from err
        for target in names:
            self._part(target[:-5]).storage.settle_before_reading()

    def migrate(self) -> None:
        """Split the old single file into village files (see the module's docstring). On a read-only data
        folder nothing can be written: the old file is read as the only part."""
        if not os.access(self.legacy.parent, os.W_OK):
            part = self._parts[""] = _Part("", self.legacy, self.store.journal)
            self._reload(part)
            self._scan = lambda: None       # type: ignore[method-assign]
            return
        old = LockedJSONStorage(self.legacy)
        old.journal = self.store.journal
        with old.session():
            if not self.legacy.exists():
                return                      # split by another process meanwhile
            data = old.read()
            docs = [d for d in ((data or {}).get(TABLE) or {}).values()
                    if isinstance(d, dict) and isinstance(d.get("key"), str)]
            by_part: dict[str, list[Doc]] = {}
            for doc in docs:
                by_part.setdefault(self.shard_of(doc), []).append(doc)
            layout.ensure_private_dir(self.dir)
            with contextlib.ExitStack() as stack:
                parts = [self._part(n) for n in sorted(by_part)]
                for part in parts:
                    stack.enter_context(part.storage.session())
                for part in parts:
                    existing = part.storage.read()
                    table = dict(((existing or {}).get(TABLE) or {}).items()) if isinstance(existing, dict) else {}
                    have = {d.get("key"): (i, d) for i, d in table.items() if isinstance(d, dict)}
                    for doc in by_part[part.name]:
                        if doc["key"] in have:
                            doc_id, mine = have[doc["key"]]
                            if mine.get("_v", 0) >= doc.get("_v", 0):
                                continue
                            table[doc_id] = doc
                        else:
                            table[str(max(map(int, table), default=0) + 1)] = doc
                    part.storage.write({TABLE: table})      # atomic and durable, as every store write
            os.unlink(self.legacy)
            fsync_dir(self.legacy.parent)


def signature_of_path(path: Path) -> Signature | None:
    try:
        return signature_of(os.stat(path))
    except FileNotFoundError:
        return None


__all__ = ["SHARDED", "ShardedCollection"]
