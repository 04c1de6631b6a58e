"""Our apps mounted inside someone else's Starlette or FastAPI app, under real uvicorn.

The host app forwards no lifespan (``Mount`` never runs a sub-app's lifespan): the MCP
app must start what it needs lazily. Driven over HTTP with raw JSON-RPC on both eras:
2025-11-25 (initialize, ``Mcp-Session-Id``) and 2026-07-28 (stateless, ``_meta`` and
``Mcp-Method`` / ``Mcp-Name`` headers, an input-required round trip). With the app
mounted at ``/tools`` the MCP endpoint is ``/tools/mcp``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from mcp_use import Context, MCPServer
from tests.helpers import free_port

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
TIMEOUT = 15.0


def make_server(**kwargs: Any) -> MCPServer:
    server = MCPServer(name="mounted", version="9.9.9", **kwargs)

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    async def whoami(ctx: Context) -> str:
        """The era and session this call ran in."""
        return f"{ctx.protocol_version} session={ctx.session_id is not None}"

    @server.tool()
    async def ask(ctx: Context) -> str:
        """Needs an answer from the user."""
        answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
        return f"hi {answer.data['name']}" if answer.action == "accept" else answer.action

    @server.custom_route("/health", methods=["GET"])
    async def health(request: Any) -> dict[str, str]:
        return {"status": "ok"}

    return server


def starlette_host(inner: Any) -> Starlette:
    async def home(request: Any) -> PlainTextResponse:
        return PlainTextResponse("host home")

    return Starlette(routes=[Route("/", home), Mount("/tools", app=inner)])


def fastapi_host(inner: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def home() -> dict[str, str]:
        return {"host": "fastapi"}

    app.mount("/tools", inner)
    return app


HOSTS: dict[str, Callable[[Any], Any]] = {"starlette": starlette_host, "fastapi": fastapi_host}
INNER: dict[str, Callable[[MCPServer], Any]] = {
    "streamable_http_app": lambda server: server.streamable_http_app(),
    "app": lambda server: server.app,
}


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run ``app`` under a real uvicorn on a free port (lifespan: the host's own, none forwarded)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            task.result()  # raises the startup error
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, TIMEOUT)


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    if "event-stream" not in response.headers.get("content-type", ""):
        return [response.json()]
    out = []
    for event in response.text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in event.split("\n") if line.startswith("data:")]
        if data:
            out.append(json.loads("\n".join(data)))
    return out


def reply(response: httpx.Response, request_id: int) -> dict[str, Any]:
    assert response.status_code == 200, (response.status_code, response.text)
    [message] = [m for m in messages(response) if m.get("id") == request_id and "method" not in m]
    assert "result" in message, message
    return message["result"]


def modern_call(
    http: httpx.AsyncClient, url: str, request_id: int, tool: str, arguments: dict[str, Any], **extra: Any
) -> Any:
    capabilities = {"elicitation": {}}
    return http.post(
        url,
        headers={
            "content-type": "application/json",
            "accept": ACCEPT,
            "mcp-protocol-version": MODERN,
            "mcp-method": "tools/call",
            "mcp-name": tool,
        },
        json={
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {
                "name": tool,
                "arguments": arguments,
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": MODERN,
                    "io.modelcontextprotocol/clientCapabilities": capabilities,
                },
                **extra,
            },
        },
    )


async def legacy_session(http: httpx.AsyncClient, url: str) -> dict[str, str]:
    base = {"content-type": "application/json", "accept": ACCEPT}
    init = await http.post(
        url,
        headers=base,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        },
    )
    result = reply(init, 1)
    assert result["protocolVersion"] == LEGACY
    assert result["serverInfo"]["name"] == "mounted"
    headers = {**base, "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
    note = await http.post(
        url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    assert note.status_code == 202, note.text
    return headers


@pytest.mark.parametrize("inner", list(INNER))
@pytest.mark.parametrize("host", list(HOSTS))
async def test_mounted_app_both_eras(host: str, inner: str) -> None:
    server = make_server()
    app = HOSTS[host](INNER[inner](server))
    async with serve(app) as base, httpx.AsyncClient(timeout=TIMEOUT) as http:
        url = base + "/tools/mcp"

        # The host's own routes still answer; custom routes live under the mount.
        assert (await http.get(base + "/")).status_code == 200
        health = await http.get(base + "/tools/health")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        # Nothing is served at the unmounted path.
        assert (await http.post(base + "/mcp", json={})).status_code == 404

        if inner == "app":
            # server.app also serves the legacy HTTP+SSE transport: its endpoint event
            # names the messages path under the mount.
            async with http.stream(
                "GET", base + "/tools/sse", headers={"accept": "text/event-stream"}
            ) as sse:
                assert sse.status_code == 200
                lines = sse.aiter_lines()
                assert await anext(lines) == "event: endpoint"
                assert (await anext(lines)).startswith("data: /tools/messages/?session_id=")

        # Legacy era: initialize, a session, tools/list and tools/call.
        headers = await legacy_session(http, url)
        listed = reply(
            await http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}), 2
        )
        assert {t["name"] for t in listed["tools"]} == {"add", "whoami", "ask"}
        call = {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
        }
        added = reply(await http.post(url, headers=headers, json=call), 3)
        assert added["structuredContent"] == {"result": 5}
        call = {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "whoami", "arguments": {}},
        }
        who = reply(await http.post(url, headers=headers, json=call), 4)
        assert who["content"][0]["text"] == f"{LEGACY} session=True"
        ended = await http.delete(url, headers=headers)
        assert ended.status_code in (200, 204), ended.text

        # 2026-07-28: stateless calls with _meta and the Mcp-Method / Mcp-Name headers.
        added = reply(await modern_call(http, url, 10, "add", {"a": 40, "b": 2}), 10)
        assert added["structuredContent"] == {"result": 42}
        assert added.get("resultType", "complete") == "complete"
        who = reply(await modern_call(http, url, 11, "whoami", {}), 11)
        assert who["content"][0]["text"] == f"{MODERN} session=False"

        # An input-required round trip through the mount.
        first = reply(await modern_call(http, url, 12, "ask", {}), 12)
        assert first["resultType"] == "input_required", first
        [(key, request)] = first["inputRequests"].items()
        assert request["method"] == "elicitation/create"
        done = reply(
            await modern_call(
                http,
                url,
                13,
                "ask",
                {},
                inputResponses={key: {"action": "accept", "content": {"name": "Ada"}}},
                requestState=first["requestState"],
            ),
            13,
        )
        assert done["content"][0]["text"] == "hi Ada"

        # A header that contradicts the body is refused, mounted or not.
        bad = await http.post(
            url,
            headers={
                "content-type": "application/json",
                "accept": ACCEPT,
                "mcp-protocol-version": MODERN,
                "mcp-method": "tools/call",
                "mcp-name": "whoami",
            },
            json={
                "jsonrpc": "2.0",
                "id": 14,
                "method": "tools/call",
                "params": {
                    "name": "add",
                    "arguments": {"a": 1, "b": 1},
                    "_meta": {
                        "io.modelcontextprotocol/protocolVersion": MODERN,
                        "io.modelcontextprotocol/clientCapabilities": {},
                    },
                },
            },
        )
        assert bad.status_code == 400, bad.text


async def test_cors_middleware_exposes_session_header() -> None:
    origin = "https://app.example.com"
    # The server binds to loopback, so DNS-rebinding protection is on: the page's
    # origin must be allowed there too, not only in the CORS middleware.
    server = make_server(allowed_origins=[origin])
    app = server.streamable_http_app()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[origin],
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["*"],
        expose_headers=["Mcp-Session-Id"],
    )
    async with serve(app) as base, httpx.AsyncClient(timeout=TIMEOUT) as http:
        url = base + "/mcp"
        preflight = await http.options(
            url,
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, mcp-protocol-version, mcp-session-id",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == origin
        assert "POST" in preflight.headers["access-control-allow-methods"]

        init = await http.post(
            url,
            headers={"content-type": "application/json", "accept": ACCEPT, "origin": origin},
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY,
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"},
                },
            },
        )
        reply(init, 1)
        assert init.headers["mcp-session-id"]
        assert init.headers["access-control-allow-origin"] == origin
        exposed = [h.strip().lower() for h in init.headers["access-control-expose-headers"].split(",")]
        assert "mcp-session-id" in exposed

        # An origin the middleware does not allow gets no CORS grant.
        other = await http.options(
            url, headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
        )
        assert "access-control-allow-origin" not in other.headers
