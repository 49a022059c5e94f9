"""Which ledgers (台账) this workspace has: look one up by id, and list them with their row counts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kbtui.domain.ledger import Ledger
from kbtui.registry import enabled
from kbtui.services.children.places import village_problem

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


def village_records(workspace: Workspace, village: str | None) -> list[dict]:
    problem = village_problem(workspace, village)
    if problem:
        raise LedgerError(problem)
    records = list(workspace.store.all())
    return [r for r in records if (r.get("village") or "") == village] if village else records


def list_ledgers(workspace: Workspace, village: str | None = None) -> list[LedgerInfo]:
    ctx = workspace.context()
    records = village_records(workspace, village)
    out = []
    for lid, ledger in workspace.ledgers.items():
        rows = sum(1 for r in records if ledger.include(r, ctx))
        out.append(LedgerInfo(lid, ledger.title_for(ctx), ledger.description, rows,
                              [h for h, _ in ledger.headers()]))
    return out
