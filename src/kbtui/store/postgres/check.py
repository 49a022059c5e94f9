"""Does the database hold what the journal says? ``audit verify``'s store half on PostgreSQL (and a restore's).

Every child row records the seq of the line that last changed it in its town's chain (``children.seq``).
That line either holds the record's ``record_digest`` (a change) or is a bulk insert whose records are in
``journal_bulk`` (the stored text, byte for byte). So each row is compared with exactly one line, at one
moment (a REPEATABLE READ snapshot): a row changed, added or deleted around kbtui (by the table owner or a
superuser: the application's roles cannot delete) is found.

A collection document (tasks, cases, visits, people …) is compared with the last line of its town's chain
about it (``journal.coll`` = the collection, ``record`` = its key), which holds its digest: a document changed,
added or deleted around kbtui is found the same way.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson
import psycopg

from kbtui.store.consistency import CHANGED, EXPLAINED, MISSING, UNJOURNALED, Disagreement, StoreCheck, differing_fields
from kbtui.store.postgres.connect import one_row
from kbtui.store.postgres.journal import BULK

if TYPE_CHECKING:
    from kbtui.store.postgres.children import PgStore

TABLE = "kbtui.children"
COLLECTIONS = "kbtui.collections"
MOVED_OUT = "move.out"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def collection_file(town: str, name: str) -> str:
    """How a collection is named in a problem (the file store names its file)."""
    return f"{COLLECTIONS}（{town + '的' if town else ''}“{name}”）"


def check_store(store: PgStore) -> StoreCheck:
    """The rows this login role may see against the journal, at one moment; the first changed records with
    the fields that differ (replayed from the journal)."""
    with store.transaction("核对数据", write=False, snapshot=True) as conn:
        found = check_rows(conn, whole=store.narrowing is None)
    for problem in [p for p in found.problems if p.kind == CHANGED][:EXPLAINED]:
        collection = None if problem.file == TABLE else problem.detail
        current = store.get(str(problem.record)) if collection is None else \
            store.collection(collection, town=problem.expected_file or "").get(str(problem.record))
        if current is not None:
            problem.fields = problem.fields or differing_fields(store.journal, problem.record, current, collection,
                                                               set())
    return found


def check_rows(conn: psycopg.Connection, *, whole: bool = True) -> StoreCheck:
    """Children and collection rows against the journal in ``conn``'s transaction (a snapshot). ``whole``:
    the role sees every row of its towns (no village or school narrowing), so a journaled row that is not
    there is missing rather than out of sight."""
    found = StoreCheck(files=1)
    _check_children(conn, found, whole)
    _check_collections(conn, found)
    return found


def _check_children(conn: psycopg.Connection, found: StoreCheck, whole: bool) -> None:
    bulk_text: dict[str, dict[str, str]] = {}

    def bulk_record(tx: str, id_number: str) -> str | None:
        if tx not in bulk_text:
            bulk_text[tx] = {}
            for (text,) in conn.execute("SELECT records FROM kbtui.journal_bulk WHERE tx = %s ORDER BY n", (tx,)):
                for line in text.splitlines():
                    bulk_text[tx][orjson.loads(line)["id_number"]] = line
        return bulk_text[tx].get(id_number)

    rows = conn.execute(
        "SELECT c.id_number, c.seq, c.doc::text, j.tx, j.record, j.body FROM kbtui.children c"
        " LEFT JOIN kbtui.journal j ON j.chain = c.town AND j.seq = c.seq ORDER BY c.id_number").fetchall()
    for id_number, seq, doc, tx, record, body in rows:
        found.children += 1
        if body is None:
            found.problems.append(Disagreement(UNJOURNALED, TABLE, id_number))
            continue
        entry = orjson.loads(body)
        if BULK in entry:
            expected = bulk_record(tx, id_number)
            if expected is None:
                found.problems.append(Disagreement(UNJOURNALED, TABLE, id_number, seq))
            elif expected != doc:
                found.problems.append(Disagreement(CHANGED, TABLE, id_number, seq,
                                                   fields=_differing(orjson.loads(expected), orjson.loads(doc))))
        elif record != id_number:
            found.problems.append(Disagreement(UNJOURNALED, TABLE, id_number, seq))
        elif entry.get("digest") is None:
            found.unverifiable += 1
        elif entry["digest"] != _digest(doc):
            found.problems.append(Disagreement(CHANGED, TABLE, id_number, seq))
    present = {r[0] for r in rows}
    journaled = {r for (r,) in conn.execute(
        "SELECT DISTINCT record FROM kbtui.journal WHERE record IS NOT NULL AND coll IS NULL AND action <> %s",
        (MOVED_OUT,))}
    for (text,) in conn.execute("SELECT records FROM kbtui.journal_bulk"):
        journaled.update(orjson.loads(line)["id_number"] for line in text.splitlines())
    for gone in sorted(journaled - present):
        visible = one_row(conn.execute("SELECT kbtui.may_see_town(coalesce((SELECT town FROM kbtui.children"
                                       " WHERE id_number = %s), ''))", (gone,)))[0]
        if visible and whole:
            found.problems.append(Disagreement(MISSING, TABLE, gone))


def _check_collections(conn: psycopg.Connection, found: StoreCheck) -> None:
    """Each document against the last line of its town's chain about it; journaled documents that are gone.
    (A document about a child out of this role's sight is out of sight too: row-level security.) Two scans
    joined here: the last line of every document, every document."""
    latest: dict[tuple[str, str, str], tuple[int, str, str]] = {
        (chain, name, key): (seq, body, action) for chain, name, key, seq, body, action in conn.execute(
            "SELECT DISTINCT ON (chain, coll, record) chain, coll, record, seq, body, action FROM kbtui.journal"
            " WHERE coll IS NOT NULL AND record IS NOT NULL ORDER BY chain, coll, record, seq DESC")}
    present: set[tuple[str, str, str]] = set()
    for town, name, key, doc in conn.execute(
            "SELECT town, name, key, doc::text FROM kbtui.collections ORDER BY town, name, key"):
        found.documents += 1
        present.add((town, name, key))
        where = collection_file(town, name)
        line = latest.get((town, name, key))
        if line is None:
            found.problems.append(Disagreement(UNJOURNALED, where, key, expected_file=town, detail=name))
            continue
        digest = orjson.loads(line[1]).get("digest")
        if digest is None:
            found.unverifiable += 1
        elif digest != _digest(doc):
            found.problems.append(Disagreement(CHANGED, where, key, line[0], expected_file=town, detail=name))
    for (town, name, key), (seq, _body, action) in sorted(latest.items()):
        if (town, name, key) in present or action == "collection.remove":
            continue
        child = _child_of_document(conn, town, name, key)
        if child is not None and not _child_visible(conn, child):
            continue            # its child is out of this role's sight: so is the document
        found.problems.append(Disagreement(MISSING, collection_file(town, name), key, seq, expected_file=town,
                                           detail=name))


def _child_of_document(conn: psycopg.Connection, town: str, name: str, key: str) -> str | None:
    """The child a journaled document is about (its first line's ``id_number``), if any."""
    row = conn.execute("SELECT body FROM kbtui.journal WHERE chain = %s AND coll = %s AND record = %s"
                       " ORDER BY seq LIMIT 1", (town, name, key)).fetchone()
    changes: Any = (orjson.loads(row[0]).get("changes") or {}) if row else {}
    pair = changes.get("id_number") if isinstance(changes, dict) else None
    return pair[1] if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str) else None


def _child_visible(conn: psycopg.Connection, id_number: str) -> bool:
    return conn.execute("SELECT 1 FROM kbtui.children WHERE id_number = %s", (id_number,)).fetchone() is not None


def _differing(expected: dict, stored: dict) -> list[str]:
    return sorted(k for k in expected.keys() | stored.keys() if expected.get(k) != stored.get(k))
