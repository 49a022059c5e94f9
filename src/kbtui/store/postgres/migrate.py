"""A township's data folder moved into the district database (``kbtui store migrate --to …``), as one
transaction that is verified before it commits (design 17 §5.1).

1. The town's chain must be empty (a township is migrated once).
2. The township's journal goes in line for line as the start of the town's chain: same seq, prev, hash and
   body (the file line without its hash and signature). The database's trigger checks every line's continuity
   and hash and signs it with the district key, so a damaged source cannot pass.
3. Children: a child already in the district (another town migrated earlier) is decided first. The same child
   (equal apart from ``_v``, ``_by``, ``_at``, ``town``) is counted and left; a different one is a
   **conflict**: the district keeps its record and the incoming one is stored whole in the district's
   ``town_conflicts`` collection (``<ID>@<town>``), so nothing is lost. The others are inserted with their town.
4. One ``store.migrate`` line records the source, its head, the counts and the conflicts, and claims the
   children as stored (count and sha256, the records in ``journal_bulk``): adding ``town`` changes a
   record's digest, so the migrated records themselves are what the chain vouches for from here on.
5. Collections keep their keys under the town.
6. Before commit: the counts, every migrated row against the record sent, the lines' hashes against the
   source, the town's chain re-verified in the database. Any failure rolls everything back; the source folder
   is only ever read.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import orjson

from kbtui.errors import StoreError
from kbtui.store import layout
from kbtui.store.children import ChildStore
from kbtui.store.collections import insert_entries, prepare_docs
from kbtui.store.journal import make_entry, now_ts
from kbtui.store.journal_lines import line_body, line_hash
from kbtui.store.postgres.children import KEY, PgStore, columns_of, doc_text
from kbtui.store.postgres.journal import BULK, CHUNK, append_in, bulk_digest, lock_chains, verify_chain

ACTION = "store.migrate"
CONFLICTS = "town_conflicts"       # the district's collection of records that met another town's
BOOKKEEPING = ("_v", "_by", "_at", "town")

_LINE = ("INSERT INTO kbtui.journal (chain, seq, prev, hash, tx, ts, operator, action, record, coll, body)"
         " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")


@dataclass
class Conflict:
    id_number: str
    kept_town: str                 # the town whose record the district keeps
    incoming_town: str             # the town migrated now (its record is in ``conflicts``)


@dataclass
class MigrationReport:
    town: str
    source: str
    journal_lines: int = 0
    source_children: int = 0
    inserted: int = 0
    documents: int = 0
    same_elsewhere: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    chain_after: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"town": self.town, "source": self.source, "journal_lines": self.journal_lines,
                "source_children": self.source_children, "inserted": self.inserted, "documents": self.documents,
                "same_elsewhere": self.same_elsewhere, "chain_after": self.chain_after,
                "conflicts": [vars(c) for c in self.conflicts]}


def collection_names(root: Any) -> list[str]:
    """The collections a data folder holds (one file each, or a folder of village files)."""
    folder = layout.collections_dir(root)
    try:
        names = [n[:-5] for n in os.listdir(folder) if layout.is_data_file(n)]
    except FileNotFoundError:
        names = []
    return sorted(set(names) | {p.name for p in layout.sharded_dirs(root)})


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return ({k: v for k, v in a.items() if k not in BOOKKEEPING}
            == {k: v for k, v in b.items() if k not in BOOKKEEPING})


def migrate_folder(source: ChildStore, target: PgStore, town: str, operator: str) -> MigrationReport:
    """Move ``source`` (a township's loaded store, already verified) into ``target`` as ``town``."""
    if target.towns is not None:
        raise StoreError(f"迁移需要能看到全区的数据库账号（区县教育局的账号），{target.location} 只能看到 "
                         f"{'、'.join(target.towns)}")
    if not town:
        raise StoreError("请用 --town 指明这个乡镇数据目录迁入后属于哪个镇（乡、街道）")
    report = MigrationReport(town, str(source.root))
    lines = [line for _end, line in source.journal.lines_at()]
    records = sorted(source.all(), key=lambda r: r[KEY])
    report.journal_lines, report.source_children = len(lines), len(records)
    docs = {name: source.collection(name).all() for name in collection_names(source.root)}
    tx, ts = target.new_tx(), now_ts()

    def work(conn) -> None:
        head = lock_chains(conn, [town])[town]
        if head[0]:
            raise StoreError(f"{town} 的日志链已有 {head[0]} 条，不能再迁入一个乡镇数据目录（每个乡镇只迁移一次）")
        # 2. the journal, line for line
        with conn.cursor() as cur:
            rows = []
            for line in lines:
                body = line_body(line)
                entry = orjson.loads(body)
                coll = (entry.get("detail") or {}).get("collection") if str(entry.get("action", "")).startswith(
                    "collection.") else None
                rows.append((town, entry["seq"], entry["prev"], line_hash(line), entry.get("_tx"), entry["ts"],
                             entry["operator"], entry["action"], entry.get("record"), coll, body.decode()))
            cur.executemany(_LINE, rows)
        # 3. children: the district's own first
        existing = dict(conn.execute("SELECT id_number, doc::text FROM kbtui.children WHERE id_number = ANY(%s)",
                                     ([r[KEY] for r in records],)).fetchall())
        incoming, conflicts = [], []
        for rec in records:
            stored = {**rec, "town": town}
            there = existing.get(rec[KEY])
            if there is None:
                incoming.append(stored)
                continue
            kept = orjson.loads(there)
            if _same(kept, stored):
                report.same_elsewhere.append(rec[KEY])
            else:
                report.conflicts.append(Conflict(rec[KEY], str(kept.get("town") or ""), town))
                conflicts.append({"key": f"{rec[KEY]}@{town}", "id_number": rec[KEY], "kept_town": kept.get("town"),
                                  "incoming_town": town, "record": stored, "status": "待核实"})
        texts = [doc_text(r) for r in incoming]
        n, digest = bulk_digest(t.encode() for t in texts)
        entry = make_entry(operator, ACTION, None, {}, {
            "source": str(source.root),
            "source_head": {"seq": len(lines), "hash": line_hash(lines[-1]) if lines else ""},
            "children": len(records), "inserted": n, "same_elsewhere": len(report.same_elsewhere),
            "conflicts": [c.id_number for c in report.conflicts]}, ts)
        entry[BULK] = {"n": n, "sha256": digest}  # type: ignore[literal-required]
        seq = append_in(conn, {town: [entry]}, tx)[town][-1]["seq"]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO kbtui.children (id_number, town, village, grp, school, teacher, name, status,"
                            " v, seq, born_tx, doc) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json)",
                            [(r[KEY], *columns_of(r), r.get("_v", 1), seq, tx, t) for r, t in zip(incoming, texts)])
            cur.executemany("INSERT INTO kbtui.journal_bulk (chain, tx, n, first_id, last_id, records)"
                            " VALUES (%s, %s, %s, %s, %s, %s)",
                            [(town, tx, k // CHUNK, incoming[k][KEY], incoming[min(k + CHUNK, n) - 1][KEY],
                              "\n".join(texts[k:k + CHUNK])) for k in range(0, n, CHUNK)])
            # 5. the town's collections, keys unchanged
            present = set(existing) | {r[KEY] for r in incoming}
            cur.executemany("INSERT INTO kbtui.collections (town, name, key, child, v, doc) VALUES"
                            " (%s, %s, %s, %s, %s, %s::json)",
                            [(town, name, d["key"], d.get("id_number") if d.get("id_number") in present else None,
                              d.get("_v", 1), orjson.dumps(d, option=orjson.OPT_SORT_KEYS).decode())
                             for name, found in docs.items() for d in found])
            report.documents = sum(len(found) for found in docs.values())
            if conflicts:
                prepared = prepare_docs(CONFLICTS, conflicts, operator, ts)
                cur.executemany("INSERT INTO kbtui.collections (town, name, key, child, v, doc) VALUES"
                                " ('', %s, %s, %s, 1, %s::json)",
                                [(CONFLICTS, d["key"], d["id_number"], orjson.dumps(d, option=orjson.OPT_SORT_KEYS)
                                  .decode()) for d in prepared])
                append_in(conn, {"": insert_entries(CONFLICTS, prepared, operator, ts)}, tx)
        _verify_before_commit(conn, town, lines, dict(zip((r[KEY] for r in incoming), texts)), docs)
        report.inserted, report.chain_after = n, seq

    target._retrying(f"迁入 {town} 的数据", work)
    return report


def _verify_before_commit(conn, town: str, lines: list[bytes], sent: dict[str, str],
                          docs: dict[str, list[dict[str, Any]]]) -> None:
    """What the transaction wrote, read back: any difference refuses (rolls back) the whole migration."""
    def refuse(why: str) -> None:
        raise StoreError(f"迁入 {town} 后的核对未通过（{why}），已全部撤销，源数据目录未改动")

    got = dict(conn.execute("SELECT id_number, doc::text FROM kbtui.children WHERE town = %s AND born_tx IN"
                            " (SELECT tx FROM kbtui.journal WHERE chain = %s AND action = %s)",
                            (town, town, ACTION)).fetchall())
    if len(got) != len(sent):
        refuse(f"应迁入 {len(sent)} 名儿童，数据库中有 {len(got)} 名")
    wrong = next((i for i, text in sent.items() if got.get(i) != text), None)
    if wrong is not None:
        refuse(f"身份证号 {wrong} 的记录与源数据不同")
    hashes = [h for (h,) in conn.execute("SELECT hash FROM kbtui.journal WHERE chain = %s AND seq <= %s ORDER BY seq",
                                         (town, len(lines)))]
    if hashes != [line_hash(line) for line in lines]:
        refuse("日志与源数据目录的日志不同")
    for name, found in docs.items():
        count = conn.execute("SELECT count(*) FROM kbtui.collections WHERE town = %s AND name = %s",
                             (town, name)).fetchone()[0]
        if count != len(found):
            refuse(f"“{name}”应有 {len(found)} 条，数据库中有 {count} 条")
    ok, _seq, message, _lines = verify_chain(conn, town)
    if not ok:
        refuse(message)
