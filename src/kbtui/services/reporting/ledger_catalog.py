"""Which ledgers (台账) this workspace has: look one up by id, and list them with their row counts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kbtui.domain.ledger import Ledger
from kbtui.registry import enabled
from kbtui.services.children.places import Place, find_village

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


class LedgerError(Exception):
    """A ledger operation that cannot be done; the message is Chinese."""


@dataclass
class LedgerInfo:
    id: str
    title: str
    description: str
    rows: int
    columns: list[str]

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "description": self.description, "rows": self.rows,
                "columns": self.columns}


def get_ledger(workspace: Workspace, ledger_id: str) -> Ledger:
    return enabled(workspace.ledgers, ledger_id, "台账", LedgerError)


def place_records(workspace: Workspace, village: str | None,
                  town: str | None = None) -> tuple[Place | None, list[dict]]:
    """The village (or a district's town) asked for and the children there (every child in scope for neither);
    LedgerError (Chinese) for a place nobody lives in or a village name two towns share."""
    place = find_village(workspace, village, LedgerError, town)
    records = list(workspace.store.all())
    return place, [r for r in records if place.holds(r)] if place else records


def village_records(workspace: Workspace, village: str | None, town: str | None = None) -> list[dict]:
    return place_records(workspace, village, town)[1]


def list_ledgers(workspace: Workspace, village: str | None = None, town: str | None = None) -> list[LedgerInfo]:
    ctx = workspace.context()
    records = village_records(workspace, village, town)
    out = []
    for lid, ledger in workspace.ledgers.items():
        rows = sum(1 for r in records if ledger.include(r, ctx))
        out.append(LedgerInfo(lid, ledger.title_for(ctx), ledger.description, rows,
                              [h for h, _ in ledger.headers()]))
    return out
