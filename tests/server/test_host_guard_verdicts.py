"""DNS-rebinding protection keeps its verdicts: the guard remembers Host values that passed
(so a request pays for parsing once), never one that was refused, and stays right when a
client sends more distinct hosts than it remembers. Driven through the raw ASGI app."""

from __future__ import annotations

from typing import Any

import orjson

from mcp_use import MCPServer
from mcp_use.server.http.security import KEPT_VERDICTS

from .conftest import ACCEPT, MODERN, MODERN_META, post_scope

PING = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": MODERN_META}})


async def post(app: Any, host: str, server: tuple[str, int] = ("127.0.0.1", 8000)) -> int:
    headers = [
        (b"host", host.encode()),
        (b"content-type", b"application/json"),
        (b"accept", ACCEPT.encode()),
        (b"mcp-protocol-version", MODERN.encode()),
        (b"mcp-method", b"tools/list"),
    ]
    scope = post_scope(headers, server)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": PING, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"]


async def test_refused_hosts_stay_refused_past_the_remembered_ones() -> None:
    app = MCPServer("guarded").app  # not bound yet: on because the server address is loopback
    for _ in range(3):
        assert await post(app, "evil.example:8000") == 421
        assert await post(app, "localhost:8000") == 200
    for port in range(KEPT_VERDICTS + 50):  # more accepted hosts than are remembered
        assert await post(app, f"LocalHost:{port}") == 200
    assert await post(app, "evil.example:8000") == 421
    assert await post(app, "127.0.0.1.evil.example") == 421
    assert await post(app, "[::1]:9") == 200


async def test_allowed_hosts_and_a_public_bind_address() -> None:
    allowed = MCPServer("allowed", allowed_hosts=["api.example.com:*"]).app
    assert await post(allowed, "api.example.com:443") == 200
    assert await post(allowed, "api.example.com:443") == 200
    assert await post(allowed, "other.example.com:443") == 421
    public = MCPServer("public").app  # served on a public address: the guard is off
    for _ in range(2):
        assert await post(public, "anything.example", server=("203.0.113.7", 8000)) == 200
    assert await post(public, "anything.example") == 421  # the same app reached on loopback
