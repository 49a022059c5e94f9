"""Does the store hold what the journal says? Village and collection files compared with the journal.

Every entry that changes a child or a collection document keeps the ``record_digest`` of the whole record
after the change (``digest``); a bulk insert line holds the records themselves. Replaying the journal
therefore gives, for each child, the digest it must have now, the village file it must be in and the line
that last changed it -- without keeping the records (100,000 children: ~25 MB instead of ~260 MB). Each
store file is then read once and every record compared: a child changed, added or deleted by hand, a
village file edited, emptied or deleted, a child moved to another file are all found. Each file's
write-ahead marker (``_tx``: the transaction of its last write) must be in the journal too: a journal cut
back behind a file's last write is found even when the anchor was put back with it.

Entries of a transaction declared void (``tx.rollback``) are skipped: they never took effect.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import orjson

from kbtui.errors import StoreError
from kbtui.store import layout
from kbtui.store.chain import ChainCheck, ChainWalk
from kbtui.store.journal import Journal, bulk_records, record_digest
from kbtui.store.journal_lines import INSERTED
from kbtui.store.json_items import object_items
from kbtui.store.sharded import SHARDED
from kbtui.store.signing import read_head_bytes
from kbtui.store.snapshot import StoreSnapshot, take_snapshot
from kbtui.store.storage import TX_KEY

CHILDREN_DIR = "store/children"
COLLECTIONS_DIR = "store/collections"
CHILD_KEY = "id_number"
DOC_KEY = "key"
TABLE = "_default"
EXPLAINED = 10                     # changed records whose fields are named (each one reads the journal)

# kinds of disagreement
CHANGED = "changed"                # the record differs from what the journal last recorded
MISSING = "missing"                # journaled, but in no file
UNJOURNALED = "unjournaled"        # in a file, but never journaled
MISPLACED = "misplaced"            # in another village file than the journal says
TWICE = "twice"                    # in two files (or twice in one)
UNKNOWN_WRITE = "unknown_write"    # the file's last write is not in the journal
UNREADABLE = "unreadable"          # the file does not parse


@dataclass
class Disagreement:
    kind: str
    file: str                      # "store/children/高峰村.json"
    record: str | None = None      # ID number or document key
    seq: int | None = None         # the journal line that last recorded the record
    expected_file: str | None = None
    fields: list[str] = field(default_factory=list)    # CHANGED: which keys differ (bookkeeping "_v" …)
    detail: str = ""               # UNKNOWN_WRITE: the transaction; UNREADABLE: why


@dataclass
class StoreCheck:
    files: int = 0
    children: int = 0
    documents: int = 0
    unverifiable: int = 0          # records last changed by an entry without a digest (older kbtui)
    problems: list[Disagreement] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Replay:
    """What the journal says each record is now, built entry by entry from ``check_journal``."""

    def __init__(self, rolled_back: set[str]):
        self.rolled_back = rolled_back
        self.children: dict[str, tuple[str | None, str | None, int]] = {}    # id -> (shard, digest, seq)
        self.docs: dict[tuple[str, str], tuple[str | None, int]] = {}        # (collection, key) -> (digest, seq)
        self.txs: set[str] = set()

    def __call__(self, entry: dict[str, Any], line: bytes) -> None:
        seq = entry["seq"]
        tx = entry.get("_tx")
        if isinstance(tx, str):
            if tx in self.rolled_back:
                return
            self.txs.add(tx)
        inserted = entry.get(INSERTED)
        if inserted is not None:
            records = (bulk_records(line) if inserted is True
                       else (inserted.items() if isinstance(inserted, dict) else ()))
            children = self.children
            for id_number, rec in records:
                if isinstance(rec, dict):
                    children[id_number] = (layout.record_shard(rec), record_digest(rec), seq)
            return
        record = entry.get("record")
        if not isinstance(record, str):
            return
        detail = entry.get("detail")
        collection = detail.get("collection") if isinstance(detail, dict) else None
        digest = entry.get("digest")
        digest = digest if isinstance(digest, str) else None
        if collection is not None:
            self.docs[(str(collection), record)] = (digest, seq)
            return
        changes = entry.get("changes")
        prior = self.children.get(record)
        shard = prior[0] if prior else None
        moved = {k: v[1] for k, v in changes.items() if k in ("village", "town") and isinstance(v, list)
                 and len(v) == 2} if isinstance(changes, dict) else {}
        if moved and (shard is not None or "village" in moved):
            # the file of the new village (and town): the other half of the place from the file it was in
            town, _sep, village = (shard or "").rpartition(layout.TOWN_SEP)
            place = {"village": None if village == layout.NO_VILLAGE_SHARD else village, "town": town, **moved}
            shard = layout.record_shard(place)
        self.children[record] = (shard, digest, seq)


def rolled_back_txs(journal: Journal, limit: int | None = None, start: int = 0) -> set[str]:
    """The transactions declared void by ``tx.rollback`` entries from byte ``start`` on (a quick scan of the
    bytes; the chain check that follows makes sure those entries are genuine)."""
    needle = b'"rolled_back_tx":"'
    found: set[str] = set()
    for _end, line in journal.lines_at(limit, start):
        at = line.find(needle)
        if at >= 0 and b'"tx.rollback"' in line:
            end = line.find(b'"', at + len(needle))
            found.add(line[at + len(needle):end].decode("utf-8", "replace"))
    return found


def check_store(store: Any, *, want: tuple[int, ...] = ()) -> tuple[ChainCheck, StoreCheck | None]:
    """Verify the journal of ``store`` (a ``ChildStore``) and compare its files with it, at one moment.
    The store check is None when the chain itself is broken (nothing to compare with). ``want``: journal
    lines whose hashes the caller needs (``ChainCheck.hashes``).

    Most of the journal is read first, without locks; then the store files, the rest of the journal and the
    anchor at one moment (``take_snapshot``): a county's files (~70 MB) and its import line (~35 MB) are
    never in memory together."""
    journal: Journal = store.journal
    try:
        store.recover_pending()         # writes a killed writer left half done are settled first
    except StoreError:
        pass                            # (a read-only folder: reported as unsettled below)
    head_before = read_head_bytes(journal.head_path)
    early = journal.complete_size()
    rolled_back = rolled_back_txs(journal, early)
    replay = _Replay(rolled_back)
    walk = ChainWalk(journal, on_entry=replay, want=want, head_raw=head_before)
    walk.feed(early)
    snapshot = take_snapshot(store.root)
    voided = rolled_back_txs(journal, snapshot.journal_size, walk.offset)
    if voided - rolled_back:
        # a write-ahead transaction was declared void meanwhile: entries already replayed never took effect
        replay = _Replay(rolled_back | voided)
        walk = ChainWalk(journal, on_entry=replay, want=want, head_raw=head_before)
    walk.feed(snapshot.journal_size)
    chain = walk.finish(snapshot.head)
    if chain.broken:
        return chain, None              # a line in the middle is wrong: replaying it proves nothing
    return chain, compare(journal, snapshot, replay)


def compare(journal: Journal, snapshot: StoreSnapshot, replay: _Replay) -> StoreCheck:
    """Every record of the snapshot's files against the replay. Each file is parsed a chunk at a time
    (``json_items``) and its bytes dropped from the snapshot once compared (a county's files: ~70 MB)."""
    result = StoreCheck(unsettled=list(snapshot.unsettled))
    seen_children: dict[str, str] = {}
    seen_docs: set[tuple[str, str]] = set()
    changed: list[Disagreement] = []
    for rel in sorted(snapshot.files):
        raw = snapshot.files.pop(rel)
        if rel in snapshot.unsettled:
            continue
        result.files += 1
        path = PurePosixPath(rel)
        try:
            marker, records = _file_records(raw)
            tx = marker.get("id") if isinstance(marker, dict) else None
            if isinstance(tx, str) and tx not in replay.txs:
                result.problems.append(Disagreement(UNKNOWN_WRITE, rel, detail=tx))
            if str(path.parent) == CHILDREN_DIR:
                _compare_children(journal, rel, path.stem, records, replay, seen_children, result, changed)
            else:
                # "store/collections/people.json", or a village file of "store/collections/tasks/"
                name = path.stem if str(path.parent) == COLLECTIONS_DIR else path.parent.name
                _compare_docs(journal, rel, name, records, replay, seen_docs, result, changed)
        except (ValueError, orjson.JSONDecodeError) as err:
            result.problems.append(Disagreement(UNREADABLE, rel, detail=str(err)))
    for key, (want_shard, _digest, seq) in replay.children.items():
        where = f"{CHILDREN_DIR}/{want_shard}.json" if want_shard else CHILDREN_DIR
        if key not in seen_children and where not in result.unsettled:
            result.problems.append(Disagreement(MISSING, where, key, seq, where))
    for (name, key), (_digest, seq) in replay.docs.items():
        where = f"{COLLECTIONS_DIR}/{name}" if name in SHARDED else f"{COLLECTIONS_DIR}/{name}.json"
        if (name, key) not in seen_docs and where not in result.unsettled:
            result.problems.append(Disagreement(MISSING, where, key, seq, where))
    result.problems += changed
    return result


_TABLE_AT = b'{"' + TABLE.encode() + b'":{'
_MARKER_AT = b'},"' + TX_KEY.encode() + b'":{'


def _file_records(raw: bytes) -> tuple[Any, Iterator[dict[str, Any]]]:
    """(write-ahead marker, records) of a store file as the store writes it (``{"_default":{…},"_tx":{…}}``),
    the records parsed a chunk at a time; any other layout is parsed whole."""
    if raw.startswith(_TABLE_AT) and raw.endswith(b"}}"):
        at = raw.rfind(_MARKER_AT)
        if at > 0:
            marker, items_end = orjson.loads(raw[at + len(_MARKER_AT) - 1:-1]), at
        else:
            marker, items_end = None, len(raw) - 2
        items = object_items(raw, len(_TABLE_AT), items_end)
        return marker, (rec for _doc_id, rec in items if isinstance(rec, dict))
    data = orjson.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("不是 JSON 对象")
    table = data.get(TABLE)
    records = [r for r in table.values() if isinstance(r, dict)] if isinstance(table, dict) else []
    return data.get(TX_KEY), iter(records)


def _compare_children(journal: Journal, rel: str, shard: str, records: Iterator[dict[str, Any]],
                      replay: _Replay, seen: dict[str, str], result: StoreCheck,
                      changed: list[Disagreement]) -> None:
    expected_of = replay.children
    for rec in records:
        key = rec.get(CHILD_KEY)
        if not isinstance(key, str):
            continue
        result.children += 1
        if key in seen:
            result.problems.append(Disagreement(TWICE, rel, key, expected_file=seen[key]))
            continue
        seen[key] = rel
        expected = expected_of.get(key)
        if expected is None:
            result.problems.append(Disagreement(UNJOURNALED, rel, key))
            continue
        want_shard, digest, seq = expected
        if want_shard is not None and want_shard != shard:
            result.problems.append(Disagreement(MISPLACED, rel, key, seq, f"{CHILDREN_DIR}/{want_shard}.json"))
        if digest is None:
            result.unverifiable += 1
        elif record_digest(rec) != digest:
            _changed(journal, Disagreement(CHANGED, rel, key, seq), rec, None, replay, changed)


def _compare_docs(journal: Journal, rel: str, name: str, records: Iterator[dict[str, Any]], replay: _Replay,
                  seen: set[tuple[str, str]], result: StoreCheck, changed: list[Disagreement]) -> None:
    for rec in records:
        key = rec.get(DOC_KEY)
        if not isinstance(key, str):
            continue
        result.documents += 1
        seen.add((name, key))
        found = replay.docs.get((name, key))
        if found is None:
            result.problems.append(Disagreement(UNJOURNALED, rel, key))
            continue
        digest, seq = found
        if digest is None:
            result.unverifiable += 1
        elif record_digest(rec) != digest:
            _changed(journal, Disagreement(CHANGED, rel, key, seq), rec, name, replay, changed)


def _changed(journal: Journal, problem: Disagreement, stored: dict[str, Any], collection: str | None,
             replay: _Replay, changed: list[Disagreement]) -> None:
    """Keep a changed record; name its differing fields for the first few (each reads the journal)."""
    if len(changed) < EXPLAINED:
        problem.fields = differing_fields(journal, problem.record, stored, collection, replay.rolled_back)
    changed.append(problem)


def differing_fields(journal: Any, record: str | None, stored: dict[str, Any], collection: str | None,
                      rolled_back: set[str]) -> list[str]:
    """Which keys of a changed record differ from the journal's account of it (replayed from its entries of
    ``journal``: the file store's or a database's)."""
    fields: dict[str, Any] = {}
    versions = 0
    for entry in journal.entries(record=record):
        if entry.get("_tx") in rolled_back:
            continue
        detail = entry.get("detail")
        if (detail.get("collection") if isinstance(detail, dict) else None) != collection:
            continue
        for key, pair in (entry.get("changes") or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                fields[key] = pair[1]
        versions += 1
    names = sorted(k for k in set(fields) | {k for k in stored if not k.startswith("_")}
                   if stored.get(k) != fields.get(k))
    if stored.get("_v") != versions:
        names.append("_v")
    if not names:
        names = sorted(k for k in stored if k.startswith("_") and k != "_v")   # who/when of the last change
    return names


__all__ = ["CHANGED", "EXPLAINED", "MISPLACED", "MISSING", "TWICE", "UNJOURNALED", "UNKNOWN_WRITE", "UNREADABLE",
           "Disagreement", "StoreCheck", "check_store", "compare", "differing_fields", "rolled_back_txs"]
