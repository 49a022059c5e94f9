"""Registries that hooks fill: named items, a duplicate name refused with a clear Chinese message."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class DuplicateError(ValueError):
    pass


def enabled(items: Mapping[str, T], name: str, kind: str, error: type[Exception]) -> T:
    """``items[name]`` of what the profile enables, else ``error`` naming the ``kind`` (台账, 报表…) and the
    names that are enabled."""
    if name not in items:
        names = "、".join(items) or "（无）"
        raise error(f"没有名为“{name}”的{kind}（本配置启用的{kind}有：{names}）")
    return items[name]


class Registry(Generic[T]):
    """Items by name, remembering which plugin registered each one.

    ``owner`` is set by the plugin manager while a plugin's hook runs, so that ``kbtui plugins`` can
    say what each plugin registers.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind                     # Chinese noun used in messages, e.g. "台账"
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self.owner = "core"

    def add(self, name: str, item: T) -> T:
        if name in self._items:
            raise DuplicateError(
                f"{self.kind}“{name}”已由插件 {self._owners[name]} 登记，插件 {self.owner} 不能重复登记"
            )
        self._items[name] = item
        self._owners[name] = self.owner
        return item

    def replace(self, name: str, item: T) -> T:
        """Let a county plugin override a stock item on purpose (a variant of the same name)."""
        if name not in self._items:
            raise KeyError(f"没有名为“{name}”的{self.kind}可替换")
        self._items[name] = item
        self._owners[name] = self.owner
        return item

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            names = "、".join(self._items) or "（无）"
            raise KeyError(f"没有名为“{name}”的{self.kind}，可用的有：{names}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def names(self) -> list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self):
        return self._items.items()

    def values(self):
        return self._items.values()

    def owned_by(self, owner: str) -> list[str]:
        """Names added or replaced by this plugin."""
        return [name for name, who in self._owners.items() if who == owner]
