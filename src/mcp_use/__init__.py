"""mcp_use: a fast Python framework for the Model Context Protocol.

`from mcp_use import MCPServer, MCPClient, MCPAgent, Context`. Names load on first use,
so `import mcp_use` stays cheap and pulls in neither the client, the agent, uvicorn nor
LangChain until they are asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "MCPServer": "mcp_use.server.server",
    "MCPRouter": "mcp_use.server.router",
    "RedisState": "mcp_use.server.state.redis",
    "Context": "mcp_use.server.context",
    "ElicitationResult": "mcp_use.server.context",
    "ToolError": "mcp_use.server.tools",
    "Middleware": "mcp_use.server.middleware",
    "MiddlewareContext": "mcp_use.server.middleware",
    "MCPError": "mcp_use.protocol.errors",
    "MCPClient": "mcp_use.client.client",
    "ClientSession": "mcp_use.client.session",
    "MCPAgent": "mcp_use.agents.agent",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .protocol.errors import MCPError as MCPError
    from .server.context import Context as Context
    from .server.context import ElicitationResult as ElicitationResult
    from .server.middleware import Middleware as Middleware
    from .server.middleware import MiddlewareContext as MiddlewareContext
    from .server.router import MCPRouter as MCPRouter
    from .server.server import MCPServer as MCPServer
    from .server.state.redis import RedisState as RedisState
    from .server.tools import ToolError as ToolError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcp_use' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
