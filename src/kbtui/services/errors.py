"""The store's refusals as the services hand them on, for the callers above (TUI screens, CLI).

Service calls raise the store's errors unchanged (a damaged file, another operator's newer edit); a screen
catches them to show their Chinese message without reaching into the store layer. This module is their one
re-export; services themselves import them from ``kbtui.store``.
"""
from __future__ import annotations

from kbtui.store.errors import RecordNotFound, StaleEditError, StoreError

__all__ = ["RecordNotFound", "StaleEditError", "StoreError"]
