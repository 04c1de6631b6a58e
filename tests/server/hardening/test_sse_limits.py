"""The legacy HTTP+SSE transport (`GET /sse`, `POST /messages/?session_id=`) has the
limits of Streamable HTTP: 431 beyond the header size, 400 for an over-long session id,
408 for a body that does not arrive, 413 for one too large, and short error texts.

Driven as an ASGI server drives it (raw scope, `receive`, `send`), so a test controls
when a body's bytes arrive and when the client disconnects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson

from mcp_use import MCPServer

from .asgi import Exchange, initialize_body, post_scope

PAD = [(f"x-pad-{i}".encode(), b"v" * 1000) for i in range(40)]  # 40 KB of headers


def _server(**options: Any) -> MCPServer:
    server = MCPServer("sse-limits", dns_rebinding_protection=False, **options)

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    return server


async def answer(server: MCPServer, scope: dict[str, Any], exchange: Exchange) -> Exchange:
    await asyncio.wait_for(server.sse_app()(scope, exchange.receive, exchange.send), 10)
    return exchange


@asynccontextmanager
async def sse_stream(server: MCPServer) -> AsyncIterator[tuple[str, Exchange]]:
    """An open `GET /sse`: (its session_id, the stream's exchange)."""
    stream = Exchange([b""])
    task = asyncio.create_task(server.sse_app()(post_scope([], "GET", "/sse"), stream.receive, stream.send))
    async with asyncio.timeout(10):
        while "session_id=" not in stream.text():
            stream.arrived.clear()
            await stream.arrived.wait()
    session_id = stream.text().split("session_id=", 1)[1].split()[0]
    try:
        yield session_id, stream
    finally:
        stream.gone.set()
        await asyncio.wait_for(task, 10)


def post(session_id: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return post_scope(headers or [], "POST", "/messages/", f"session_id={session_id}".encode())


async def test_oversized_headers_get_431_on_both_endpoints() -> None:
    server = _server()
    refused = await answer(server, post_scope(PAD, "GET", "/sse"), Exchange())
    assert refused.status == 431
    assert (
        refused.json()["error"]["message"]
        == "Request Header Fields Too Large: the headers exceed 32768 bytes"
    )
    async with sse_stream(server) as (session_id, _stream):
        body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        refused = await answer(server, post(session_id, PAD), Exchange([body]))
        assert refused.status == 431
        accepted = await answer(server, post(session_id), Exchange([body]))
        assert accepted.status == 202


async def test_an_over_long_session_id_is_refused_with_400() -> None:
    server = _server()
    long_id = "a" * 5000
    refused = await answer(server, post(long_id), Exchange([b"{}"]))
    assert refused.status == 400
    assert refused.json()["error"]["message"] == "Bad Request: session_id is longer than 128 characters"
    assert len(refused.text()) < 300  # the 5000 characters are not echoed
    header = await answer(
        server, post_scope([(b"mcp-session-id", long_id.encode())], "GET", "/sse"), Exchange()
    )
    assert header.status == 400 and "Mcp-Session-Id is longer than 128" in header.json()["error"]["message"]


async def test_a_body_that_does_not_arrive_gets_408_and_the_session_lives_on() -> None:
    server = _server(body_timeout=0.3)
    async with sse_stream(server) as (session_id, stream):
        started = time.monotonic()
        slow = await answer(server, post(session_id), Exchange([b'{"jsonrpc": "2.0", '], stall=True))
        assert time.monotonic() - started < 5
        assert slow.status == 408
        assert slow.json()["error"]["message"] == "Request Timeout: the body did not arrive within 0.3s"
        ok = await answer(server, post(session_id), Exchange([orjson.dumps(initialize_body(1))]))
        assert ok.status == 202
        async with asyncio.timeout(10):
            while '"id":1' not in stream.text():
                stream.arrived.clear()
                await stream.arrived.wait()


async def test_a_body_too_large_gets_413_declared_or_not() -> None:
    server = _server(max_body_size=1000)
    async with sse_stream(server) as (session_id, _stream):
        declared = await answer(
            server, post(session_id, [(b"content-length", b"5000")]), Exchange([b"x" * 5000])
        )
        assert declared.status == 413
        assert declared.json()["error"]["message"] == "Payload Too Large: the body exceeds 1000 bytes"
        chunked = await answer(server, post(session_id), Exchange([b"x" * 600, b"x" * 600]))
        assert chunked.status == 413


async def test_errors_on_the_stream_quote_at_most_a_few_hundred_characters() -> None:
    server = _server()
    async with sse_stream(server) as (session_id, stream):
        assert (
            await answer(server, post(session_id), Exchange([orjson.dumps(initialize_body(1))]))
        ).status == 202
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "n" * 1_000_000}}
        assert (await answer(server, post(session_id), Exchange([orjson.dumps(call)]))).status == 202
        async with asyncio.timeout(10):
            while '"id":2' not in stream.text():
                stream.arrived.clear()
                await stream.arrived.wait()
        event = next(line for line in stream.text().splitlines() if '"id":2' in line)
        message = orjson.loads(event.removeprefix("data:").strip())["error"]["message"]
        assert message.startswith("Unknown tool: nnn") and "(1000000 characters)" in message
        assert len(message) < 300
