"""The client's exceptions: each names the server and says what happened.

They subclass `mcp_use.protocol.errors.MCPError`, so `except MCPError` catches every
protocol-level failure, and the more specific classes let a caller tell a dead server
from a slow one or from a server that answered with an error.
"""

from __future__ import annotations

from typing import Any

from ..protocol.correlator import ConnectionClosed, RequestTimeout
from ..protocol.errors import CONNECTION_CLOSED, INTERNAL_ERROR, METHOD_NOT_FOUND, REQUEST_TIMEOUT, MCPError


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


class ConnectionRefused(ConnectError, ServerDisconnected):
    """Nothing listens where the server should be: the connection never opened.

    A `ConnectError` (the server was never reached) and, for code that catches a dead
    server, a `ServerDisconnected` too (a server that died refuses the next call).
    """

    def __init__(self, server: str | None, address: str, what: str) -> None:
        ServerDisconnected.__init__(
            self, server, f"connection refused by {address}: nothing listens there ({what})"
        )
        self.address = address


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

    method: str | None = None
    tool: str | None = None

    @classmethod
    def wrap(
        cls, server: str | None, exc: MCPError, method: str | None = None, subject: str | None = None
    ) -> ServerError:
        """The server's error, its message prefixed with the method (and tool, prompt or URI)."""
        text = exc.detail if isinstance(exc, ClientError) else exc.message
        where = f"{method} {subject!r}" if method and subject else method or ""
        error = cls(
            server,
            f"{where}: {text}" if where else text,
            code=exc.code,
            data=exc.data,
            http_status=exc.http_status,
        )
        error.method = method
        error.tool = subject if method == "tools/call" else None
        return error


class RequestTimedOut(ClientError, RequestTimeout):
    """No answer before the request's deadline."""

    def __init__(self, server: str | None, method: str, timeout: float, subject: str | None = None) -> None:
        where = f"{method} {subject!r}" if subject else method
        ClientError.__init__(
            self, server, f"{where} timed out after {timeout:g}s with no answer", code=REQUEST_TIMEOUT
        )
        self.method = method
        self.timeout = timeout


class ConnectTimedOut(RequestTimedOut, ConnectError):
    """No connect attempt finished before the connect deadline; `tried` says what was asked."""

    def __init__(self, server: str | None, timeout: float, tried: str) -> None:
        ClientError.__init__(self, server, f"no answer within {timeout:g}s: {tried}", code=REQUEST_TIMEOUT)
        self.method = "connect"
        self.timeout = timeout
        self.tried = tried


class CapabilityNotAdvertised(ClientError):
    """Refused before sending: the server did not advertise the capability `method` needs."""

    def __init__(self, server: str | None, method: str, why: str) -> None:
        super().__init__(server, f"{method}: {why}", code=METHOD_NOT_FOUND)
        self.method = method


class SessionNotFound(ClientError, KeyError):
    """No active session has that name."""

    def __str__(self) -> str:
        return self.message


__all__ = [
    "CapabilityNotAdvertised",
    "ClientError",
    "ConfigError",
    "ConnectError",
    "ConnectTimedOut",
    "ConnectionRefused",
    "HTTPStatusError",
    "RequestTimedOut",
    "ServerDisconnected",
    "ServerError",
    "SessionNotFound",
    "TransportError",
]
