"""The hook through which credentials reach every MCP HTTP request the client sends.

An HTTP transport asks its `HTTPAuth` for headers before each request and shows it
every response (a 401 or 403 challenge, and also a 2xx, which may carry a new
`DPoP-Nonce`), together with the `Authorization` that request carried, so a refusal of
a token already replaced (two requests in flight, one refresh) is told apart from a
refusal of the current one. When `on_response` returns True the credentials changed (a token was
refreshed, scopes were stepped up, a nonce rotated) and the transport sends the same
request again, at most `MAX_AUTH_RETRIES` times in a row, so a server that keeps
refusing cannot make the client loop. OAuth (`client/auth/`) implements this protocol;
`BearerAuth` is the fixed token of a config's `"auth": "<token>"`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

MAX_AUTH_RETRIES = 3


@runtime_checkable
class HTTPAuth(Protocol):
    async def headers(self, method: str, url: str) -> dict[str, str]:
        """Headers to add to one outgoing MCP HTTP request (Authorization, DPoP)."""
        ...

    async def on_response(
        self,
        status: int,
        headers: Mapping[str, str],
        method: str,
        url: str,
        *,
        authorization: str | None = None,
    ) -> bool:
        """See every response; True means "credentials changed, resend this request once".
        `authorization` is the `Authorization` header the answered request carried (None:
        it carried none)."""
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

    async def on_response(
        self,
        status: int,
        headers: Mapping[str, str],
        method: str,
        url: str,
        *,
        authorization: str | None = None,
    ) -> bool:
        return False  # the one token there is was refused: resending it cannot help

    def __repr__(self) -> str:
        return "BearerAuth(<token>)"  # never print the secret


R = TypeVar("R", bound=Any)


async def send_signed(
    auth: HTTPAuth | None,
    method: str,
    url: str,
    headers: Mapping[str, str],
    attempt: Callable[[dict[str, str]], Awaitable[R]],
) -> R:
    """`attempt(headers)` (one HTTP request; its response has `.status`, `.headers`,
    `.release()`) with `auth`'s headers added, repeated while `auth.on_response` says the
    credentials changed, at most `MAX_AUTH_RETRIES` times. Shared by the client's
    transports and the inspector's proxy, which signs requests with the same providers."""
    retries = 0
    while True:
        h = dict(headers) if auth is None else {**headers, **await auth.headers(method, url)}
        response = await attempt(h)
        if auth is None:
            return response
        try:
            again = await auth.on_response(
                response.status, response.headers, method, url, authorization=_authorization(h)
            )
        except BaseException:
            response.release()
            raise
        if not again or retries >= MAX_AUTH_RETRIES:
            return response
        retries += 1
        response.release()


def _authorization(headers: Mapping[str, str]) -> str | None:
    """The request's `Authorization`, whatever case its name was given in (the auth's
    own header, merged last, wins over one from the config)."""
    found = None
    for name, value in headers.items():
        if name.lower() == "authorization":
            found = value
    return found


__all__ = ["MAX_AUTH_RETRIES", "BearerAuth", "HTTPAuth", "send_signed"]
