"""The store's refusals, which cross every layer: the store raises them, the services hand them on unchanged
(a damaged file, another operator's newer edit), the TUI screens and the CLI show their Chinese message.

Defined here, below the store, so that a screen catches them without importing the store layer and no
module has to re-export them. The store's helpers that build their messages are in ``kbtui.store.errors``.
"""
from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base class of every store failure (message in Chinese)."""


class RecordNotFound(StoreError):
    """The record (child or collection document) does not exist."""


class StaleEditError(StoreError):
    """Someone else changed the record since the caller read it.

    ``current`` is the record as it is now, ``attempted`` the changes that were not saved.
    """

    def __init__(self, message: str, current: dict[str, Any], attempted: dict[str, Any]):
        super().__init__(message)
        self.current = current
        self.attempted = attempted
