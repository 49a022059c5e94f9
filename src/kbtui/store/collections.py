"""Small generic collections (people, tasks, visits, cases, placements …), one TinyDB file each.

Documents are dicts keyed by ``key`` (uuid4 hex unless given), versioned with ``_v`` like children. Edits are
resolved under the file's lock on the document as it is then (``store.edits``); ``upsert`` creates a missing
document in the same locked write; ``insert_many(check=…)`` keeps a rule over all the documents (one open
case per child) under the same lock.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tinydb import TinyDB
from tinydb.table import Document

from kbtui.errors import RecordNotFound, StoreError
from kbtui.store import edits, layout
from kbtui.store.journal import JournalEntry, make_entry, now_ts
from kbtui.store.storage import LockedJSONStorage, file_signature
from kbtui.store.txn import commit

if TYPE_CHECKING:
    from kbtui.store.children import ChildStore

Doc = dict[str, Any]
TABLE = "_default"


class Collection:
    def __init__(self, store: ChildStore, name: str):
        safe = layout.safe_name(name)
        if not safe or safe != name:
            raise StoreError(f"集合名称“{name}”不合法（不能含有 / \\ : * ? \" < > | 等字符）")
        self.store = store
        self.name = name
        self.path = layout.collections_dir(store.root) / f"{name}.json"
        self.db = TinyDB(self.path, storage=LockedJSONStorage)
        self.storage: LockedJSONStorage = self.db.storage  # type: ignore[assignment]
        self.storage.journal = store.journal
        self.table = self.db.table(TABLE)
        self._docs: dict[str, Doc] = {}
        self._doc_ids: dict[str, int] = {}
        self._sig: object = object()

    # -- reading -------------------------------------------------------------------------------------
    def _sync(self, data: Any) -> None:
        raw = (data or {}).get(TABLE) or {}
        docs: dict[str, Doc] = {}
        doc_ids: dict[str, int] = {}
        for doc_id, doc in raw.items():
            key = doc.get("key")
            if isinstance(key, str):
                docs[key] = doc
                doc_ids[key] = int(doc_id)
        self._docs, self._doc_ids = docs, doc_ids
        self._sig = self.storage.signature

    def _load(self) -> None:
        if file_signature(self.path) != self._sig:
            self._sync(self.storage.read())

    def get(self, key: str) -> Doc | None:
        self._load()
        doc = self._docs.get(key)
        return dict(doc) if doc is not None else None

    def all(self) -> list[Doc]:
        self._load()
        return [dict(d) for d in self._docs.values()]

    def find(self, **equal_fields: Any) -> list[Doc]:
        self._load()
        items = equal_fields.items()
        return [dict(d) for d in self._docs.values() if all(d.get(k) == v for k, v in items)]

    def __len__(self) -> int:
        self._load()
        return len(self._docs)

    # -- writing -------------------------------------------------------------------------------------
    def insert(self, doc: Doc, operator: str, *, check: Callable[[list[Doc]], None] | None = None) -> Doc:
        return self.insert_many([doc], operator, check=check)[0]

    def insert_many(self, docs: list[Doc], operator: str, *, skip_existing: bool = False,
                    check: Callable[[list[Doc]], None] | None = None) -> list[Doc]:
        """Insert new documents; a key already there refuses the batch, or with ``skip_existing`` (made by
        someone else since the caller looked) leaves that document as it is. Returns the documents inserted.

        ``check(documents)``, when given, runs under the file's lock on every document as it is then, and
        may raise to refuse the batch (nothing is written): a rule such as one open case per child, which a
        check made before the insert cannot keep when two operators insert at once. It must not write or
        change the documents it gets."""
        if not docs:
            return []
        ts = now_ts()
        prepared = prepare_docs(self.name, docs, operator, ts)
        keys = [d["key"] for d in prepared]
        with self.storage.session():
            self.storage.defer()
            try:
                self._sync(self.storage.read())
                if check is not None:
                    check(list(self._docs.values()))
                taken = [key for key in keys if key in self._docs]
                if taken and not skip_existing:
                    raise StoreError(f"集合“{self.name}”中编号 {taken[0]} 已存在，未保存")
                if taken:
                    prepared = [d for d in prepared if d["key"] not in self._docs]
                    keys = [d["key"] for d in prepared]
                    if not prepared:
                        return []
                first = max(self._doc_ids.values(), default=0) + 1
                self.table.insert_multiple(Document(d, doc_id=first + i) for i, d in enumerate(prepared))
                commit([self.storage], self.store.journal, insert_entries(self.name, prepared, operator, ts))
                self._sync(self.storage.read())
            except BaseException:
                self._sig = object()
                raise
        return [dict(self._docs[k]) for k in keys]

    def update(self, key: str, changes: edits.Changes, operator: str, expected_version: int | None = None, *,
               base: Doc | None = None) -> Doc:
        """Change fields of one document; ``changes`` (a dict, or a function of the current document), ``base``
        and ``expected_version`` are resolved under the file's lock (``store.edits``)."""
        return self._write(key, changes, operator, expected_version, base, create=False)

    def upsert(self, key: str, changes: edits.Changes, operator: str, *, base: Doc | None = None) -> Doc:
        """``update``, or create the document when there is none: one locked write, so that two operators
        doing it at once never both create it (the second one's changes go onto the first one's document).
        A function given as ``changes`` receives None when the document does not exist yet."""
        return self._write(key, changes, operator, None, base, create=True)

    def _write(self, key: str, changes: edits.Changes, operator: str, expected_version: int | None,
               base: Doc | None, *, create: bool) -> Doc:
        with self.storage.session():
            self.storage.defer()
            try:
                self._sync(self.storage.read())
                current = self._docs.get(key)
                change = resolve_write(self.name, key, current, changes, operator, expected_version, base, create)
                if change is None:
                    return dict(current)        # type: ignore[arg-type]
                if current is None:
                    self.table.insert(Document(change.doc, doc_id=max(self._doc_ids.values(), default=0) + 1))
                else:
                    self.table.update(change.fields, doc_ids=[self._doc_ids[key]])
                commit([self.storage], self.store.journal, [change.entry])
                self._sync(self.storage.read())
            except BaseException:
                self._sig = object()
                raise
        return dict(self._docs[key])


