"""The MCP server: `MCPServer`, `Context` and the pieces under them."""

from .context import Context, ElicitationResult
from .router import MCPRouter
from .server import MCPServer
from .tasks import TaskSettings
from .tools import ToolError

__all__ = ["Context", "ElicitationResult", "MCPRouter", "MCPServer", "TaskSettings", "ToolError"]
