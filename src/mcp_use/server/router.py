"""`MCPRouter`: tools, resources and prompts declared in one module, included in a server later.

Like FastAPI's `APIRouter`: a large server splits its features across modules without
each module importing the server object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def named_decorator(add: Callable[[Any, dict[str, Any]], Any], fn: Any, options: dict[str, Any]) -> Any:
    """`@x.tool`, `@x.tool()`, `@x.tool("name")` and `@x.tool(name=...)` in one place."""
    if isinstance(fn, str):
        options.setdefault("name", fn)
        fn = None

    def register(f: F) -> F:
        add(f, options)
        return f

    return register(fn) if callable(fn) else register


class Registrar(Protocol):
    """What a router is applied to: an `MCPServer` (typed here without importing it).
    Its decorators, not its `add_*` methods: records are built on first use, as for
    features decorated on the server itself."""

    def tool(self, fn: Any = None, /, **options: Any) -> Any: ...

    def resource(self, uri: str, /, **options: Any) -> Callable[[F], F]: ...

    def prompt(self, fn: Any = None, /, **options: Any) -> Any: ...


class MCPRouter:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.tools: list[tuple[Callable[..., Any], dict[str, Any]]] = []
        self.resources: list[tuple[Callable[..., Any], str, dict[str, Any]]] = []
        self.prompts: list[tuple[Callable[..., Any], dict[str, Any]]] = []

    def tool(self, fn: Any = None, /, **options: Any) -> Any:
        """Same as `MCPServer.tool`, recorded until the router is included."""
        return named_decorator(lambda f, o: self.tools.append((f, o)), fn, options)

    def resource(self, uri: str, /, **options: Any) -> Callable[[F], F]:
        def register(f: F) -> F:
            self.resources.append((f, uri, options))
            return f

        return register

    def prompt(self, fn: Any = None, /, **options: Any) -> Any:
        return named_decorator(lambda f, o: self.prompts.append((f, o)), fn, options)

    def include_router(self, router: MCPRouter, prefix: str = "") -> None:
        """Nest another router; its names get `prefix` in front."""
        for fn, options in router.tools:
            self.tools.append((fn, _prefixed(fn, options, prefix + router.prefix)))
        for fn, uri, options in router.resources:
            self.resources.append((fn, uri, options))
        for fn, options in router.prompts:
            self.prompts.append((fn, _prefixed(fn, options, prefix + router.prefix)))

    def apply(self, server: Registrar, prefix: str = "") -> None:
        full = prefix + self.prefix
        for fn, options in self.tools:
            server.tool(**_prefixed(fn, options, full))(fn)
        for fn, uri, options in self.resources:
            server.resource(uri, **options)(fn)
        for fn, options in self.prompts:
            server.prompt(**_prefixed(fn, options, full))(fn)


def _prefixed(fn: Callable[..., Any], options: dict[str, Any], prefix: str) -> dict[str, Any]:
    if not prefix:
        return options
    return {**options, "name": prefix + options.get("name", fn.__name__)}
