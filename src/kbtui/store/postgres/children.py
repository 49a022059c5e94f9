"""PgStore: the children store in a PostgreSQL database, with the TinyDB store's contract
(``store.repository``).

The process keeps the children it may see in memory, as the file store does (``get``/``all`` read that
index; ``refresh`` brings in what others saved, by chain and seq). Every write is one transaction: the rows
are locked (``FOR UPDATE``), the changes resolved on them by ``store.edits`` exactly as the file store does
under its file lock, the journal lines appended under the chain heads' locks, the rows written, committed.
A killed client's transaction is rolled back by the server: nothing half-written, nothing to recover.

The record is stored as ``doc`` (json: the orjson sorted-key text, byte for byte, so ``record_digest`` is
the digest of the stored text) beside real columns for what is queried and for row-level security (town,
village, school …). The town is the record's ``town`` ('' when it has none: a township's data).
"""
from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg import errors

from kbtui.errors import RecordNotFound, StoreError
from kbtui.store import edits
from kbtui.store.journal import JournalEntry, make_entry, now_ts
from kbtui.store.postgres import connect as C
from kbtui.store.postgres.collections import PgCollection, move_documents
from kbtui.store.postgres.journal import BULK, CHUNK, PgJournal, append_in, bulk_digest
from kbtui.store.postgres.listen import ChangeListener
from kbtui.store.record_index import RecordIndex

Record = dict[str, Any]
KEY = "id_number"
SEP = "\x1f"
NOTHING = "\x1e"                # a narrowing to no village or school at all (no stored value has it)
RETRIES = 5
MOVED_OUT = "move.out"          # the note a child's old town's chain gets when it moves to another town

COLUMNS = {"town": "town", "village": "village", "group": "grp", "school": "school",
           "responsible_edu": "teacher", "name": "name", "status": "status"}
_RETRY = (errors.SerializationFailure, errors.DeadlockDetected)


def town_of(record: Record) -> str:
    town = record.get("town")
    return town if isinstance(town, str) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def columns_of(record: Record) -> tuple[str, ...]:
    return tuple(_text(record.get(field)) for field in COLUMNS)


def doc_text(record: Record) -> str:
    """The stored text of a record; a record PostgreSQL cannot hold (a NUL character) is refused."""
    text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    if b"\\u0000" in text:
        field = next((k for k, v in record.items() if "\x00" in orjson.dumps(v).decode("unicode_escape")), "?")
        raise StoreError(f"身份证号 {record.get(KEY)} 的“{field}”含有空字符（\\u0000），无法保存，请删去后重试")
    return text.decode()


@dataclass(frozen=True)
class Narrowing:
    """What an operator's role sees inside the towns of the login role (their towns, villages, schools, the
    schools' teachers): set per transaction, so that the database applies it too (it can only narrow)."""
    villages: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    teachers: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()

    def apply(self, conn: psycopg.Connection) -> None:
        conn.execute("SELECT set_config('kbtui.villages', %s, true), set_config('kbtui.schools', %s, true),"
                     " set_config('kbtui.teachers', %s, true), set_config('kbtui.towns', %s, true)",
                     (SEP.join(self.villages), SEP.join(self.schools), SEP.join(self.teachers), SEP.join(self.towns)))


