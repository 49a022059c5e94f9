"""The journal as a table: one hash chain per town (and ``''`` for the district or a township's one chain).

A line is what the file journal writes: ``body`` = ``journal.serialise_entry(entry with _tx, chain, seq, prev)``
and ``hash = sha256(body)``. A write locks its chains' head rows (``kbtui.journal_lock``, sorted order, last
of its locks) and inserts its lines; the BEFORE INSERT trigger refuses a line that does not follow its head
or whose hash is not its body's, signs it with the key kept in ``kbtui_private`` (the application never holds
it) and moves the head. So concurrent writers cannot fork a chain, and neither can a client that skips the
lock. A bulk insert is one line per chain whose body holds ``inserted_rows`` (count and sha256 of the
records' lines); the records are in ``journal_bulk``, 1,000 a row.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import orjson
import psycopg

from kbtui.errors import StoreError
from kbtui.store.journal import INSERTED, KEY_ACTION, JournalEntry, expand_bulk, serialise_entry
from kbtui.store.postgres.connect import one_row

if TYPE_CHECKING:
    from kbtui.store.postgres.children import PgStore

BULK = "inserted_rows"          # the key of a bulk insert line's claim over its records
CHUNK = 1000                    # records per journal_bulk row

_INSERT = ("INSERT INTO kbtui.journal (chain, seq, prev, hash, tx, ts, operator, action, record, coll, body)"
           " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING mac")


def chain_label(chain: str) -> str:
    return f"{chain}的" if chain else ""


def lock_chains(conn: psycopg.Connection, chains: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Lock the heads of ``chains`` (sorted: no deadlock between writers of several chains), starting a
    chain that has none yet: {chain: (seq, hash)}."""
    heads = {}
    for chain in sorted(set(chains)):
        seq, head_hash = one_row(conn.execute("SELECT seq, hash FROM kbtui.journal_lock(%s)", (chain,)))
        if seq is None:
            conn.execute("SELECT kbtui.chain_start(%s)", (chain,))
            seq, head_hash = one_row(conn.execute("SELECT seq, hash FROM kbtui.journal_lock(%s)", (chain,)))
        if seq is None:
            raise StoreError(f"“{chain or '区县'}”不在本数据库账号可管理的乡镇范围内，不能写入它的日志，修改未保存")
        heads[chain] = (seq, head_hash)
    return heads


def append_in(conn: psycopg.Connection, by_chain: dict[str, list[JournalEntry]], tx: str
              ) -> dict[str, list[dict[str, Any]]]:
    """Append each chain's entries inside the caller's transaction (its last locks): the stored entries."""
    heads = lock_chains(conn, by_chain)
    stored: dict[str, list[dict[str, Any]]] = {}
    rows = []
    for chain in sorted(by_chain):
        seq, prev = heads[chain]
        out = stored[chain] = []
        for entry in by_chain[chain]:
            seq += 1
            line: dict[str, Any] = {**entry, "_tx": tx, "chain": chain, "seq": seq, "prev": prev}
            body = serialise_entry(line)
            line["hash"] = prev = hashlib.sha256(body).hexdigest()
            out.append(line)
            coll = (line.get("detail") or {}).get("collection") if line["action"].startswith("collection.") else None
            rows.append((chain, seq, line["prev"], prev, tx, line["ts"], line["operator"], line["action"],
                         line.get("record"), coll, body.decode()))
    with conn.cursor() as cur:
        cur.executemany(_INSERT, rows, returning=True)
        macs = []
        while True:
            macs.append(one_row(cur)[0])
            if not cur.nextset():
                break
    for line, mac in zip((e for chain in sorted(stored) for e in stored[chain]), macs):
        line["mac"] = mac
    return stored


def _parse(body: str, hash_: str, mac: str) -> dict[str, Any]:
    entry = orjson.loads(body)
    entry["hash"], entry["mac"] = hash_, mac
    return entry


