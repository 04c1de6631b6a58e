"""`Registry`: one dict of feature records (tools, prompts, resources or templates).

Like the SDK's `ToolManager`: get, list, add, remove, and an `on_change` callback the
core uses to announce `list_changed`. A registry knows nothing of sessions or eras.

`add_later` registers a record by its recipe: the facade's decorators use it, so a
module that only defines a server (imported by a CLI, a worker, a test) never builds a
schema, and building one is what imports pydantic. The first read builds every waiting
record, in registration order, and from then on `add_later` builds at once, so a record
registered while serving is built (or fails) at its registration, as with `add`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Recipe:
    """A record not built yet: what `add_later` holds in its place until the first read."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], Any]) -> None:
        self.build = build


class Registry(Generic[T]):
    """Records of one kind by key; `kind` ("tools", "prompts", "resources") names the list."""

    __slots__ = ("_items", "_waiting", "kind", "on_change", "watchers")

    def __init__(self, kind: str, on_change: Callable[[str], None] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._waiting = True  # no read yet: `add_later` keeps recipes
        self.on_change = on_change
        # Called after each change too, before `on_change`: caches of lookups forget.
        self.watchers: list[Callable[[], None]] = []

    def get(self, key: str) -> T | None:
        if self._waiting:
            self.settle()
        return self._items.get(key)

    def list(self) -> list[T]:
        if self._waiting:
            self.settle()
        return list(self._items.values())

    def values(self) -> Iterator[T]:
        """The records, without copying (do not add or remove while iterating)."""
        if self._waiting:
            self.settle()
        return iter(self._items.values())

    def add(self, key: str, item: T) -> T:
        self._items[key] = item
        self._changed()
        return item

    def add_later(self, key: str, build: Callable[[], T]) -> None:
        """Register the record `build()` makes, built on the registry's first read."""
        if not self._waiting:
            self.add(key, build())
            return
        self._items[key] = _Recipe(build)  # type: ignore[assignment]
        self._changed()

    def settle(self) -> None:
        """Build the waiting records, in order. One that fails stays waiting (each read
        raises its error again) and the registry with it: it never serves a partial list."""
        for key, item in list(self._items.items()):
            if isinstance(item, _Recipe):
                self._items[key] = item.build()
        self._waiting = False

    def remove(self, key: str) -> T | None:
        if self._waiting:
            self.settle()
        item = self._items.pop(key, None)
        if item is not None:
            self._changed()
        return item

    def __contains__(self, key: object) -> bool:
        if self._waiting:
            self.settle()
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def _changed(self) -> None:
        for forget in self.watchers:
            forget()
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

    def settle(self) -> None:
        """Build every record registered for later (before serving: a bad signature
        fails here, not at a client's first request)."""
        for registry in (self.tools, self.prompts, self.resources, self.templates):
            registry.settle()
