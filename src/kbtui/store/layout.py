"""Paths of a data folder and the private-permission helpers."""
from __future__ import annotations

import os
import re
from pathlib import Path

from kbtui.store.owner import make_dirs

DIR_MODE = 0o700
FILE_MODE = 0o600
NO_VILLAGE_SHARD = "_未分村"
TOWN_SEP = "·"             # a district's shard: <town>·<village>
CACHE_DIR = "cache"        # derived figures kept between runs (services.children.counts): not backed up
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_MAX_NAME_BYTES = 200


def store_dir(root: Path) -> Path:
    return root / "store"


def children_dir(root: Path) -> Path:
    return root / "store" / "children"


def collections_dir(root: Path) -> Path:
    return root / "store" / "collections"


def sharded_dirs(root: Path) -> list[Path]:
    """The folders of the collections kept one file per village (``store.sharded``), sorted."""
    try:
        entries = sorted(os.scandir(collections_dir(root)), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    return [Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]


def data_dirs(root: Path) -> list[Path]:
    """Every folder holding store files: the village files, the collections, the village-sharded collections."""
    return [children_dir(root), collections_dir(root), *sharded_dirs(root)]


def journal_dir(root: Path) -> Path:
    return root / "journal"


def journal_path(root: Path) -> Path:
    return root / "journal" / "journal.jsonl"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing and make it 0700 (left as it is when it already is: a
    read-only data folder still opens). Made as root, it keeps the owner of the folder above it."""
    make_dirs(path, DIR_MODE)
    if (path.stat().st_mode & 0o777) != DIR_MODE:
        os.chmod(path, DIR_MODE)


def ensure_layout(root: Path) -> None:
    for d in (root, store_dir(root), children_dir(root), collections_dir(root), journal_dir(root)):
        ensure_private_dir(d)


def safe_name(value: str) -> str:
    """A file-system-safe version of ``value`` (no separators, no leading dot, bounded length)."""
    name = _UNSAFE.sub("_", value).strip(" .")
    while len(name.encode("utf-8")) > _MAX_NAME_BYTES:
        name = name[:-1]
    return name


def shard_name(village: object, town: object = None) -> str:
    """The shard (file stem) holding the children of ``village``; of ``town``'s ``village`` in a district, whose
    towns may each have a 新村 (``城头镇·新村``; a township's children have no town: its files keep their names)."""
    name = NO_VILLAGE_SHARD if village is None else (safe_name(str(village).strip()) or NO_VILLAGE_SHARD)
    if isinstance(town, str) and town.strip():
        return safe_name(f"{town.strip()}{TOWN_SEP}{name}")
    return name


def record_shard(record: dict) -> str:
    """The shard a record (a child, or a document about one carrying its village and town) belongs in."""
    return shard_name(record.get("village") or None, record.get("town"))


def is_town_shard(name: str) -> bool:
    """Is this file stem a district's town-qualified shard (``城头镇·新村``)?"""
    return TOWN_SEP in name


def village_of_shard(name: str) -> str:
    """The village part of a shard's file stem (``城头镇·新村`` → ``新村``)."""
    return name.rpartition(TOWN_SEP)[2]


def is_data_file(name: str) -> bool:
    return name.endswith(".json") and not name.startswith(".")
