"""The inspector's proxy route: lets the page reach an MCP server on another origin.

A browser refuses a page's requests to another origin unless that server opts in
(CORS), so the inspector sends them here, to its own origin, and this route forwards
them (`?url=<target>`), streaming SSE answers through as they come. It is an open door
to wherever this process can connect, so it is only mounted with the debug routes
(never at DEBUG=0) and only serves:

- clients on a loopback address (the person at this machine);
- requests whose Host is a loopback name or one the server allows (no DNS rebinding);
- same-origin pages: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to this
  server's own; a request with neither (curl, another program) is refused too, since a
  non-browser client needs no proxy.

Request headers go through except hop-by-hop ones, cookies and the browser's own
(`Origin`, `Referer`, `Sec-*`): `Authorization`, the custom headers typed in the page,
`Mcp-Session-Id`, `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*` and
`Last-Event-ID` reach the target. aiohttp's errors become a 502 with a JSON-RPC error
body here, and nowhere else.

With an `auth` hook (the client's `HTTPAuth`: `headers()` before each request,
`on_response()` after it; `mcp-use inspect` passes the `OAuthProvider` of an entry whose
`"auth"` is an object), its `Authorization` is added here and a 401 runs the client's
OAuth flow, then the request is resent with the new token: the page never holds it.

With a `lifecycle` (the server's, or the one `mcp-use inspect` makes), a relayed stream
ends when shutdown begins (SIGTERM/SIGINT): an event stream never ends by itself, and
uvicorn would wait for it before stopping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ...protocol.errors import MCPError
from .security import is_loopback

if TYPE_CHECKING:
    from ...client.transports.http_auth import HTTPAuth
    from .security import HostGuard

DROPPED_REQUEST = frozenset(
    {
        "host",
        "origin",
        "referer",
        "cookie",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "transfer-encoding",
        "content-length",
        "accept-encoding",
        "proxy-authorization",
        "proxy-connection",
        "priority",
    }
)
DROPPED_RESPONSE = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
        "set-cookie",
        "date",
        "server",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
    }
)
CHUNK = 16 * 1024


class SignIns(Protocol):
    """The page's sign-ins (`inspector_login.InspectorLogins`), as the proxy uses them."""

    def auth_for(self, url: str) -> HTTPAuth | None: ...

    async def forget(self, url: str) -> bool: ...


def error_response(status: int, message: str, *, sign_in: bool = False) -> JSONResponse:
    """A JSON-RPC error body; `sign_in` tells the page a sign-in would help (`data.signIn`)."""
    error: dict[str, Any] = {"code": -32600, "message": message}
    if sign_in:
        error["data"] = {"signIn": True}
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status)


def refusal(request: Request, guard: HostGuard) -> str | None:
    """Why this request may not use the proxy, or None when it may."""
    client = request.client
    if client is None or not is_loopback(client.host):
        return "The inspector proxy serves only clients on this machine (loopback)"
    host = request.headers.get("host")
    if not guard.host_ok(host):
        return f"The inspector proxy refuses Host {host!r}: not a loopback or allowed host"
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    own = f"{request.url.scheme}://{host}".lower()
    if origin is not None and origin.lower().rstrip("/") != own:
        return f"The inspector proxy serves only pages of {own}, not {origin}"
    if site is not None and site != "same-origin":
        return f"The inspector proxy serves only same-origin pages (Sec-Fetch-Site: {site})"
    if origin is None and site is None:
        return "The inspector proxy serves only the inspector page (no Origin or Sec-Fetch-Site)"
    return None


def admit(request: Request, guard: HostGuard, what: str) -> str | JSONResponse:
    """The `?url=` target of a request the guard lets through, or the refusal to send."""
    why = refusal(request, guard)
    if why is not None:
        return error_response(403, why)
    url = target_of(request)
    if url is None:
        return error_response(400, f"{what} needs ?url=http(s)://host/path")
    return url


def target_of(request: Request) -> str | None:
    url = request.query_params.get("url") or ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


