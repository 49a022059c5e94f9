"""The disk copies of the caches kept per village file (``cache/<kind>-<key>.json``: the counts, the 预警
counts, the visit tasks' counts): ``{"key": …, "files": {village file: its share}}``, read whole or not at all."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from kbtui.errors import StoreError
from kbtui.store import layout
from kbtui.store.storage import atomic_write

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

T = TypeVar("T")


def kept_path(workspace: Workspace, kind: str, key: str) -> Path:
    return workspace.root / layout.CACHE_DIR / f"{kind}-{key}.json"


def read_kept(path: Path, key: str, parse: Callable[[Any], T]) -> dict[str, T] | None:
    """Each file's share (``parse`` of its item) from the copy at ``path`` made under ``key``; None when the
    copy is missing, damaged or made under another key (then everything is computed afresh)."""
    try:
        data = orjson.loads(path.read_bytes())
        if data.get("key") != key:
            return None
        return {name: parse(item) for name, item in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_kept(workspace: Workspace, path: Path, key: str, files: dict[str, Any]) -> bool:
    """Write the copy (atomically); False when it could not be (a read-only folder, a full disk: the shares
    are still right in memory)."""
    if workspace.store.read_only:
        return False
    try:
        workspace.folder(layout.CACHE_DIR)
        atomic_write(path, orjson.dumps({"key": key, "files": files}, default=repr))
    except (OSError, StoreError, TypeError):
        return False
    return True
