"""Failure, not hangs: dead servers, 5xx, malformed JSON, closed streams and deadlines."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mcp_use import MCPClient
from mcp_use.client import (
    ClientSession,
    ConnectError,
    HTTPStatusError,
    RequestTimedOut,
    ServerDisconnected,
    TransportError,
)
from mcp_use.protocol.errors import MCPError

from .conftest import CLIENT_SERVER, start_http, stdio_entry
from .scripted import MODERN_DISCOVER, rpc_result, scripted_server, scripted_session


async def _error_after_kill(session: ClientSession, kill: Any) -> tuple[BaseException, float]:
    call = asyncio.ensure_future(session.call_tool("sleep", {"seconds": 30}))
    await asyncio.sleep(0.5)
    assert not call.done()
    started = time.monotonic()
    kill()
    with pytest.raises(MCPError) as info:
        await asyncio.wait_for(call, 5)
    return info.value, time.monotonic() - started


async def test_stdio_server_killed_mid_call() -> None:
    async with MCPClient({"mcpServers": {"victim": stdio_entry()}}) as client:
        session = client.get_session("victim")
        proc = session.transport.proc  # type: ignore[attr-defined]
        error, elapsed = await _error_after_kill(session, lambda: os.kill(proc.pid, signal.SIGKILL))
        assert isinstance(error, ServerDisconnected)
        assert elapsed < 1.0, elapsed
        assert error.server == "victim" and "SIGKILL" in str(error)
        with pytest.raises(ServerDisconnected):  # later calls fail at once too
            await asyncio.wait_for(session.call_tool("echo", {"text": "x"}), 1)
    assert proc.returncode is not None  # reaped: no zombie


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_server_killed_mid_call(server_process: Any, mode: str) -> None:
    server = start_http(
        server_process, [sys.executable, str(CLIENT_SERVER), "--transport", "http", "--port", "{port}"]
    )
    async with MCPClient({"mcpServers": {"web": {"url": server.url("/mcp")}}}, mode=mode) as client:
        session = client.get_session("web")
        error, elapsed = await _error_after_kill(session, lambda: os.killpg(server.pid, signal.SIGKILL))
        assert isinstance(error, ServerDisconnected), repr(error)
        assert elapsed < 1.0, elapsed
        assert error.server == "web" and "tools/call" in str(error)


async def test_deadline_per_call_and_default() -> None:
    # The entry's timeout bounds the connect too (probe and handshake together): a Python
    # server starting on a loaded machine needs more than half a second of it.
    async with MCPClient({"mcpServers": {"s": {**stdio_entry(), "timeout": 2.0}}}) as client:
        session = client.get_session("s")
        started = time.monotonic()
        with pytest.raises(RequestTimedOut) as info:
            await session.call_tool("sleep", {"seconds": 5})  # the server's default: 2 s
        assert 1.9 < time.monotonic() - started < 3.0
        assert info.value.server == "s" and "tools/call" in str(info.value)
        with pytest.raises(RequestTimedOut):
            await session.call_tool("sleep", {"seconds": 5}, timeout=0.2)
        assert (await session.call_tool("echo", {"text": "alive"}, timeout=5)).content[0].text == "alive"


async def test_stdio_startup_failures(tmp_path: Path) -> None:
    with pytest.raises(ConnectError, match="not found"):
        await MCPClient({"mcpServers": {"x": {"command": "no-such-binary-xyz"}}}).create_session("x")
    started = time.monotonic()
    client = MCPClient(
        {"mcpServers": {"dies": {"command": sys.executable, "args": ["-c", "import sys; sys.exit(3)"]}}}
    )
    with pytest.raises(ServerDisconnected, match="exited with code 3"):
        await client.create_session("dies")
    assert time.monotonic() - started < 2


async def test_stubborn_server_and_its_children_are_killed(tmp_path: Path) -> None:
    """A server that ignores stdin EOF and SIGTERM, with a child: both end, nothing is left."""
    pid_file = tmp_path / "child.pid"
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"child = subprocess.Popen(['sleep', '60']); open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    client = MCPClient(
        {"mcpServers": {"s": {"command": sys.executable, "args": ["-c", script], "timeout": 0.5}}},
        mode="legacy",
    )
    with pytest.raises(RequestTimedOut):
        await client.create_session("s")
    child = int(pid_file.read_text())
    await asyncio.sleep(0.2)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


# ---- a scripted HTTP server (aiohttp.web on 127.0.0.1) --------------------------------------
def _legacy_server(calls: list[dict[str, Any]]) -> Any:
    """Behaves like a 2025-11-25-only server; tools misbehave on purpose."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=405)
        body = json.loads(await request.read())
        calls.append({"body": body, "headers": {k.lower(): v for k, v in request.headers.items()}})
        method, rid = body.get("method"), body.get("id")
        if method == "server/discover":
            error = {"code": -32000, "message": "Bad Request: No valid session ID"}
            return web.json_response({"jsonrpc": "2.0", "id": None, "error": error}, status=400)
        if method == "initialize":
            result = {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "fake", "version": "1"},
            }
            return rpc_result(rid, result, headers={"mcp-session-id": "abc"})
        if rid is None:
            return web.Response(status=202)
        name = (body.get("params") or {}).get("name")
        if name == "boom":
            return web.Response(status=502, text="Bad Gateway")
        if name == "garbage":
            return web.Response(body=b'{"jsonrpc": "2.0", "id": ', content_type="application/json")
        if name == "cut":
            return web.Response(body=b"event: message\ndata: \n\n", content_type="text/event-stream")
        if name == "bad_sse":
            return web.Response(body=b"data: {nope\n\n", content_type="text/event-stream")
        if method == "tools/list":
            return rpc_result(rid, {"tools": [{"name": "ok", "inputSchema": {"type": "object"}}]})
        return rpc_result(rid, {"content": [{"type": "text", "text": "fine"}]})

    return handler


