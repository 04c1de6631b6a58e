"""The MCP client: `MCPClient` (many servers from a config) and `ClientSession` (one server)."""

from .client import MCPClient
from .config import HttpServerConfig, ServerConfig, StdioServerConfig
from .errors import (
    CapabilityNotAdvertised,
    ClientError,
    ConfigError,
    ConnectError,
    ConnectionRefused,
    ConnectTimedOut,
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
    "CapabilityNotAdvertised",
    "ClientError",
    "ClientSession",
    "ConfigError",
    "ConnectError",
    "ConnectTimedOut",
    "ConnectionRefused",
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