class PgJournal:
    """The journal of a PostgreSQL store, as the repository contract's ``JournalRepository``."""

    def __init__(self, store: PgStore):
        self.store = store

    # -- writing -------------------------------------------------------------------------------------
    def append(self, entries: Iterable[JournalEntry]) -> list[dict[str, Any]]:
        """Service-level entries (an export, an import's summary …) on the chain of the login role's own
        level: its town, or the district's."""
        pending = list(entries)
        if not pending:
            return []
        with self.store.transaction("写入日志") as conn:
            return append_in(conn, {self.store.home: pending}, self.store.new_tx())[self.store.home]

    # -- reading -------------------------------------------------------------------------------------
    def position(self) -> dict[str, int]:
        """{chain: last seq} of every chain this login role may read."""
        with self.store.transaction("读取日志", write=False) as conn:
            return dict(conn.execute("SELECT chain, seq FROM kbtui.journal_head"
                                     " WHERE chain = '' OR kbtui.may_see_town(chain) ORDER BY chain").fetchall())

    def entries(self, record: str | None = None, operator: str | None = None, *,
                since: dict[str, int] | None = None) -> Iterator[dict[str, Any]]:
        """Entries in the order they were appended (a record's own always in the order they were made; of
        another town only what this login role may read); a bulk insert as one entry per child."""
        where, params = ["TRUE"], []
        if record is not None:
            # (a township's bulk insert carried over verbatim holds its records inline: ``"<ID>":{``)
            where.append("(j.record = %s OR j.tx IN (SELECT b.tx FROM kbtui.journal_bulk b"
                         " WHERE b.first_id <= %s AND b.last_id >= %s)"
                         " OR (j.record IS NULL AND strpos(j.body, %s) > 0))")
            params += [record, record, record, orjson.dumps(record).decode() + ":{"]
        if operator is not None:
            where.append("j.operator = %s")
            params.append(operator)
        if since is not None:
            where.append("j.seq > coalesce((%s::jsonb ->> j.chain)::bigint, 0)")
            params.append(orjson.dumps(since).decode())
        query = ("SELECT j.chain, j.tx, j.record, j.body, j.hash, j.mac FROM kbtui.journal j"
                 f" WHERE {' AND '.join(where)} ORDER BY j.id")
        with self.store.transaction("读取日志", write=False) as conn:
            rows = conn.execute(query, params).fetchall()
            for chain, tx, line_record, body, hash_, mac in rows:
                entry = _parse(body, hash_, mac)
                claim = entry.pop(BULK, None)
                if INSERTED in entry:         # a township's bulk insert, carried over by a migration
                    yield from expand_bulk(entry, record)
                    continue
                if claim is None:
                    if record is None or line_record == record:
                        yield entry
                    continue
                for rec in _bulk_records(conn, chain, tx, record):
                    yield {**entry, "record": rec["id_number"],
                           "changes": {k: [None, v] for k, v in rec.items() if k[:1] != "_"}}

    def entries_with(self, key: str) -> Iterator[dict[str, Any]]:
        """The entries whose ``detail`` has ``key``, in order (only lines naming the key are parsed)."""
        needle = orjson.dumps(key).decode() + ":"
        with self.store.transaction("读取日志", write=False) as conn:
            rows = conn.execute("SELECT body, hash, mac FROM kbtui.journal WHERE strpos(body, %s) > 0 ORDER BY id",
                                (needle,)).fetchall()
        for body, hash_, mac in rows:
            entry = _parse(body, hash_, mac)
            if key in (entry.get("detail") or {}):
                yield entry

    def line_hashes(self, points: dict[str, int]) -> dict[str, str]:
        """{chain: hash of its line at seq} for the (chain, seq) points given that this role may read."""
        with self.store.transaction("读取日志", write=False) as conn:
            return dict(conn.execute(
                "SELECT j.chain, j.hash FROM kbtui.journal j JOIN unnest(%s::text[], %s::bigint[]) AS p(chain, seq)"
                " ON j.chain = p.chain AND j.seq = p.seq", (list(points), list(points.values()))).fetchall())

    def entries_count(self) -> int:
        """How many lines the chains this login role may read hold."""
        return sum(self.position().values())

    def former_keys(self) -> dict[str, int]:
        found: dict[str, int] = {}
        with self.store.transaction("读取日志", write=False) as conn:
            for body, seq in conn.execute("SELECT body, seq FROM kbtui.journal WHERE action = %s ORDER BY id",
                                          (KEY_ACTION,)):
                previous = (orjson.loads(body).get("detail") or {}).get("previous_key")
                if isinstance(previous, str):
                    found[previous] = seq
        return found

    # -- verifying -----------------------------------------------------------------------------------
    def verify(self) -> tuple[bool, int | None, str]:
        """Every chain this role may read, at one moment: continuity, each line's hash of its body, each bulk
        line's records against its claim, the signatures and the signed head (checked in the database)."""
        total = 0
        with self.store.transaction("校验日志", write=False, snapshot=True) as conn:
            chains = [c for (c,) in conn.execute("SELECT chain FROM kbtui.journal_head"
                                                 " WHERE chain = '' OR kbtui.may_see_town(chain) ORDER BY chain")]
            for chain in chains:
                ok, seq, message, lines = verify_chain(conn, chain)
                if not ok:
                    return False, seq, message
                total += lines
        return True, None, f"日志校验通过，共 {total} 条"