async def test_http_failures_are_typed_and_immediate() -> None:
    calls: list[dict[str, Any]] = []
    async with scripted_server(_legacy_server(calls)) as fake:
        session = scripted_session(fake.url())
        await session.connect()
        try:
            # auto fell back from server/discover (HTTP 400, no modern error) to initialize
            assert [c["body"]["method"] for c in calls[:3]] == [
                "server/discover",
                "initialize",
                "notifications/initialized",
            ]
            assert session.protocol_version == "2025-06-18" and session.era == "legacy"
            assert calls[2]["headers"]["mcp-session-id"] == "abc"
            assert calls[2]["headers"]["mcp-protocol-version"] == "2025-06-18"
            started = time.monotonic()
            with pytest.raises(HTTPStatusError) as info:
                await session.call_tool("boom", {})
            assert info.value.status == 502 and info.value.server == "fake"
            with pytest.raises(TransportError, match="malformed JSON"):
                await session.call_tool("garbage", {})
            with pytest.raises(TransportError, match="malformed JSON"):
                await session.call_tool("bad_sse", {})
            with pytest.raises(TransportError, match="ended before its answer"):
                await session.call_tool("cut", {})
            assert time.monotonic() - started < 1.0
            assert (await session.call_tool("fine", {})).content[0].text == "fine"
        finally:
            await session.close()


async def test_modern_request_shape() -> None:
    """2026-07-28: `_meta` on every request, version/method/name/param headers."""
    calls: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        calls.append({"body": body, "headers": {k.lower(): v for k, v in request.headers.items()}})
        rid, method = body["id"], body["method"]
        if method == "server/discover":
            result = MODERN_DISCOVER
        elif method == "tools/list":
            schema = {
                "type": "object",
                "properties": {
                    "region": {"type": "string", "x-mcp-header": "Region"},
                    "n": {"type": "integer", "x-mcp-header": "N"},
                },
            }
            bad = {"type": "object", "properties": {"o": {"type": "object", "x-mcp-header": "O"}}}
            page = body["params"].get("cursor")
            if page is None:
                result = {"tools": [{"name": "geo", "inputSchema": schema}], "nextCursor": "p2"}
            else:
                result = {"tools": [{"name": "bad", "inputSchema": bad}, {"name": "plain"}]}
        else:
            result = {"content": [{"type": "text", "text": "ok"}]}
        return rpc_result(rid, result)

    async with scripted_server(handler) as fake:
        session = scripted_session(fake.url())
        async with session:
            assert session.server_info.name == "modern" and session.protocol_version == "2026-07-28"
            tools = await session.list_tools()
            assert [t.name for t in tools] == ["geo", "plain"]  # paged; `bad` left out
            await session.call_tool("geo", {"region": " us-west1", "n": 7})
            with pytest.raises(MCPError, match="x-mcp-header"):
                await session.call_tool("bad", {"o": {}})
    for call in calls:
        meta = call["body"]["params"]["_meta"]
        assert meta["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
        assert (
            "io.modelcontextprotocol/clientCapabilities" in meta
            and "io.modelcontextprotocol/clientInfo" in meta
        )
        assert call["headers"]["mcp-protocol-version"] == "2026-07-28"
        assert call["headers"]["mcp-method"] == call["body"]["method"]
    geo = calls[-1]["headers"]
    assert geo["mcp-name"] == "geo" and geo["mcp-param-n"] == "7"
    assert geo["mcp-param-region"] == "=?base64?IHVzLXdlc3Qx?="


async def test_legacy_request_shape() -> None:
    """2025-11-25: once negotiated, requests carry the version and the session id but
    not the 2026-07-28 era's Mcp-Method / Mcp-Name headers."""
    calls: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        calls.append({"body": body, "headers": {k.lower(): v for k, v in request.headers.items()}})
        if "id" not in body:
            return web.Response(status=202)
        rid, method = body["id"], body["method"]
        if method == "initialize":
            result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                      "serverInfo": {"name": "legacy", "version": "1"}}  # fmt: skip
            return rpc_result(rid, result, headers={"Mcp-Session-Id": "s-1"})
        return rpc_result(rid, {"content": [{"type": "text", "text": "ok"}]})

    async with scripted_server(handler) as fake:
        session = scripted_session(fake.url(), mode="legacy")
        async with session:
            assert session.protocol_version == "2025-11-25"
            await session.call_tool("geo", {"region": "x"})
    after = [c for c in calls if c["body"].get("method") != "initialize"]
    assert [c["body"]["method"] for c in after] == ["notifications/initialized", "tools/call"]
    for call in after:
        headers = call["headers"]
        assert headers["mcp-protocol-version"] == "2025-11-25" and headers["mcp-session-id"] == "s-1"
        assert "mcp-method" not in headers and "mcp-name" not in headers
