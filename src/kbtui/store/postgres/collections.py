"""A collection (people, tasks, visits, cases …) of a town, or of the district (town ''), as rows of
``kbtui.collections`` keyed by (town, name, key), with the file store's ``Collection`` contract.

A document about a child (``id_number``) is stored in the child's town, whoever writes it (the bureau opening
a case, a town's login planning a visit), so that row-level security keeps it in that town: the town's login
role reads, counts and edits it, another town's never sees it. A collection is read at its level (the login
role's town, or the district's '') plus every document about a child the role may see, wherever it is; the
bureau's login reads every town's documents at the district's level: its ``tasks`` are every town's tasks,
its ``town_conflicts`` every town's reports. A key found at two levels (documents written before this rule) is
read once, the collection's own level first. Documents follow their child when it moves to another town
(``move_documents``).

Each write is one transaction with its journal lines (in the town's chain). The file store serialises a
collection's writes by the file lock, which is what lets ``insert_many(check=…)`` keep a rule over all the
documents (one open case per child); here every write takes a transaction-scoped advisory lock on the
collection (its name: a check sees every town's documents), shared for ordinary writes and exclusive for an
insert with a ``check``, so the check sees the documents as they are and none can be added or changed until
it commits.
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


# the rows a collection reads: its own level's, every document about a child, and for the district's own level
# of a login seeing the whole district every town's documents (row-level security decides what is visible)
_SEEN = "name = %s AND (town = %s OR child IS NOT NULL OR %s)"
_OWN_FIRST = "key, (town <> %s), town"


def _child_of(doc: Doc) -> str | None:
    ref = doc.get(CHILD_REF)
    return ref if isinstance(ref, str) and ref else None


def move_documents(conn: psycopg.Connection, id_number: str, old_town: str, new_town: str) -> None:
    """The documents about a child moved to another town go with it (the same transaction as the move)."""
    conn.execute("UPDATE kbtui.collections SET town = %s WHERE child = %s AND town = %s AND NOT EXISTS"
                 " (SELECT 1 FROM kbtui.collections o WHERE o.town = %s AND o.name = collections.name"
                 " AND o.key = collections.key)", (new_town, id_number, old_town, new_town))


class PgCollection:
    def __init__(self, store: PgStore, name: str, town: str):
        safe = layout.safe_name(name)
        if not safe or safe != name:
            raise StoreError(f"集合名称“{name}”不合法（不能含有 / \\ : * ? \" < > | 等字符）")
        self.store, self.name, self.town = store, name, town
        self._whole = town == "" and store.towns is None        # the district's level, read by the bureau

    # -- reading -------------------------------------------------------------------------------------
    def _rows(self, conn: psycopg.Connection, where: str = "", params: tuple = (), lock: str = ""
              ) -> list[tuple[str, str, str]]:
        """(town, key, doc text) of the documents this collection reads, one per key (its own level first)."""
        rows = conn.execute(f"SELECT town, key, doc::text FROM kbtui.collections WHERE {_SEEN}{where}"
                            f" ORDER BY {_OWN_FIRST}{lock}",
                            (self.name, self.town, self._whole, *params, self.town)).fetchall()
        seen: set[str] = set()
        return [r for r in rows if not (r[1] in seen or seen.add(r[1]))]  # type: ignore[func-returns-value]

    def _docs(self, where: str = "", params: tuple = ()) -> list[Doc]:
        with self.store.transaction("读取数据", write=False) as conn:
            return [orjson.loads(text) for _town, _key, text in self._rows(conn, where, params)]

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
            return one_row(conn.execute(f"SELECT count(DISTINCT key) FROM kbtui.collections WHERE {_SEEN}",
                                        (self.name, self.town, self._whole)))[0]

    # -- writing -------------------------------------------------------------------------------------
    def _lock(self, conn: psycopg.Connection, exclusive: bool) -> None:
        kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        conn.execute(f"SELECT {kind}(hashtextextended(%s, 0))", (f"kbtui.collection:{self.name}",))

    def _towns_of(self, conn: psycopg.Connection, docs: list[Doc]) -> dict[str, str]:
        """The town each document is stored in: its child's (as the role sees it), else the collection's."""
        ids = sorted({i for i in map(_child_of, docs) if i})
        known: dict[str, str] = dict(conn.execute(
            "SELECT id_number, town FROM kbtui.children WHERE id_number = ANY(%s)", (ids,)).fetchall()) if ids else {}
        return {d["key"]: known.get(_child_of(d) or "", self.town) for d in docs}

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
                check([orjson.loads(text) for _town, _key, text in self._rows(conn)])
            taken = {key for _town, key, _text in self._rows(conn, " AND key = ANY(%s)",
                                                             ([d["key"] for d in prepared],))}
            if taken and not skip_existing:
                raise StoreError(f"集合“{self.name}”中编号 {min(taken)} 已存在，未保存")
            town_of = self._towns_of(conn, prepared)
            conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
            inserted = []
            with conn.cursor() as cur:
                for doc in prepared:
                    if doc["key"] in taken:
                        continue
                    try:
                        cur.execute("INSERT INTO kbtui.collections (town, name, key, child, v, doc)"
                                    f" VALUES (%s, %s, %s, %s, 1, %s::json){conflict} RETURNING key",
                                    (town_of[doc["key"]], self.name, doc["key"], _child_of(doc),
                                     orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()))
                    except errors.UniqueViolation:
                        raise StoreError(f"集合“{self.name}”中编号 {doc['key']} 已存在，未保存") from None
                    if cur.fetchone() is not None:
                        inserted.append(doc)
            by_town: dict[str, list[JournalEntry]] = {}
            for doc, entry in zip(inserted, insert_entries(self.name, inserted, operator, ts)):
                by_town.setdefault(town_of[doc["key"]], []).append(entry)
            if by_town:
                append_in(conn, by_town, self.store.new_tx())
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
            rows = self._rows(conn, " AND key = %s", (key,), lock=" FOR UPDATE")
            current = orjson.loads(rows[0][2]) if rows else None
            change = resolve_write(self.name, key, current, changes, operator, expected_version, base, create)
            if change is None:
                assert current is not None      # nothing to write happens only to a document there already
                return current
            doc = change.doc
            town = self._towns_of(conn, [doc])[key]
            text = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()
            if current is None:
                # a concurrent creation of the same key raises UniqueViolation: retried, then it is an update
                conn.execute("INSERT INTO kbtui.collections (town, name, key, child, v, doc)"
                             " VALUES (%s, %s, %s, %s, 1, %s::json)", (town, self.name, key, _child_of(doc), text))
            else:
                conn.execute("UPDATE kbtui.collections SET town = %s, child = %s, v = %s, doc = %s::json"
                             " WHERE town = %s AND name = %s AND key = %s",
                             (town, _child_of(doc), doc["_v"], text, rows[0][0], self.name, key))
            append_in(conn, {town: [change.entry]}, self.store.new_tx())
            return doc

        return dict(self.store._retrying(f"保存“{self.name}”", work, (errors.UniqueViolation,) if create else ()))
