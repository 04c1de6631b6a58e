"""The client's exceptions: each names the server and says what happened.

They subclass `mcp_use.protocol.errors.MCPError`, so `except MCPError` catches every
protocol-level failure, and the more specific classes let a caller tell a dead server
from a slow one or from a server that answered with an error.
"""

from __future__ import annotations

from typing import Any

from ..protocol.correlator import ConnectionClosed, RequestTimeout
from ..protocol.errors import CONNECTION_CLOSED, INTERNAL_ERROR, REQUEST_TIMEOUT, MCPError


class ConfigError(ValueError):
    """The client configuration is wrong; the message names the entry and the field."""


class ClientError(MCPError):
    """Base of the client's failures; `server` is the configured server name."""

    def __init__(
        self,
        server: str | None,
        message: str,
        *,
        code: int = INTERNAL_ERROR,
        data: Any = None,
        http_status: int | None = None,
    ) -> None:
        prefix = f"[{server}] " if server else ""
        MCPError.__init__(self, code, prefix + message, data, http_status=http_status)
        self.server = server
        self.detail = message


class ConnectError(ClientError):
    """The client could not reach the server or finish the handshake with it."""


class TransportError(ClientError):
    """The transport broke: an HTTP 5xx, malformed JSON, a stream that ended early."""


class ServerDisconnected(TransportError, ConnectionClosed):
    """The server process exited or the connection dropped while calls were pending."""

    def __init__(self, server: str | None, message: str, **kw: Any) -> None:
        kw.setdefault("code", CONNECTION_CLOSED)
        TransportError.__init__(self, server, message, **kw)


class HTTPStatusError(TransportError):
    """The server answered an HTTP request with an error status and no JSON-RPC error."""

    def __init__(self, server: str | None, status: int, body: str, what: str) -> None:
        snippet = body.strip().replace("\n", " ")[:300]
        super().__init__(
            server, f"HTTP {status} for {what}" + (f": {snippet}" if snippet else ""), http_status=status
        )
        self.status = status
        self.body = body


class ServerError(ClientError):
    """The server answered the request with a JSON-RPC error (`code`, `data` as sent)."""

    @classmethod
    def wrap(cls, server: str | None, exc: MCPError) -> ServerError:
        return cls(server, exc.message, code=exc.code, data=exc.data, http_status=exc.http_status)


class RequestTimedOut(ClientError, RequestTimeout):
    """No answer before the request's deadline."""

    def __init__(self, server: str | None, method: str, timeout: float) -> None:
        ClientError.__init__(
            self, server, f"{method} timed out after {timeout:g}s with no answer", code=REQUEST_TIMEOUT
        )
        self.method = method
        self.timeout = timeout


class SessionNotFound(ClientError, KeyError):
    """No active session has that name."""

    def __str__(self) -> str:
        return self.message


__all__ = [
    "ClientError",
    "ConfigError",
    "ConnectError",
    "HTTPStatusError",
    "RequestTimedOut",
    "ServerDisconnected",
    "ServerError",
    "SessionNotFound",
    "TransportError",
]
