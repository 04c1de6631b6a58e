"""The hook through which credentials reach every MCP HTTP request the client sends.

An HTTP transport asks its `HTTPAuth` for headers before each request and shows it
every response (a 401 or 403 challenge, and also a 2xx, which may carry a new
`DPoP-Nonce`). When `on_response` returns True the credentials changed (a token was
refreshed, scopes were stepped up, a nonce rotated) and the transport sends the same
request again, at most `MAX_AUTH_RETRIES` times in a row, so a server that keeps
refusing cannot make the client loop. OAuth (`client/auth/`) implements this protocol;
`BearerAuth` is the fixed token of a config's `"auth": "<token>"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

MAX_AUTH_RETRIES = 3


@runtime_checkable
class HTTPAuth(Protocol):
    async def headers(self, method: str, url: str) -> dict[str, str]:
        """Headers to add to one outgoing MCP HTTP request (Authorization, DPoP)."""
        ...

    async def on_response(self, status: int, headers: Mapping[str, str], method: str, url: str) -> bool:
        """See every response; True means "credentials changed, resend this request once"."""
        ...


class BearerAuth:
    """A fixed bearer token: sent on every request, never refreshed.

    A token given with its scheme (`"Bearer abc"`) is sent as is; a bare one gets
    `Bearer ` in front. A 401 cannot be fixed by resending the same token, so
    `on_response` never asks for a retry.
    """

    __slots__ = ("_headers",)

    def __init__(self, token: str) -> None:
        if not token or any(c in token for c in "\r\n"):
            raise ValueError("a bearer token must be a non-empty single line")
        value = token if token.lower().startswith("bearer ") else f"Bearer {token}"
        self._headers = {"Authorization": value}

    async def headers(self, method: str, url: str) -> dict[str, str]:
        return self._headers

    async def on_response(self, status: int, headers: Mapping[str, str], method: str, url: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "BearerAuth(<token>)"  # never print the secret


__all__ = ["MAX_AUTH_RETRIES", "BearerAuth", "HTTPAuth"]
