"""`Registry`: one dict of feature records (tools, prompts, resources or templates).

Like the SDK's `ToolManager`: get, list, add, remove, and an `on_change` callback the
core uses to announce `list_changed`. A registry knows nothing of sessions or eras.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Records of one kind by key; `kind` ("tools", "prompts", "resources") names the list."""

    __slots__ = ("_items", "kind", "on_change")

    def __init__(self, kind: str, on_change: Callable[[str], None] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self.on_change = on_change

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def list(self) -> list[T]:
        return list(self._items.values())

    def values(self) -> Iterator[T]:
        """The records, without copying (do not add or remove while iterating)."""
        return iter(self._items.values())

    def add(self, key: str, item: T) -> T:
        self._items[key] = item
        self._changed()
        return item

    def remove(self, key: str) -> T | None:
        item = self._items.pop(key, None)
        if item is not None:
            self._changed()
        return item

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.kind)


class Features:
    """Everything a server offers: one registry per kind, the completion handler and the
    handlers of client notifications. Built once by the core; the facade's decorators
    fill it."""

    __slots__ = (
        "completion",
        "notification_handlers",
        "owner",
        "prompts",
        "resources",
        "templates",
        "tools",
    )

    def __init__(self, on_change: Callable[[str], None] | None = None) -> None:
        self.tools: Registry[Any] = Registry("tools", on_change)
        self.prompts: Registry[Any] = Registry("prompts", on_change)
        self.resources: Registry[Any] = Registry("resources", on_change)
        self.templates: Registry[Any] = Registry("resources", on_change)
        self.completion: Callable[..., Any] | None = None
        self.notification_handlers: dict[str, Callable[..., Any]] = {}
        self.owner: Any = None  # the `MCPServer` these belong to, for `ctx.server`
