"""A 2026-07-28 call is cancelled when its client hangs up, and only a slow call pays for
watching: the raw ASGI app driven in process, as uvicorn drives it, with calls of
different ages in flight together (they share one timer per loop)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from mcp_use import MCPServer
from mcp_use.server.transports.response_stream import DisconnectWatch

from .conftest import ACCEPT, MODERN, MODERN_META, post_scope

HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"content-type", b"application/json"),
    (b"accept", ACCEPT.encode()),
    (b"mcp-protocol-version", MODERN.encode()),
    (b"mcp-method", b"tools/call"),
    (b"mcp-name", b"nap"),
]


def make_server(outcomes: dict[str, str]) -> MCPServer:
    server = MCPServer("disconnects")

    @server.tool()
    async def nap(tag: str, seconds: float) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            outcomes[tag] = "cancelled"
            raise
        outcomes[tag] = "finished"
        return tag

    return server


class Client:
    """One POST: its body, then (when told to) a disconnect; counts the app's receives."""

    def __init__(self, tag: str, seconds: float) -> None:
        self.tag = tag
        message = {
            "jsonrpc": "2.0",
            "id": tag,
            "method": "tools/call",
            "params": {"name": "nap", "arguments": {"tag": tag, "seconds": seconds}, "_meta": MODERN_META},
        }
        self.body = orjson.dumps(message)
        self.hang_up = asyncio.Event()
        self.receives = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.receives += 1
        if self.receives == 1:
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def run(self, app: Any) -> None:
        scope = post_scope(HEADERS)
        await app(scope, self.receive, self.send)

    def answer(self) -> dict[str, Any] | None:
        bodies = [m["body"] for m in self.sent if m["type"] == "http.response.body" and m.get("body")]
        return orjson.loads(b"".join(bodies)) if bodies else None


async def test_only_the_call_whose_client_hung_up_is_cancelled() -> None:
    outcomes: dict[str, str] = {}
    app = make_server(outcomes).app
    quick = Client("quick", 0.0)
    first = Client("first", 0.3)
    middle = Client("middle", 5.0)
    last = Client("last", 0.3)
    runs = [asyncio.create_task(quick.run(app)), asyncio.create_task(first.run(app))]
    await asyncio.sleep(0.01)
    runs.append(asyncio.create_task(middle.run(app)))
    await asyncio.sleep(0.03)
    runs.append(asyncio.create_task(last.run(app)))
    await asyncio.sleep(0.1)
    middle.hang_up.set()
    await asyncio.wait_for(asyncio.gather(*runs), 10)
    assert outcomes == {"quick": "finished", "first": "finished", "middle": "cancelled", "last": "finished"}
    for client in (quick, first, last):
        answer = client.answer()
        assert answer is not None and answer["id"] == client.tag, answer
        assert answer["result"]["content"][0]["text"] == client.tag
    assert middle.answer() is None  # nothing is sent to a client that has gone
    # A call done before the delay never starts a watcher: its request is read once.
    assert quick.receives == 1
    assert first.receives == last.receives == middle.receives == 2


async def test_a_call_running_past_the_delay_is_watched_on_time() -> None:
    outcomes: dict[str, str] = {}
    app = make_server(outcomes).app
    slow = Client("slow", 5.0)
    run = asyncio.create_task(slow.run(app))
    await asyncio.sleep(DisconnectWatch.DELAY * 10)
    assert slow.receives == 2  # the watcher is waiting for the disconnect
    slow.hang_up.set()
    await asyncio.wait_for(run, 5)
    assert outcomes == {"slow": "cancelled"}
