"""The MCP client: `MCPClient` (many servers from a config) and `ClientSession` (one server)."""

from .client import MCPClient
from .config import HttpServerConfig, ServerConfig, StdioServerConfig
from .errors import (
    ClientError,
    ConfigError,
    ConnectError,
    HTTPStatusError,
    RequestTimedOut,
    ServerDisconnected,
    ServerError,
    SessionNotFound,
    TransportError,
)
from .session import ClientSession
from .tasks import TaskCancelled, TaskHandle, TaskStatus

__all__ = [
    "ClientError",
    "ClientSession",
    "ConfigError",
    "ConnectError",
    "HTTPStatusError",
    "HttpServerConfig",
    "MCPClient",
    "RequestTimedOut",
    "ServerConfig",
    "ServerDisconnected",
    "ServerError",
    "SessionNotFound",
    "StdioServerConfig",
    "TaskCancelled",
    "TaskHandle",
    "TaskStatus",
    "TransportError",
]
