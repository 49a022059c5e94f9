"""Objects kept for the life of one opened workspace (caches shared by its screens and threads)."""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

T = TypeVar("T")

_KEPT: dict[tuple[int, str], Any] = {}       # (id(workspace), kind) -> object; dropped with the workspace
_LOCK = threading.Lock()


def _drop(ident: int) -> None:
    with _LOCK:
        for key in [k for k in _KEPT if k[0] == ident]:
            del _KEPT[key]


def attached(workspace: Workspace, kind: str, make: Callable[[], T]) -> T:
    """The ``kind`` object of ``workspace``, made by ``make()`` the first time. ``make`` must not keep a
    strong reference to the workspace (a ``weakref``), else the workspace would never be freed."""
    key = (id(workspace), kind)
    with _LOCK:
        found = _KEPT.get(key)
        if found is None or found[0]() is not workspace:
            if not any(k[0] == key[0] for k in _KEPT):
                weakref.finalize(workspace, _drop, key[0])
            found = _KEPT[key] = (weakref.ref(workspace), make())
        return found[1]
