"""The MCP endpoint's shortcut through the Starlette app, with and without user middleware.

A user's ASGI middleware must see every request, MCP ones included; behind it, the
endpoint's POST/GET/DELETE skip Starlette's router and exception layer (they answer
their own errors), while every other path and verb still goes through the router, and
a user's own exception handlers keep the full stack. The router is observed by a
pass-through wrapper that counts what reaches it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount

from mcp_use import MCPServer

from .conftest import ACCEPT, MODERN, MODERN_META

MODERN_HEADERS = {
    "content-type": "application/json",
    "accept": ACCEPT,
    "mcp-protocol-version": MODERN,
    "mcp-method": "tools/call",
    "mcp-name": "add",
}
CALL = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "tools/call",
    "params": {"name": "add", "arguments": {"a": 2, "b": 3}, "_meta": MODERN_META},
}


class CountingRouter:
    """Starlette's router, passed through, counting the requests that reach it."""

    def __init__(self, router: Any) -> None:
        self._router = router
        self.paths: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self._router(scope, receive, send)


class Stamp:
    """A user's pure ASGI middleware: counts requests, stamps a header on every answer,
    and fails on request when asked to (`x-boom`)."""

    seen: list[str] = []

    def __init__(self, app: Any, label: str) -> None:
        self.app = app
        self.label = label.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        Stamp.seen.append(scope["path"])
        if (b"x-boom", b"1") in scope["headers"]:
            raise RuntimeError("middleware failed")

        async def stamped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-stamp", self.label)]}
            await send(message)

        await self.app(scope, receive, stamped)


def make_server() -> MCPServer:
    server = MCPServer("shortcut", dns_rebinding_protection=False)

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.custom_route("/health", methods=["GET"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return server


def counted(app: Any) -> CountingRouter:
    router = CountingRouter(app.router)
    app.router = router
    return router


@asynccontextmanager
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        yield http


async def call_add(http: httpx.AsyncClient, path: str = "/mcp") -> httpx.Response:
    response = await http.post(path, content=orjson.dumps(CALL), headers=MODERN_HEADERS)
    assert response.status_code == 200, response.text
    assert response.json()["result"]["structuredContent"] == {"result": 5}
    return response


@pytest.fixture(autouse=True)
def fresh_stamps() -> None:
    Stamp.seen = []


async def test_without_middleware_the_endpoint_skips_the_router() -> None:
    app = make_server().streamable_http_app()
    router = counted(app)
    async with client(app) as http:
        await call_add(http)
        assert (await http.get("/health")).json() == {"status": "ok"}
    assert router.paths == ["/health"]


async def test_user_middleware_sees_mcp_requests_and_the_router_is_skipped() -> None:
    app = make_server().streamable_http_app()
    app.add_middleware(Stamp, label="inner")  # added first: innermost (Starlette)
    app.add_middleware(Stamp, label="outer")
    router = counted(app)
    async with client(app) as http:
        answer = await call_add(http)
        assert answer.headers.get_list("x-stamp") == ["inner", "outer"]  # both layers, in order
        listed = await http.get("/mcp", headers={"accept": "application/json"})  # GET: the endpoint too
        assert listed.headers.get_list("x-stamp") == ["inner", "outer"]
        health = await http.get("/health")
        assert health.json() == {"status": "ok"} and health.headers.get_list("x-stamp") == ["inner", "outer"]
        put = await http.put("/mcp", content=b"{}")  # not one of the route's verbs: the router's 405
        assert put.status_code == 405 and put.headers["allow"]
        missing = await http.post("/nope", content=b"{}")
        assert missing.status_code == 404
    assert Stamp.seen == ["/mcp"] * 2 + ["/mcp"] * 2 + ["/health"] * 2 + ["/mcp"] * 2 + ["/nope"] * 2
    assert router.paths == ["/health", "/mcp", "/nope"]


async def test_a_failing_user_middleware_is_a_500_from_starlette() -> None:
    app = make_server().streamable_http_app()
    app.add_middleware(Stamp, label="only")
    async with client(app) as http:
        failed = await http.post(
            "/mcp", content=orjson.dumps(CALL), headers={**MODERN_HEADERS, "x-boom": "1"}
        )
        assert failed.status_code == 500 and failed.text == "Internal Server Error"
        await call_add(http)  # the app is fine afterwards


async def test_user_exception_handlers_keep_the_full_stack() -> None:
    """A handler of the user's sees what the endpoint raises, as on any route."""
    app = make_server().streamable_http_app()
    app.add_middleware(Stamp, label="only")

    async def on_lookup(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("handled", status_code=418)

    app.add_exception_handler(LookupError, on_lookup)
    router = counted(app)
    async with client(app) as http:
        await call_add(http)
    assert router.paths == ["/mcp"]


async def test_a_mounted_app_with_middleware_takes_the_shortcut_under_its_prefix() -> None:
    inner = make_server().streamable_http_app()
    inner.add_middleware(Stamp, label="mounted")
    router = counted(inner)
    outer = Starlette(routes=[Mount("/api", app=inner)])
    async with client(outer) as http:
        answer = await call_add(http, "/api/mcp")
        assert answer.headers["x-stamp"] == "mounted"
        assert (await http.get("/api/health")).json() == {"status": "ok"}
    assert router.paths == ["/api/health"]
