"""Long-lived streams end when the token that opened them stops being accepted (its
`exp`, plus the verifier's leeway): the standalone GET stream, a resumed one, the legacy
`/sse` stream (and with it its session), and `subscriptions/listen`. A stream opened
with a longer-lived token stays open meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import orjson

from mcp_use import Context, MCPServer
from mcp_use.auth import JWTVerifier

from .asgi import ACCEPT, LEGACY, MODERN_META, Exchange, initialize_body, post_scope

SECRET = "stream-expiry-secret-of-32-bytes!!"
RESOURCE = "http://127.0.0.1:8000/mcp"
EXPIRED = ": the token that opened this stream expired"


def _server(leeway: float = 0) -> MCPServer:
    server = MCPServer("expiry", auth=JWTVerifier(secret=SECRET, audience=RESOURCE, leeway=leeway))

    @server.tool()
    async def dropped(ctx: Context) -> str:
        """Reports once, closes its SSE stream (the client resumes it), then runs on."""
        await ctx.report_progress(1, 2, "first")
        await ctx.close_sse_stream()
        await asyncio.sleep(30)
        return "late"

    return server


def _token(exp: int, sub: str = "alice") -> bytes:
    return jwt.encode({"sub": sub, "aud": RESOURCE, "exp": exp}, SECRET, algorithm="HS256").encode()


def _soon(seconds: int = 2) -> int:
    """An `exp` `seconds` (whole, as JWT has them) after the current second."""
    return int(time.time()) + seconds


async def _run(server: MCPServer, scope: dict[str, Any], exchange: Exchange) -> asyncio.Task[None]:
    return asyncio.create_task(server.app(scope, exchange.receive, exchange.send))


async def _initialize(server: MCPServer, token: bytes) -> str:
    exchange = Exchange([orjson.dumps(initialize_body(0))])
    await asyncio.wait_for(
        server.app(post_scope([(b"authorization", b"Bearer " + token)]), exchange.receive, exchange.send), 10
    )
    assert exchange.status == 200, exchange.text()
    return dict(exchange.sent[0]["headers"])[b"mcp-session-id"].decode()


def _get(token: bytes, session_id: str) -> dict[str, Any]:
    headers = [
        (b"authorization", b"Bearer " + token),
        (b"mcp-session-id", session_id.encode()),
        (b"mcp-protocol-version", LEGACY.encode()),
    ]
    return post_scope(headers, "GET")


async def _ends_at(task: asyncio.Task[None], until: float) -> None:
    """The stream ended close to `until` (Unix time), not long before or after."""
    await asyncio.wait_for(task, until - time.time() + 5)
    assert until - 0.2 <= time.time() <= until + 1.5, (time.time(), until)


async def test_the_get_stream_ends_when_its_token_expires_and_a_longer_one_stays() -> None:
    server = _server()
    short_exp, long_token = _soon(), _token(_soon(3600), "bob")
    alice = _token(short_exp)
    short = Exchange(stall=True)
    short_task = await _run(server, _get(alice, await _initialize(server, alice)), short)
    long = Exchange(stall=True)
    long_task = await _run(server, _get(long_token, await _initialize(server, long_token)), long)
    await short.until("stream open")
    await _ends_at(short_task, short_exp)
    assert short.status == 200 and EXPIRED in short.text()
    assert not long_task.done()  # bob's token is good for an hour
    long.gone.set()
    await asyncio.wait_for(long_task, 5)
    assert EXPIRED not in long.text()


async def test_a_resumed_stream_ends_with_the_token_that_resumed_it() -> None:
    server = _server()
    long_token = _token(_soon(3600))
    session_id = await _initialize(server, long_token)
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "dropped", "arguments": {}, "_meta": {"progressToken": "p"}},
    }
    headers = [
        (b"authorization", b"Bearer " + long_token),
        (b"mcp-session-id", session_id.encode()),
        (b"mcp-protocol-version", LEGACY.encode()),
    ]
    first = Exchange([orjson.dumps(call)])
    posted = await _run(server, post_scope(headers), first)
    await first.until('"progress":1')
    async with asyncio.timeout(10):  # the server closes the POST's stream; the call runs on
        while not any(m.get("more_body") is False for m in first.sent[1:]):
            first.arrived.clear()
            await first.arrived.wait()
    last_id = [line[3:].strip() for line in first.text().splitlines() if line.startswith("id:")][-1]
    exp = _soon()
    scope = _get(_token(exp), session_id)
    scope["headers"].append((b"last-event-id", last_id.encode()))
    resumed = Exchange()
    task = await _run(server, scope, resumed)
    await _ends_at(task, exp)
    assert resumed.status == 200 and EXPIRED in resumed.text()
    assert "stream open" not in resumed.text()  # the POST's stream resumed, not a new GET stream
    first.gone.set()
    posted.cancel()


async def test_the_verifiers_leeway_is_counted() -> None:
    server = _server(leeway=2)
    exp = _soon(1)
    token = _token(exp)
    stream = Exchange(stall=True)
    task = await _run(server, _get(token, await _initialize(server, token)), stream)
    await _ends_at(task, exp + 2)  # accepted until exp + leeway: open until then
    assert EXPIRED in stream.text()


async def test_the_legacy_sse_stream_and_its_session_end_with_the_token() -> None:
    server = _server()
    exp = _soon()
    token = _token(exp)
    stream = Exchange(stall=True)
    task = await _run(server, post_scope([(b"authorization", b"Bearer " + token)], "GET", "/sse"), stream)
    await stream.until("session_id=")
    session_id = stream.text().split("session_id=", 1)[1].split()[0]
    await _ends_at(task, exp)
    assert EXPIRED in stream.text()
    fresh = _token(_soon(3600))
    after = Exchange([orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})])
    query = f"session_id={session_id}".encode()
    scope = post_scope([(b"authorization", b"Bearer " + fresh)], "POST", "/messages/", query)
    await asyncio.wait_for(server.app(scope, after.receive, after.send), 10)
    assert after.status == 404  # the session ended with its stream


async def test_subscriptions_listen_ends_with_its_token() -> None:
    server = _server()
    exp = _soon()
    body = {
        "jsonrpc": "2.0",
        "id": "listen",
        "method": "subscriptions/listen",
        "params": {"notifications": {"toolsListChanged": True}, "_meta": MODERN_META},
    }
    headers = [
        (b"authorization", b"Bearer " + _token(exp)),
        (b"mcp-protocol-version", b"2026-07-28"),
        (b"mcp-method", b"subscriptions/listen"),
        (b"accept", ACCEPT.encode()),
    ]
    stream = Exchange([orjson.dumps(body)])  # the whole body, then the client stays
    task = await _run(server, post_scope(headers), stream)
    await stream.until("acknowledged")
    await _ends_at(task, exp)
    assert EXPIRED in stream.text()
