"""JSON-RPC and MCP error codes, and the exception that carries one across layers."""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# Legacy era (2025-11-25 and earlier).
RESOURCE_NOT_FOUND_LEGACY = -32002
URL_ELICITATION_REQUIRED = -32042
# Implementation-defined range (-32000..-32019), used for transport-level refusals.
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
# An unknown or ended `Mcp-Session-Id` (HTTP 404), as the TypeScript SDK answers it.
SESSION_NOT_FOUND = -32001
# Modern era (2026-07-28) codes, allocated by the specification.
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022


class MCPError(Exception):
    """A JSON-RPC error, raised anywhere and turned into an error response at the edge."""

    def __init__(self, code: int, message: str, data: Any = None, *, http_status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        # Set when the error rejects the request itself, so HTTP answers with this status.
        self.http_status = http_status

    def to_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    @classmethod
    def from_error(cls, error: dict[str, Any]) -> MCPError:
        return cls(int(error.get("code", INTERNAL_ERROR)), str(error.get("message", "")), error.get("data"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.message!r})"


def invalid_params(message: str, data: Any = None) -> MCPError:
    return MCPError(INVALID_PARAMS, message, data)


def method_not_found(method: str) -> MCPError:
    return MCPError(METHOD_NOT_FOUND, f"Method not found: {method}")


QUOTE_LIMIT = 200


def brief(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`repr(value)` cut to at most `limit` characters: error texts quote what they
    refuse, never a megabyte of it back."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` as is when short, else its first `limit` characters and how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
