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
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .security import is_loopback

if TYPE_CHECKING:
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


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}, status)


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


def _target(request: Request) -> str | None:
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

    def __init__(self, guard: HostGuard, headers: Mapping[str, str] | None = None) -> None:
        self.guard = guard
        # `mcp-use inspect` passes a config entry's headers (its token): added here, so
        # they never appear in the page; a header the page sets itself wins.
        self.headers = dict(headers or {})

    async def handle(self, request: Request) -> Response:
        import aiohttp

        why = refusal(request, self.guard)
        if why is not None:
            return _error(403, why)
        url = _target(request)
        if url is None:
            return _error(400, "The inspector proxy needs ?url=http(s)://host/path")
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in DROPPED_REQUEST and not k.lower().startswith("sec-")
        }
        sent = {k.lower() for k in headers}
        headers.update({k: v for k, v in self.headers.items() if k.lower() not in sent})
        body = await request.body()
        # No total timeout: SSE streams stay open; connecting is bounded.
        timeout = aiohttp.ClientTimeout(total=None, connect=10, sock_connect=10)
        session = aiohttp.ClientSession(timeout=timeout)
        try:
            upstream = await session.request(
                request.method, url, headers=headers, data=body or None, allow_redirects=False
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            await session.close()
            return _error(502, f"The inspector proxy cannot reach {url}: {exc or type(exc).__name__}")
        out = {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_RESPONSE}
        out["cache-control"] = "no-store"
        out["x-accel-buffering"] = "no"
        return StreamingResponse(_relay(upstream, session), status_code=upstream.status, headers=out)


async def _relay(upstream: Any, session: Any) -> AsyncIterator[bytes]:
    """The target's body, chunk by chunk as it arrives (an SSE event is not held back)."""
    import aiohttp

    try:
        async for chunk in upstream.content.iter_any():
            yield chunk
    except (aiohttp.ClientError, OSError):
        return  # the target closed the stream; the page sees it end and reconnects
    finally:
        upstream.release()
        await session.close()
