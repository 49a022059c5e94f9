"""A collection (people, tasks, visits, cases …) of a town, or of the district (town ''), as rows of
``kbtui.collections`` keyed by (town, name, key), with the file store's ``Collection`` contract.

Each write is one transaction with its journal lines (in the town's chain). The file store serialises a
collection's writes by the file lock, which is what lets ``insert_many(check=…)`` keep a rule over all the
documents (one open case per child); here every write takes a transaction-scoped advisory lock on the
collection, shared for ordinary writes and exclusive for an insert with a ``check``, so the check sees the
documents as they are and none can be added or changed until it commits.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from psycopg import errors

from kbtui.errors import StoreError
from kbtui.store import edits, layout
from kbtui.store.collections import insert_entries, prepare_docs, resolve_write
from kbtui.store.journal import JournalEntry, now_ts
from kbtui.store.postgres.connect import one_row
from kbtui.store.postgres.journal import append_in

if TYPE_CHECKING:
    from kbtui.store.postgres.children import PgStore

Doc = dict[str, Any]
CHILD_REF = "id_number"


def _child_of(doc: Doc) -> str | None:
    ref = doc.get(CHILD_REF)
    return ref if isinstance(ref, str) and ref else None


class PgCollection:
    def __init__(self, store: PgStore, name: str, town: str):
        safe = layout.safe_name(name)
        if not safe or safe != name:
            raise StoreError(f"集合名称“{name}”不合法（不能含有 / \\ : * ? \" < > | 等字符）")
        self.store, self.name, self.town = store, name, town

    # -- reading -------------------------------------------------------------------------------------
    def _docs(self, where: str = "", params: tuple = ()) -> list[Doc]:
        with self.store.transaction("读取数据", write=False) as conn:
            rows = conn.execute("SELECT doc::text FROM kbtui.collections WHERE town = %s AND name = %s" + where
                                + " ORDER BY key", (self.town, self.name, *params)).fetchall()
        return [orjson.loads(text) for (text,) in rows]

    def get(self, key: str) -> Doc | None:
        found = self._docs(" AND key = %s", (key,))
        return found[0] if found else None

    def all(self) -> list[Doc]:
        return self._docs()

    def find(self, **equal_fields: Any) -> list[Doc]:
        items = equal_fields.items()
        return [d for d in self._docs() if all(d.get(k) == v for k, v in items)]

    def __len__(self) -> int:
        with self.store.transaction("读取数据", write=False) as conn:
            return one_row(conn.execute("SELECT count(*) FROM kbtui.collections WHERE town = %s AND name = %s",
                                        (self.town, self.name)))[0]

    # -- writing -------------------------------------------------------------------------------------
    def _lock(self, conn: psycopg.Connection, exclusive: bool) -> None:
        kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        conn.execute(f"SELECT {kind}(hashtextextended(%s, 0))", (f"kbtui.collection:{self.town}:{self.name}",))

    def _journal(self, conn: psycopg.Connection, entries: list[JournalEntry]) -> None:
        append_in(conn, {self.town: entries}, self.store.new_tx())

    def insert(self, doc: Doc, operator: str, *, check: Callable[[list[Doc]], None] | None = None) -> Doc:
        return self.insert_many([doc], operator, check=check)[0]

    def insert_many(self, docs: list[Doc], operator: str, *, skip_existing: bool = False,
                    check: Callable[[list[Doc]], None] | None = None) -> list[Doc]:
        if not docs:
            return []
        ts = now_ts()
        prepared = prepare_docs(self.name, docs, operator, ts)

        def work(conn: psycopg.Connection) -> list[Doc]:
            self._lock(conn, exclusive=check is not None)
            if check is not None:
                check([orjson.loads(t) for (t,) in conn.execute(
                    "SELECT doc::text FROM kbtui.collections WHERE town = %s AND name = %s ORDER BY key",
                    (self.town, self.name))])
            conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
            inserted = []
            with conn.cursor() as cur:
                for doc in prepared:
                    try:
                        cur.execute("INSERT INTO kbtui.collections (town, name, key, child, v, doc)"
                                    f" VALUES (%s, %s, %s, %s, 1, %s::json){conflict} RETURNING key",
                                    (self.town, self.name, doc["key"], _child_of(doc),
                                     orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()))
                    except errors.UniqueViolation:
                        raise StoreError(f"集合“{self.name}”中编号 {doc['key']} 已存在，未保存") from None
                    if cur.fetchone() is not None:
                        inserted.append(doc)
            if inserted:
                self._journal(conn, insert_entries(self.name, inserted, operator, ts))
            return inserted

        return [dict(d) for d in self.store._retrying(f"保存“{self.name}”", work)]

    def update(self, key: str, changes: edits.Changes, operator: str, expected_version: int | None = None, *,
               base: Doc | None = None) -> Doc:
        return self._write(key, changes, operator, expected_version, base, create=False)

    def upsert(self, key: str, changes: edits.Changes, operator: str, *, base: Doc | None = None) -> Doc:
        return self._write(key, changes, operator, None, base, create=True)

    def _write(self, key: str, changes: edits.Changes, operator: str, expected_version: int | None,
               base: Doc | None, *, create: bool) -> Doc:
        def work(conn: psycopg.Connection) -> Doc:
            self._lock(conn, exclusive=False)
            row = conn.execute("SELECT doc::text FROM kbtui.collections WHERE town = %s AND name = %s AND key = %s"
                               " FOR UPDATE", (self.town, self.name, key)).fetchone()
            current = orjson.loads(row[0]) if row else None
            change = resolve_write(self.name, key, current, changes, operator, expected_version, base, create)
            if change is None:
                assert current is not None      # nothing to write happens only to a document there already
                return current
            doc = change.doc
            text = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()
            if current is None:
                # a concurrent creation of the same key raises UniqueViolation: retried, then it is an update
                conn.execute("INSERT INTO kbtui.collections (town, name, key, child, v, doc)"
                             " VALUES (%s, %s, %s, %s, 1, %s::json)", (self.town, self.name, key, _child_of(doc), text))
            else:
                conn.execute("UPDATE kbtui.collections SET child = %s, v = %s, doc = %s::json"
                             " WHERE town = %s AND name = %s AND key = %s",
                             (_child_of(doc), doc["_v"], text, self.town, self.name, key))
            self._journal(conn, [change.entry])
            return doc

        return dict(self.store._retrying(f"保存“{self.name}”", work, (errors.UniqueViolation,) if create else ()))
