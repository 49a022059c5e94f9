"""Core hooks: situations, ledgers and data checks."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.domain.ledger import Ledger
    from kbtui.domain.status import StatusRegistry
    from kbtui.registry import Registry
    from kbtui.services.intake.checks import Check


@hookspec
def kbtui_register_statuses(registry: StatusRegistry) -> None:
    """Add situations to the vocabulary: ``registry.add(Situation("…", Kind.NOT_DROPOUT, True))``."""


@hookspec
def kbtui_register_ledgers(registry: Registry[Ledger]) -> None:
    """Add ledgers (台账): ``registry.add(ledger.id, ledger)``; ``registry.replace`` overrides one."""


@hookspec
def kbtui_register_checks(registry: Registry[Check]) -> None:
    """Add data checks for ``kbtui check``: a name → function(record, context) → list of problems."""
