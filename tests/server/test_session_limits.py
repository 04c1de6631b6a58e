"""Legacy sessions are bounded: a maximum count, and idle ones are evicted."""

from __future__ import annotations

import asyncio

import httpx

from mcp_use import MCPServer

ACCEPT = "application/json, text/event-stream"


def _server(**options: object) -> MCPServer:
    server = MCPServer("limits", dns_rebinding_protection=False, **options)  # type: ignore[arg-type]

    @server.tool()
    def echo(text: str) -> str:
        return text

    return server


async def _initialize(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/mcp",
        headers={"accept": ACCEPT},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
    )


async def _ping(client: httpx.AsyncClient, session_id: str) -> httpx.Response:
    return await client.post(
        "/mcp",
        headers={"accept": ACCEPT, "mcp-session-id": session_id},
        json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
    )


def _client(server: MCPServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app), base_url="http://testserver")


async def test_full_server_refuses_new_sessions_with_503() -> None:
    async with _client(_server(max_sessions=2)) as client:
        first, second = await _initialize(client), await _initialize(client)
        assert first.status_code == second.status_code == 200
        third = await _initialize(client)
        assert third.status_code == 503
        assert third.headers["retry-after"] == "5"
        assert "maximum of 2 sessions" in third.json()["error"]["message"]
        assert (await _ping(client, first.headers["mcp-session-id"])).status_code == 200


async def test_idle_sessions_are_evicted_to_make_room() -> None:
    async with _client(_server(max_sessions=2, session_idle_timeout=0.1)) as client:
        old = await _initialize(client)
        await _initialize(client)
        await asyncio.sleep(0.2)
        fresh = await _initialize(client)
        assert fresh.status_code == 200
        gone = await _ping(client, old.headers["mcp-session-id"])
        assert gone.status_code == 404
        assert gone.json()["error"]["message"].startswith("Session not found")


async def test_active_sessions_are_kept() -> None:
    async with _client(_server(max_sessions=2, session_idle_timeout=0.3)) as client:
        kept = await _initialize(client)
        await _initialize(client)
        for _ in range(3):
            await asyncio.sleep(0.15)
            assert (await _ping(client, kept.headers["mcp-session-id"])).status_code == 200
        assert (await _initialize(client)).status_code == 200  # the other one went idle
        assert (await _ping(client, kept.headers["mcp-session-id"])).status_code == 200
