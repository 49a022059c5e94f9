"""The screens the app can show: core ones plus those plugins register (``kbtui_register_screens``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual.screen import Screen

from kbtui.registry import Registry


@dataclass(frozen=True)
class NavItem:
    id: str                          # stable id, also the binding id ("nav.<id>") for remapping
    label: str                       # Chinese label shown in the footer and the palette
    key: str                         # key that opens it, "" for palette only
    factory: Callable[[], Screen]
    description: str = ""


def core_items() -> list[NavItem]:
    from kbtui.tui.screens.children import ChildrenScreen

    return [NavItem("children", "儿童", "f2", ChildrenScreen, "全部儿童名单，可搜索、筛选、排序")]


def navigation(plugins) -> Registry[NavItem]:
    registry: Registry[NavItem] = Registry("界面")
    for item in core_items():
        registry.add(item.id, item)
    return plugins.collect("kbtui_register_screens", registry, kind="界面")
