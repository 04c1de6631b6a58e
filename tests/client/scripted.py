"""A scripted HTTP server for client tests: a real aiohttp.web server on 127.0.0.1.

Tests that need a server to misbehave in one precise way (a 502, a cut stream, a
redirect loop, a self-signed certificate) write the handler inline; the client talks
to it over a real socket, so pooling, TLS and connection errors are the real ones.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from mcp_use.client import ClientSession
from mcp_use.client.transports import HTTPAuth, StreamableHTTPClientTransport

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Scripted:
    """A running scripted server: its base URL and the peers that connected to it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.peers: set[Any] = set()

    def url(self, path: str = "/mcp") -> str:
        return self.base + path


@asynccontextmanager
async def scripted_server(handler: Handler, *, tls: ssl.SSLContext | None = None) -> AsyncIterator[Scripted]:
    holder: list[Scripted] = []

    async def entry(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            holder[0].peers.add(request.transport.get_extra_info("peername"))
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", entry)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)  # a hang-up cancels
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scheme = "https" if tls is not None else "http"
    host = "localhost" if tls is not None else "127.0.0.1"
    holder.append(Scripted(f"{scheme}://{host}:{port}"))
    try:
        yield holder[0]
    finally:
        await runner.cleanup()


def tool_handler(answer: Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]) -> Handler:
    """A 2026-07-28 server whose `tools/call` answers come from `answer(request, body)`
    (the decoded JSON-RPC request); discover and tools/list are answered for it."""

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        early = modern_preamble(body)
        if early is not None:
            return early
        return await answer(request, body)

    return handler


def scripted_session(
    url: str, mode: str = "auto", *, auth: HTTPAuth | None = None, timeout: float = 5
) -> ClientSession:
    return ClientSession(StreamableHTTPClientTransport("fake", url, auth=auth), mode=mode, timeout=timeout)


def rpc_result(rid: Any, result: dict[str, Any], **kw: Any) -> web.Response:
    return web.json_response({"jsonrpc": "2.0", "id": rid, "result": result}, **kw)


MODERN_DISCOVER = {
    "supportedVersions": ["2026-07-28"],
    "capabilities": {"tools": {}},
    "serverInfo": {"name": "modern", "version": "9"},
}


def modern_preamble(body: dict[str, Any]) -> web.Response | None:
    """The answer to what a 2026-07-28 client asks before its call (discover, tools/list)."""
    if body.get("method") == "server/discover":
        return rpc_result(body["id"], MODERN_DISCOVER)
    if body.get("method") == "tools/list":
        return rpc_result(body["id"], {"tools": []})
    return None
