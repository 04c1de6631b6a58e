"""Talking JSON-RPC to an `MCPServer` in this process (httpx over its ASGI app)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from mcp_use import MCPServer

ACCEPT = "application/json, text/event-stream"
LEGACY = "2025-11-25"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def post_scope(
    headers: list[tuple[bytes, bytes]], method: str = "POST", path: str = "/mcp", query: bytes = b""
) -> dict[str, Any]:
    """A raw ASGI scope for the MCP endpoint (or `path`) on 127.0.0.1:8000, for tests that
    drive the app with their own `receive` (a body that never arrives, arbitrary bytes)."""
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"accept", ACCEPT.encode()),
            *headers,
        ],
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }


def client(server: MCPServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server.app), base_url="http://127.0.0.1", timeout=20.0
    )


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a JSON or SSE answer, in order."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return [response.json()]
    return [
        orjson.loads(line[5:].strip())
        for line in response.text.splitlines()
        if line.startswith("data:") and line[5:].strip()
    ]


def initialize_body(request_id: int = 0, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": capabilities or {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }


async def open_session(
    http: httpx.AsyncClient, url: str = "/mcp", capabilities: dict[str, Any] | None = None
) -> dict[str, str]:
    """Open a legacy session at `url` (initialize, then initialized); its request headers."""
    response = await http.post(url, headers={"accept": ACCEPT}, json=initialize_body(0, capabilities))
    assert response.status_code == 200, response.text
    headers = legacy_headers(response.headers["mcp-session-id"])
    done = await http.post(
        url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    assert done.status_code == 202
    return headers


async def initialize(http: httpx.AsyncClient, capabilities: dict[str, Any] | None = None) -> str:
    """Open a legacy session in process; its id."""
    return (await open_session(http, "/mcp", capabilities))["mcp-session-id"]


def legacy_headers(session_id: str) -> dict[str, str]:
    return {"accept": ACCEPT, "mcp-session-id": session_id, "mcp-protocol-version": LEGACY}


async def legacy(
    http: httpx.AsyncClient, session_id: str, method: str, params: dict[str, Any], request_id: Any = 1
) -> list[dict[str, Any]]:
    response = await http.post(
        "/mcp",
        headers=legacy_headers(session_id),
        json={"jsonrpc": "2.0", "id": request_id, "method": method, "params": params},
    )
    assert response.status_code == 200, response.text
    return messages(response)


async def modern(http: httpx.AsyncClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """One 2026-07-28 request; its JSON-RPC answer."""
    headers = {"accept": ACCEPT, "mcp-protocol-version": "2026-07-28", "mcp-method": method}
    name = params.get("name") or params.get("uri")
    if name is not None:
        headers["mcp-name"] = str(name)
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": MODERN_META}}
    response = await http.post("/mcp", headers=headers, json=body)
    return messages(response)[-1]


class Exchange:
    """One request driven by hand (raw ASGI): its body arrives in the given chunks (then,
    with `stall`, nothing more), and the client stays until `gone` is set; what the app
    sends is kept in `sent`, and `arrived` is set on each message."""

    def __init__(self, chunks: list[bytes] | None = None, *, stall: bool = False) -> None:
        self.chunks = list(chunks or [b""])
        self.stall = stall
        self.sent: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.gone = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if self.chunks:
            chunk = self.chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks) or self.stall}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        self.arrived.set()

    @property
    def status(self) -> int:
        return self.sent[0]["status"]

    def json(self) -> Any:
        return orjson.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))

    def text(self) -> str:
        return b"".join(m.get("body", b"") for m in self.sent[1:]).decode()

    async def until(self, text: str) -> None:
        """Wait (up to 10 s) until the response body so far contains `text`."""
        async with asyncio.timeout(10):
            while text not in self.text():
                self.arrived.clear()
                await self.arrived.wait()