def _bulk_records(conn: psycopg.Connection, chain: str, tx: str, record: str | None) -> Iterator[dict[str, Any]]:
    query = "SELECT records FROM kbtui.journal_bulk WHERE tx = %s AND chain = %s"
    params: list[Any] = [tx, chain]
    if record is not None:
        query += " AND first_id <= %s AND last_id >= %s"
        params += [record, record]
    for (text,) in conn.execute(query + " ORDER BY n", params).fetchall():
        for line in text.splitlines():
            rec = orjson.loads(line)
            if record is None or rec.get("id_number") == record:
                yield rec


def bulk_digest(lines: Iterable[bytes]) -> tuple[int, str]:
    digest, n = hashlib.sha256(), 0
    for line in lines:
        digest.update(line + b"\n")
        n += 1
    return n, digest.hexdigest()


def verify_chain(conn: psycopg.Connection, chain: str) -> tuple[bool, int | None, str, int]:
    label = chain_label(chain)
    expected, prev = 1, ""
    bulk: list[tuple[int, str, dict[str, Any]]] = []
    with conn.cursor(name="kbtui_verify") as cur:      # server side: a district's journal never whole in memory
        cur.itersize = 2000
        cur.execute("SELECT seq, prev, hash, tx, body FROM kbtui.journal WHERE chain = %s ORDER BY seq", (chain,))
        for seq, line_prev, hash_, tx, body in cur:
            if seq != expected:
                return False, expected, f"{label}日志第 {expected} 条缺失或顺序错误（读到序号 {seq}）", expected - 1
            if line_prev != prev:
                return False, seq, f"{label}日志第 {seq} 条与上一条的链接不符，前面的记录可能被修改或删除", seq - 1
            if hashlib.sha256(body.encode()).hexdigest() != hash_:
                return False, seq, f"{label}日志第 {seq} 条的内容与校验值不符，该条已被修改", seq - 1
            if f'"{BULK}":' in body:
                bulk.append((seq, tx, orjson.loads(body)[BULK]))
            prev, expected = hash_, expected + 1
    lines = expected - 1
    for seq, tx, claim in bulk:
        rows = conn.execute("SELECT records FROM kbtui.journal_bulk WHERE tx = %s AND chain = %s ORDER BY n",
                            (tx, chain)).fetchall()
        found = bulk_digest(line.encode() for (text,) in rows for line in text.splitlines())
        if found != (claim.get("n"), claim.get("sha256")):
            return (False, seq, f"{label}日志第 {seq} 条（批量录入 {claim.get('n')} 名）的记录与校验值不符，已被改动",
                    lines)
    bad = conn.execute("SELECT * FROM kbtui.journal_bad_macs(%s)", (chain,)).fetchall()
    if bad:
        return False, bad[0][0], (f"{label}日志第 {bad[0][0]} 条的签名与密钥不符：该条被改动过，"
                                  "或是不知道密钥的人写入的"), lines
    head = conn.execute("SELECT seq, hash, kbtui.journal_head_ok(chain) FROM kbtui.journal_head WHERE chain = %s",
                        (chain,)).fetchone()
    if head is None or not head[2]:
        return False, None, f"{label}日志锚点（链头）的签名与密钥不符：它被改动过", lines
    if head[0] > lines:
        return False, lines + 1, f"{label}日志只有 {lines} 条，锚点记载应有 {head[0]} 条：日志末尾的条目被删除了", lines
    if (head[0], head[1]) != (lines, prev):
        return False, head[0], f"{label}日志第 {head[0]} 条与锚点记载的哈希不同：日志被改写了", lines
    return True, None, "", lines
