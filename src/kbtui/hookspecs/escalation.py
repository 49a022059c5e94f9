"""Escalation hooks: the ladders (劝返流程) that absent children climb."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.domain.escalation import Ladder
    from kbtui.registry import Registry


@hookspec
def kbtui_register_ladders(registry: Registry[Ladder]) -> None:
    """Add escalation ladders: ``registry.add(ladder.id, ladder)``.

    A ladder (``kbtui.domain.escalation.Ladder``) is data: rungs with a ``Threshold`` (school days,
    calendar days, hours or months), the action, the responsible role, the days allowed to act, what
    happens on failure, and optionally the situation the rung marks (疑似辍学 / 辍学) and whether it opens
    the child's case. The profile chooses which ladders apply (``[escalation] ladders = [...]``).

    A county plugin changes a stock ladder on purpose with ``registry.replace(ladder_id, new_ladder)``,
    deriving ``new_ladder`` from ``registry[ladder_id]`` with ``Ladder.with_rung`` / ``without_rung`` or
    ``dataclasses.replace``. Stock plugins run first, so ``registry[ladder_id]`` is already there.
    """
