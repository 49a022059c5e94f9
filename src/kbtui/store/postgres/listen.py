"""LISTEN/NOTIFY: an open list learns that another operator saved, without polling.

Every journal line notifies channel ``kbtui`` with ``<chain>:<seq>`` when its transaction commits (a rolled
back write notifies nothing). Notifications are not filtered by row-level security, so the payload names only
the chain (a town) and the seq, never a child; the listener keeps the chains its store may read and the store's
``refresh()`` then reads what changed, through row-level security.
"""
from __future__ import annotations

import contextlib

import psycopg

from kbtui.store.postgres import connect as C

CHANNEL = "kbtui"


class ChangeListener:
    """A dedicated autocommit connection listening on ``kbtui`` (not from the pool: a pooled connection
    would hand the LISTEN to whoever takes it next)."""

    def __init__(self, url: str, towns: list[str] | None):
        self.url = url
        self.towns = None if towns is None else set(towns) | {""}
        self.conn = C.connect(url, autocommit=True)
        with C.friendly(url, "监听其他操作员的保存"):
            self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> list[str]:
        """The chains saved to (that this store may read) within ``timeout`` seconds of the first one; []
        when nothing was saved meanwhile."""
        chains: list[str] = []
        with C.friendly(self.url, "监听其他操作员的保存"):
            for note in self.conn.notifies(timeout=timeout, stop_after=1):
                chain = note.payload.rpartition(":")[0]
                if self.towns is None or chain in self.towns:
                    chains.append(chain)
            # whatever else arrived with it
            for note in self.conn.notifies(timeout=0.01):
                chain = note.payload.rpartition(":")[0]
                if (self.towns is None or chain in self.towns) and chain not in chains:
                    chains.append(chain)
        return chains

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.close()