def prepare_docs(name: str, docs: list[Doc], operator: str, ts: str) -> list[Doc]:
    """New documents as stored: fields only, a key (uuid4 hex unless given), version 1 and who/when."""
    prepared = []
    for raw in docs:
        doc = {k: v for k, v in raw.items() if edits.is_field(k)}
        doc["key"] = str(doc.get("key") or uuid.uuid4().hex)
        doc.update({"_v": 1, "_by": operator, "_at": ts})
        prepared.append(doc)
    keys = [d["key"] for d in prepared]
    if len(set(keys)) != len(keys):
        raise StoreError(f"集合“{name}”本批数据中有重复的编号，未保存")
    return prepared


def insert_entries(name: str, prepared: list[Doc], operator: str, ts: str) -> list[JournalEntry]:
    return [make_entry(operator, "collection.insert", d["key"],
                       {k: [None, v] for k, v in d.items() if edits.is_field(k)},
                       {"collection": name}, ts, d) for d in prepared]


@dataclass
class Change:
    """One document's write worked out under the lock: the stored document, the fields set (an update) and
    its journal entry."""
    doc: Doc
    fields: Doc
    entry: JournalEntry


def resolve_write(name: str, key: str, current: Doc | None, changes: edits.Changes, operator: str,
                  expected_version: int | None, base: Doc | None, create: bool) -> Change | None:
    """What ``update``/``upsert`` of ``key`` writes, given the document as it is under the lock (None:
    there is none); None when nothing changes."""
    if current is None and not create:
        raise RecordNotFound(f"集合“{name}”中找不到编号为 {key} 的记录")
    wanted = edits.resolve(current, changes, expected_version=expected_version, base=base)
    if "key" in wanted and wanted["key"] != key:
        raise StoreError("编号是记录的主键，不能修改")
    ts = now_ts()
    if current is None:
        doc = {"key": key, **wanted, "_v": 1, "_by": operator, "_at": ts}
        action, diff = "collection.insert", {k: [None, v] for k, v in doc.items() if edits.is_field(k)}
        fields = doc
    else:
        diff = edits.diff(current, wanted)
        if not diff:
            return None
        fields = {k: new for k, (_old, new) in diff.items()}
        fields.update({"_v": current.get("_v", 0) + 1, "_by": operator, "_at": ts})
        action = "collection.update"
        doc = {**current, **fields}
    return Change(doc, fields, make_entry(operator, action, key, diff, {"collection": name}, ts, doc))
