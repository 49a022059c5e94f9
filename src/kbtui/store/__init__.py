"""The store: the only code that touches data files.

Children live in one TinyDB file per village (``root/store/children/<village>.json``) with an in-memory
index across villages; small generic collections in ``root/store/collections/<name>.json``, those that grow
with the children (visit tasks) one file per village in ``root/store/collections/<name>/`` (``store.sharded``); every
change is appended to the hash-chained journal ``root/journal/journal.jsonl``. Its errors are ``kbtui.errors``.
"""
from kbtui.store.children import ChildStore
from kbtui.store.collections import Collection
from kbtui.store.journal import Journal, JournalEntry
from kbtui.store.layout import NO_VILLAGE_SHARD, shard_name

__all__ = ["ChildStore", "Collection", "Journal", "JournalEntry", "NO_VILLAGE_SHARD", "shard_name"]
