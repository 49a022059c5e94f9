"""Does the database hold what the journal says? ``audit verify``'s store half on PostgreSQL.

Every child row records the seq of the line that last changed it in its town's chain (``children.seq``).
That line either holds the record's ``record_digest`` (a change) or is a bulk insert whose records are in
``journal_bulk`` (the stored text, byte for byte). So each row is compared with exactly one line, at one
moment (a REPEATABLE READ snapshot): a row changed, added or deleted around kbtui (by the table owner or a
superuser: the application's roles cannot delete) is found. Collections are not compared here (their rows do
not record their line); the chain check covers their journal.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson

from kbtui.store.consistency import CHANGED, MISSING, UNJOURNALED, Disagreement, StoreCheck
from kbtui.store.postgres.connect import one_row
from kbtui.store.postgres.journal import BULK

if TYPE_CHECKING:
    from kbtui.store.postgres.children import PgStore

TABLE = "kbtui.children"
MOVED_OUT = "move.out"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def check_children(store: PgStore) -> StoreCheck:
    """Every visible child row against its last journal line; journaled children that are gone."""
    found = StoreCheck(files=1)
    with store.transaction("核对数据", write=False, snapshot=True) as conn:
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
            if visible and store.narrowing is None:
                found.problems.append(Disagreement(MISSING, TABLE, gone))
    return found


def _differing(expected: dict, stored: dict) -> list[str]:
    return sorted(k for k in expected.keys() | stored.keys() if expected.get(k) != stored.get(k))
