"""The MCP server: `MCPServer`, `Context` and the pieces under them.

`MCPServer` (server.py) is a facade over one `ServerCore` (core.py): registries, the
engine, the session table, the lifecycle. Transports (`transports/`) and the HTTP app
(`http/`) receive the core, never the facade; import-linter contracts keep it so.
Names load on first use (as in `mcp_use`), so building a server does not import what
it does not use (the MCP-level middleware, for one).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Context": ".context",
    "ElicitationResult": ".context",
    "MCPRouter": ".router",
    "MCPServer": ".server",
    "Middleware": ".middleware",
    "MiddlewareContext": ".middleware",
    "TaskSettings": ".tasks",
    "ToolError": ".tools",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .context import Context as Context
    from .context import ElicitationResult as ElicitationResult
    from .middleware import Middleware as Middleware
    from .middleware import MiddlewareContext as MiddlewareContext
    from .router import MCPRouter as MCPRouter
    from .server import MCPServer as MCPServer
    from .tasks import TaskSettings as TaskSettings
    from .tools import ToolError as ToolError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcp_use.server' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
