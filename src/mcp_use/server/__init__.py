"""The MCP server: `MCPServer`, `Context` and the pieces under them.

`MCPServer` (server.py) is a facade over one `ServerCore` (core.py): registries, the
engine, the session table, the lifecycle. Transports (`transports/`) and the HTTP app
(`http/`) receive the core, never the facade; import-linter contracts keep it so.
"""

from .context import Context, ElicitationResult
from .middleware import Middleware, MiddlewareContext
from .router import MCPRouter
from .server import MCPServer
from .tasks import TaskSettings
from .tools import ToolError

__all__ = [
    "Context",
    "ElicitationResult",
    "MCPRouter",
    "MCPServer",
    "Middleware",
    "MiddlewareContext",
    "TaskSettings",
    "ToolError",
]