class PgStore(RecordIndex):
    """The repository contract (``store.repository.StoreBackend``) on PostgreSQL."""

    def __init__(self, url: str, pool: Any, narrowing: Narrowing | None = None):
        self.url = url
        self.pool = pool
        self.narrowing = narrowing
        self.journal = PgJournal(self)
        self._records: dict[str, Record] = {}
        self._seen: dict[str, int] = {}          # chain -> the seq the index is up to date with
        self._collections: dict[tuple[str, str], Any] = {}
        self.loaded = False
        with self.transaction("连接数据库", write=False) as conn:
            towns = C.one_row(conn.execute("SELECT kbtui.my_towns()"))[0]
            self.may_write = bool(C.one_row(conn.execute(
                "SELECT has_table_privilege('kbtui.children', 'UPDATE')"))[0])
        self.towns: list[str] | None = towns     # None: the whole district
        if towns is not None and not towns:
            raise StoreError(f"数据库账号在 {self.location} 中没有分配任何乡镇（kbtui.login_scope），"
                             "请数据库管理员分配后再试")
        self.home = towns[0] if towns else ""    # the chain of service-level entries and collections

    @classmethod
    def open(cls, url: str, *, load: bool = True, narrowing: Narrowing | None = None) -> PgStore:
        """Connect (StoreError in Chinese for a bad or unreachable URL) and, with ``load``, read the index."""
        store = cls(url, C.open_pool(url), narrowing)
        if load:
            store.refresh()
        return store

    def close(self) -> None:
        self.pool.close()

    def narrow(self, villages: tuple[str, ...] | None = None, schools: tuple[str, ...] | None = None,
               teachers: tuple[str, ...] = (), towns: tuple[str, ...] | None = None) -> None:
        """Hand an operator's scope inside the login role's towns to the database as well (row-level security
        narrowing): ``towns`` for a district's town staff, ``villages`` for a village role, ``schools`` (and
        the teachers of those schools) for a school role, none for a role seeing the whole unit. A change
        after the first read reads everything again at once (children may have come into sight, or gone out
        of it)."""
        def given(names: tuple[str, ...] | None) -> tuple[str, ...]:
            if names is None:
                return ()
            return tuple(sorted(names)) or (NOTHING,)
        wanted = None if villages is None and schools is None and towns is None else Narrowing(
            given(villages), given(schools), tuple(sorted(teachers)) if schools is not None else (), given(towns))
        if wanted == self.narrowing:
            return
        self.narrowing = wanted
        if self.loaded:
            self.loaded, self._records, self._seen = False, {}, {}
            self.refresh()

    @property
    def location(self) -> str:
        return C.masked(self.url)

    @property
    def read_only(self) -> bool:
        return not self.may_write

    # -- transactions ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, doing: str, *, write: bool = True, snapshot: bool = False
                    ) -> Iterator[psycopg.Connection]:
        """One transaction with the operator's narrowing; database errors become Chinese StoreErrors."""
        with C.friendly(self.url, doing), self.pool.connection() as conn:
            with conn.transaction():
                if snapshot:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                elif not write:
                    conn.execute("SET TRANSACTION READ ONLY")
                if self.narrowing is not None:
                    self.narrowing.apply(conn)
                yield conn

    def _retrying(self, doing: str, work, retry_on: tuple[type[BaseException], ...] = ()):
        """``work(conn)`` in a transaction, again when the server chose it as a deadlock's victim (or it
        failed with one of ``retry_on``: a concurrent creation of the same key)."""
        for attempt in range(RETRIES):
            try:
                with self.transaction(doing) as conn:
                    return work(conn)
            except StoreError as err:
                if isinstance(err.__context__, _RETRY + retry_on) and attempt < RETRIES - 1:
                    continue
                raise
        raise StoreError(f"{doing}未完成：记录正被其他操作员频繁修改，请稍后再试")

    @staticmethod
    def new_tx() -> str:
        return secrets.token_hex(8)

    # -- reading ---------------------------------------------------------------------------------------

    def count_by(self, *fields: str) -> dict[tuple[Any, ...], int]:
        """Counted by the database (GROUP BY, through row-level security): real columns where there are."""
        exprs = [COLUMNS[f] if f in COLUMNS else "coalesce(doc ->> %s, '')" for f in fields]
        params = [f for f in fields if f not in COLUMNS]
        group = ", ".join(exprs) or "TRUE"
        with self.transaction("统计", write=False) as conn:
            rows = conn.execute(f"SELECT {group}, count(*) FROM kbtui.children GROUP BY {group}",
                                params + params).fetchall()
        return {tuple(row[:-1]) if fields else (): row[-1] for row in rows}

    def registered_towns(self, ids: Iterable[str]) -> dict[str, str]:
        """Asked of the database (``kbtui.registered_towns``: it answers beyond the login role's towns and the
        narrowing, with the town only)."""
        wanted = sorted(set(ids) - self._records.keys())
        found = {i: town_of(self._records[i]) for i in set(ids) & self._records.keys()}
        if wanted:
            with self.transaction("查询儿童登记的乡镇", write=False) as conn:
                found.update(conn.execute("SELECT id_number, town FROM kbtui.registered_towns(%s)",
                                          (wanted,)).fetchall())
        return found

    # -- what the kept counts key on (``services.children.counts``): the database as one "file" ---------
    #
    # A data folder's counts are kept per village file, by the file's signature; here the signature is the
    # heads of the chains this role reads, so any save anywhere recounts all (correct, not incremental).
    WHOLE = "*"

    @staticmethod
    def _signature(heads: dict[str, int]) -> tuple[int, int, int, int]:
        digest = hashlib.blake2b(orjson.dumps(sorted(heads.items())), digest_size=8).digest()
        return (int.from_bytes(digest, "big"), sum(heads.values()), len(heads), 0)

    def shard_signatures(self) -> dict[str, tuple[int, int, int, int]]:
        """The signature of what the index holds (the chain heads at the last refresh)."""
        return {self.WHOLE: self._signature(self._seen)} if self.loaded else {}

    def shard_records(self, name: str) -> tuple[list[dict[str, Any]], bool]:
        return (list(self._records.values()) if name == self.WHOLE else []), True

    def shard_file_signatures(self) -> dict[str, tuple[int, int, int, int]]:
        """The signature of the database now (one query)."""
        return {self.WHOLE: self._signature(self.journal.position())}

    def data_version(self) -> tuple:
        """Equal versions: nothing was saved in between (the heads of every chain this role reads)."""
        return tuple(sorted(self.journal.position().items()))

    def refresh(self) -> bool:
        """Bring in what was saved since the last refresh (by this or other processes), chain by chain; the
        first one reads every child this login role and narrowing may see. True if anything changed."""
        with self.transaction("读取数据", snapshot=True) as conn:
            heads = dict(conn.execute("SELECT chain, seq FROM kbtui.journal_head").fetchall())
            if not self.loaded:
                rows = conn.execute("SELECT id_number, doc::text FROM kbtui.children").fetchall()
                self._records = {i: orjson.loads(text) for i, text in rows}
                self._seen, self.loaded = heads, True
                return bool(rows)
            changed = False
            for chain, seq in heads.items():
                since = self._seen.get(chain, 0)
                if seq <= since:
                    continue
                rows = conn.execute("SELECT id_number, doc::text FROM kbtui.children WHERE town = %s AND seq > %s",
                                    (chain, since)).fetchall()
                got = {i: orjson.loads(text) for i, text in rows}
                touched = {r for (r,) in conn.execute(
                    "SELECT DISTINCT record FROM kbtui.journal WHERE chain = %s AND seq > %s AND coll IS NULL"
                    " AND record IS NOT NULL", (chain, since))} - got.keys()
                if touched:     # moved to another town, or out of this operator's sight
                    got.update({i: orjson.loads(text) for i, text in conn.execute(
                        "SELECT id_number, doc::text FROM kbtui.children WHERE id_number = ANY(%s)",
                        (list(touched),))})
                    for gone in touched - got.keys():
                        changed |= self._records.pop(gone, None) is not None
                changed |= bool(got)
                self._records.update(got)
                self._seen[chain] = seq
        return changed

    # -- writing ---------------------------------------------------------------------------------------
    def _write_row(self, conn: psycopg.Connection, current: Record, stored: Record, seq: int) -> None:
        conn.execute("UPDATE kbtui.children SET town = %s, village = %s, grp = %s, school = %s, teacher = %s,"
                     " name = %s, status = %s, v = %s, seq = %s, doc = %s::json WHERE id_number = %s",
                     (*columns_of(stored), stored["_v"], seq, doc_text(stored), stored[KEY]))
        if town_of(current) != town_of(stored):
            move_documents(conn, stored[KEY], town_of(current), town_of(stored))

    @staticmethod
    def _journal_change(by_chain: dict[str, list[JournalEntry]], current: Record, stored: Record,
                        entry: JournalEntry) -> None:
        """The change's entry goes to the chain of the child's town after it; a move between towns also
        leaves a note (no personal data beyond the ID) in the chain of the town it left."""
        old, new = town_of(current), town_of(stored)
        by_chain.setdefault(new, []).append(entry)
        if old != new:
            by_chain.setdefault(old, []).append(make_entry(entry["operator"], MOVED_OUT, stored[KEY], {},
                                                           {"to_town": new}, entry["ts"]))

    def update(self, id_number: str, changes: edits.Changes, operator: str, expected_version: int | None = None,
               action: str = "update", detail: dict[str, Any] | None = None, *,
               base: Record | None = None) -> Record:
        """Change fields of one child, resolved under its row lock on the record as it is then."""
        def work(conn: psycopg.Connection) -> Record:
            row = conn.execute("SELECT doc::text FROM kbtui.children WHERE id_number = %s FOR UPDATE",
                               (id_number,)).fetchone()
            if row is None:
                self._records.pop(id_number, None)
                raise RecordNotFound(f"找不到身份证号为 {id_number} 的记录")
            current = orjson.loads(row[0])
            wanted = edits.resolve(current, changes, expected_version=expected_version, base=base)
            if KEY in wanted and wanted[KEY] != id_number:
                raise StoreError("身份证号是记录的主键，不能直接修改；请删除后重新录入")
            diff = edits.diff(current, wanted)
            if not diff:
                return current
            ts = now_ts()
            stored = {**current, **{k: new for k, (_old, new) in diff.items()},
                      "_v": current.get("_v", 0) + 1, "_by": operator, "_at": ts}
            by_chain: dict[str, list[JournalEntry]] = {}
            self._journal_change(by_chain, current, stored,
                                 make_entry(operator, action, id_number, diff, detail, ts, stored))
            lines = append_in(conn, by_chain, self.new_tx())
            self._write_row(conn, current, stored, lines[town_of(stored)][-1]["seq"])
            return stored

        stored = self._retrying("保存修改", work)
        self._records[id_number] = stored
        return dict(stored)

    def insert(self, record: Record, operator: str, action: str = "insert",
               detail: dict[str, Any] | None = None) -> Record:
        self.insert_many([record], operator, action, detail)
        return self.get(record[KEY])  # type: ignore[return-value]

    def insert_many(self, records: list[Record], operator: str, action: str = "insert",
                    detail: dict[str, Any] | None = None, *, adopt: bool = False) -> int:
        """New children in one transaction: COPY into a staging table (PostgreSQL refuses COPY FROM into a
        table with row-level security), one journal line per town chain holding the digest of its records,
        then INSERT … SELECT into children (checked by row-level security) and the records into journal_bulk.
        An ID already there (in any town) refuses the whole batch. ``adopt``: accepted for the contract; the
        records are always copied."""
        if not records:
            return 0
        ts = now_ts()
        book = {"_v": 1, "_by": operator, "_at": ts}
        recs = [{**{k: v for k, v in raw.items() if edits.is_field(k)}, **book} for raw in records]
        ids: list[str] = []
        for rec in recs:
            id_number = rec.get(KEY)
            if not isinstance(id_number, str) or not id_number:
                raise StoreError("记录缺少身份证号，无法保存")
            ids.append(id_number)
        seen: set[str] = set()
        twice = next((i for i in ids if i in seen or seen.add(i)), None)  # type: ignore[func-returns-value]
        if twice is not None:
            raise StoreError(f"身份证号 {twice} 在本批数据中重复出现，未保存任何记录")
        recs.sort(key=lambda r: r[KEY])
        texts = [doc_text(r) for r in recs]
        by_chain: dict[str, list[int]] = {}
        for k, rec in enumerate(recs):
            by_chain.setdefault(town_of(rec), []).append(k)
        tx = self.new_tx()

        def work(conn: psycopg.Connection) -> None:
            conn.execute("CREATE TEMP TABLE kbtui_staging (id_number text, town text, village text, grp text,"
                         " school text, teacher text, name text, status text, doc text) ON COMMIT DROP")
            with conn.cursor().copy("COPY kbtui_staging FROM STDIN") as copy:
                for rec, text in zip(recs, texts):
                    copy.write_row((rec[KEY], *columns_of(rec), text))
            entries: dict[str, list[JournalEntry]] = {}
            for chain, members in by_chain.items():
                n, digest = bulk_digest(texts[k].encode() for k in members)
                entry = make_entry(operator, action, None, None, detail, ts)
                entry[BULK] = {"n": n, "sha256": digest}  # type: ignore[literal-required]
                entries[chain] = [entry]
            lines = append_in(conn, entries, tx)
            seqs = {chain: stored[-1]["seq"] for chain, stored in lines.items()}
            try:
                conn.execute("INSERT INTO kbtui.children (id_number, town, village, grp, school, teacher, name,"
                             " status, v, seq, born_tx, doc) SELECT s.id_number, s.town, s.village, s.grp, s.school,"
                             " s.teacher, s.name, s.status, 1, h.seq, %s, s.doc::json FROM kbtui_staging s"
                             " JOIN unnest(%s::text[], %s::bigint[]) AS h(town, seq) USING (town)",
                             (tx, list(seqs), list(seqs.values())))
            except errors.UniqueViolation as err:
                detail_text = err.diag.message_detail or ""
                clash = detail_text.split("=(", 1)[1].split(")", 1)[0] if "=(" in detail_text else min(ids)
                raise StoreError(f"身份证号 {clash} 已存在，未保存任何记录") from err
            chunks = []
            n = 0
            for chain, members in sorted(by_chain.items()):
                for start in range(0, len(members), CHUNK):
                    part = members[start:start + CHUNK]
                    chunks.append((chain, tx, n, recs[part[0]][KEY], recs[part[-1]][KEY],
                                   "\n".join(texts[k] for k in part)))
                    n += 1
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO kbtui.journal_bulk (chain, tx, n, first_id, last_id, records)"
                                " VALUES (%s, %s, %s, %s, %s, %s)", chunks)

        self._retrying("保存新录入的儿童", work)
        self._records.update((r[KEY], r) for r in recs)
        return len(recs)

    def apply_many(self, updates: list[tuple[str, edits.Changes]], operator: str, action: str = "import",
                   detail: dict[str, Any] | None = None) -> int:
        """Batch updates without version check, in one transaction (the rows locked in ID order); each
        update's changes resolved on the record as it is then, several of one child in the order given.
        Returns the number of records changed."""
        if not updates:
            return 0
        per_id: dict[str, list[edits.Changes]] = {}
        for id_number, changes in updates:
            per_id.setdefault(id_number, []).append(changes)

        def work(conn: psycopg.Connection) -> list[Record]:
            rows: dict[str, str] = dict(conn.execute(
                "SELECT id_number, doc::text FROM kbtui.children WHERE id_number = ANY(%s)"
                " ORDER BY id_number FOR UPDATE", (sorted(per_id),)).fetchall())
            missing = [i for i in per_id if i not in rows]
            if missing:
                raise RecordNotFound(f"找不到身份证号为 {missing[0]} 的记录，本批修改未保存")
            ts = now_ts()
            by_chain: dict[str, list[JournalEntry]] = {}
            changed: list[tuple[Record, Record]] = []
            for id_number, items in per_id.items():
                current = orjson.loads(rows[id_number])
                wanted = edits.resolve(current, items[0])
                for item in items[1:]:
                    wanted.update(edits.resolve({**current, **wanted}, item))
                if KEY in wanted and wanted[KEY] != id_number:
                    raise StoreError("身份证号是记录的主键，不能直接修改；请删除后重新录入")
                diff = edits.diff(current, wanted)
                if not diff:
                    continue
                stored = {**current, **{k: new for k, (_old, new) in diff.items()},
                          "_v": current.get("_v", 0) + 1, "_by": operator, "_at": ts}
                self._journal_change(by_chain, current, stored,
                                     make_entry(operator, action, id_number, diff, detail, ts, stored))
                changed.append((current, stored))
            if not changed:
                return []
            lines = append_in(conn, by_chain, self.new_tx())
            seq_of = {e["record"]: e["seq"] for chain, stored in lines.items() for e in stored
                      if e["action"] != MOVED_OUT}
            for current, stored in changed:
                self._write_row(conn, current, stored, seq_of[stored[KEY]])
            return [stored for _current, stored in changed]

        changed = self._retrying("保存本批修改", work)
        self._records.update((r[KEY], r) for r in changed)
        return len(changed)

    def listener(self):
        """A ``ChangeListener`` for this store's chains (the TUI refreshes its list when it reports one)."""
        return ChangeListener(self.url, self.towns)

    # -- collections -----------------------------------------------------------------------------------
    def collection(self, name: str, *, town: str | None = None):
        """The collection ``name`` at the login role's own level (its town, or the district's ''), or at
        ``town`` (a district role writing a town's document)."""
        key = (name, self.home if town is None else town)
        coll = self._collections.get(key)
        if coll is None:
            coll = self._collections[key] = PgCollection(self, name, key[1])
        return coll
