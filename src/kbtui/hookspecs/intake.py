"""Intake hooks: the kinds of name list a township imports (户籍, 学籍, 防返贫, 残联, 民政 …)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from kbtui.registry import Registry
    from kbtui.services.intake.sources import Source


@hookspec
def kbtui_register_sources(registry: Registry[Source]) -> None:
    """Add kinds of list for ``kbtui import <kind> FILE``: ``registry.add(source.name, Source(...))``.

    A ``Source`` (``kbtui.api``) names the list (``name``, stored in each child's ``sources``; ``label`` in
    Chinese), the field keys it must have as columns (``required``), the record fields it contributes
    (``owns``), the columns that make a list this kind (``defining``), and optionally a ``mapper`` turning
    its raw columns into record values (e.g. a 是否留守 column into the key group 留守儿童). The stock kinds
    come from the stock plugin ``intake.sources``; ``registry.replace`` changes one on purpose.
    """
