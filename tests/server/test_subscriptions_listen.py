"""`subscriptions/listen` (2026-07-28) is negotiated once, in the engine: stdio and
Streamable HTTP acknowledge the same flags for the same request (only those the server
can send; unknown flags and non-string URIs dropped), then deliver what was agreed."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx

from mcp_use import MCPServer
from tests.helpers import REPO_ROOT, build_env
from tests.helpers.sse import sse_events

from .conftest import ACCEPT, MODERN, MODERN_META
from .test_features import uvicorn_server

REQUESTED = {
    "toolsListChanged": True,
    "promptsListChanged": False,
    "notAFlag": True,
    "resourceSubscriptions": ["memo://a", 7],
}
AGREED = {"toolsListChanged": True, "resourceSubscriptions": ["memo://a"]}
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"

SERVER = textwrap.dedent(
    """
    from mcp_use import MCPServer

    server = MCPServer("listen")

    @server.tool()
    def grow() -> str:
        server.add_tool(lambda: "new", name="grown")
        return "grew"

    server.run(transport="stdio")
    """
)


def listen(request_id: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "subscriptions/listen",
        "params": {"notifications": REQUESTED, "_meta": MODERN_META},
    }


async def _read(stdout: asyncio.StreamReader) -> dict[str, Any]:
    line = await asyncio.wait_for(stdout.readline(), 10)
    assert line, "the stdio server closed stdout"
    return json.loads(line)


async def test_stdio_listen_negotiates_delivers_and_ends(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=build_env({"PYTHONPATH": str(REPO_ROOT / "src")}),
    )
    assert proc.stdin is not None and proc.stdout is not None

    def send(message: dict[str, Any]) -> None:
        proc.stdin.write(json.dumps(message).encode() + b"\n")  # type: ignore[union-attr]

    try:
        send(listen("L1"))
        ack = await _read(proc.stdout)
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        assert ack["params"]["notifications"] == AGREED
        assert ack["params"]["_meta"][SUBSCRIPTION_ID] == "L1"

        call = {"name": "grow", "arguments": {}, "_meta": MODERN_META}
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
        seen = [await _read(proc.stdout), await _read(proc.stdout)]
        changed = next(m for m in seen if m.get("method") == "notifications/tools/list_changed")
        assert changed["params"]["_meta"][SUBSCRIPTION_ID] == "L1"
        result = next(m for m in seen if m.get("id") == 2)
        assert result["result"]["content"][0]["text"] == "grew"

        send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "L1"}})
        final = await _read(proc.stdout)
        assert final["id"] == "L1"
        assert final["result"]["resultType"] == "complete"
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 10)


async def test_http_listen_acknowledges_the_same_flags() -> None:
    server = MCPServer("listen")
    headers = {
        "accept": ACCEPT,
        "content-type": "application/json",
        "mcp-protocol-version": MODERN,
        "mcp-method": "subscriptions/listen",
    }
    async with uvicorn_server(server) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        async with http.stream("POST", "/mcp", json=listen(9), headers=headers) as response:
            assert response.status_code == 200
            events = sse_events(response)
            _, ack = await asyncio.wait_for(anext(events), 10)
    assert ack is not None
    assert ack["params"]["notifications"] == AGREED
    assert ack["params"]["_meta"][SUBSCRIPTION_ID] == 9
