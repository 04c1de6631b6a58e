"""The MCP server: `MCPServer`, `Context` and the pieces under them."""

from .context import Context, ElicitationResult
from .server import MCPServer
from .tools import ToolError

__all__ = ["Context", "ElicitationResult", "MCPServer", "ToolError"]