class InspectorProxy:
    """The route's endpoint (`handle`).

    One aiohttp session per proxied request, closed when its body has been relayed:
    the debug server has no lifespan to close a shared one at exit (aiohttp would warn
    "Unclosed client session"), and a development proxy does not need pooling.
    """

    def __init__(
        self,
        guard: HostGuard,
        headers: Mapping[str, str] | None = None,
        auth: HTTPAuth | None = None,
        *,
        target: str | None = None,
        logins: SignIns | None = None,
        lifecycle: Any = None,
    ) -> None:
        self.guard = guard
        self.lifecycle = lifecycle  # its `stopping` event ends the relayed streams
        self.logins = logins  # sign-ins made from the page (inspector_login.py)
        # `mcp-use inspect` passes a config entry's headers (its token) and auth hook:
        # added here, so they never appear in the page; a header the page sets itself
        # wins. They go only to the entry's own origin (`target`), never to another URL
        # the page points the proxy at.
        self.headers = dict(headers or {})
        self.auth = auth
        self.origin = origin_of(target) if target else None
        if (self.headers or auth is not None) and self.origin is None:
            raise ValueError("InspectorProxy: headers= and auth= need the target= they belong to")

    def _credentials_for(self, url: str) -> bool:
        return self.origin is not None and origin_of(url) == self.origin

    def _auth_for(self, url: str) -> HTTPAuth | None:
        """The entry's hook for its own origin, else a page sign-in's for that origin."""
        if self.auth is not None and self._credentials_for(url):
            return self.auth
        return self.logins.auth_for(url) if self.logins is not None else None

    async def handle(self, request: Request) -> Response:
        import aiohttp

        url = admit(request, self.guard, "The inspector proxy")
        if not isinstance(url, str):
            return url
        if self.lifecycle is not None:
            self.lifecycle.hook_signals()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in DROPPED_REQUEST and not k.lower().startswith("sec-")
        }
        sent = {k.lower() for k in headers}
        ours = self._credentials_for(url)
        if ours:
            headers.update({k: v for k, v in self.headers.items() if k.lower() not in sent})
        body = await request.body()
        # No total timeout: SSE streams stay open; connecting is bounded.
        timeout = aiohttp.ClientTimeout(total=None, connect=10, sock_connect=10)
        session = aiohttp.ClientSession(timeout=timeout)
        try:
            # a token the person typed in the page wins over the entry's or a sign-in's
            auth = self._auth_for(url) if "authorization" not in sent else None
            upstream = await _send(session, auth, request.method, url, headers, body)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            await session.close()
            return error_response(502, f"The inspector proxy cannot reach {url}: {exc or type(exc).__name__}")
        except MCPError as exc:  # the OAuth flow failed (refused, timed out, misconfigured)
            await session.close()
            # (the provider names the server as `[url]`: said once here)
            message = f"The inspector could not authorize with {url}: {str(exc).removeprefix(f'[{url}] ')}"
            again = False
            if self.logins is not None and auth is not None:
                # a page sign-in's token is dead or lacks scopes: the page is offered "Sign
                # in" again, unless step-up sign-ins already failed to get them (no loop)
                verdict = await self.logins.forget(url, auth)
                again = bool(verdict)
                if verdict is False:
                    message += "; signing in again did not get these scopes, so the inspector stops asking"
            return error_response(401, message, sign_in=again)
        out = {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_RESPONSE}
        out["cache-control"] = "no-store"
        out["x-accel-buffering"] = "no"
        stopping = self.lifecycle.stopping if self.lifecycle is not None else None
        relay = _relay(upstream, session, stopping)
        return StreamingResponse(relay, status_code=upstream.status, headers=out)


def origin_of(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return (scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme))
    except ValueError:
        return None


async def _send(
    session: Any, auth: HTTPAuth | None, method: str, url: str, headers: dict[str, str], body: bytes
) -> Any:
    """One request to the target, signed and resent by the client's own loop when `auth` is
    given (a token obtained or refreshed after a 401), as the client's transports do."""
    from ...client.transports.http_auth import send_signed

    async def attempt(h: dict[str, str]) -> Any:
        return await session.request(method, url, headers=h, data=body or None, allow_redirects=False)

    return await send_signed(auth, method, url, headers, attempt)


async def _relay(upstream: Any, session: Any, stopping: asyncio.Event | None) -> AsyncIterator[bytes]:
    """The target's body, chunk by chunk as it arrives (an SSE event is not held back),
    until it ends or `stopping` is set (the page sees the stream end and reconnects)."""
    import aiohttp

    stop = asyncio.ensure_future(stopping.wait()) if stopping is not None else None
    read: asyncio.Future[bytes] | None = None
    try:
        while True:
            read = asyncio.ensure_future(upstream.content.readany())
            read.add_done_callback(_retrieve)
            if stop is not None:
                await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not read.done():
                    read.cancel()
                    return
            chunk = await read
            if not chunk:
                return
            yield chunk
    except (aiohttp.ClientError, OSError):
        return  # the target closed the stream; the page sees it end and reconnects
    finally:  # also when the page went away mid-read (the generator is closed)
        for pending in (read, stop):
            if pending is not None and not pending.done():
                pending.cancel()
        upstream.release()
        await session.close()


def _retrieve(read: asyncio.Future[bytes]) -> None:
    """A read that failed after its relay ended (the connection released under it) is
    over: its error must not print as "Task exception was never retrieved"."""
    if not read.cancelled():
        read.exception()
