"""The stock kinds of name list: 派出所户籍, 学校学籍, 防返贫监测, 残联 and 民政 (``kbtui import <kind> FILE``)."""
from __future__ import annotations

from kbtui.api import STOCK_SOURCES, hookimpl


@hookimpl
def kbtui_register_sources(registry):
    for source in STOCK_SOURCES:
        registry.add(source.name, source)
