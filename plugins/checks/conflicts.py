"""Data check 来源冲突: fields on which two imported lists (or two rows of one list) disagree.

The importer never overwrites a value with a different one from another list: it keeps the first
value and stores the other in ``record["conflicts"]``. This check shows them in ``kbtui check``
until an operator settles them (``kbtui.services.intake.merge.resolve_conflict``).
"""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import check_conflicts


@hookimpl
def kbtui_register_checks(registry) -> None:
    registry.add("来源冲突", check_conflicts)
