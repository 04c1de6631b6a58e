"""The inter-process bus vocabulary (`state/bus.py`): each kind's builder, applied by the
`BusHandler` to a real notification hub and session table, does what the other process
meant. (Redis itself carries them in tests/server/test_load_balancing.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from mcp_use.server.notifications import Hub
from mcp_use.server.session import ServerSession
from mcp_use.server.session_table import SessionTable
from mcp_use.server.settings import Limits
from mcp_use.server.state import bus
from mcp_use.server.state.bus import BusHandler


async def held_session() -> tuple[SessionTable, ServerSession, list[dict[str, Any]], BusHandler]:
    hub = Hub()
    table = SessionTable(Limits(), hub)
    session = ServerSession("s1", "2025-11-25", {})
    await table.add(session)
    hub.watch(session)
    sent: list[dict[str, Any]] = []

    async def stream(message: dict[str, Any]) -> None:
        sent.append(message)

    session.stream = stream
    return table, session, sent, BusHandler(hub, table)


def over_the_wire(message: dict[str, Any]) -> dict[str, Any]:
    """What the other process receives: the builder's dict survives JSON."""
    return orjson.loads(orjson.dumps(message))


async def test_list_changed_and_resource_updated_reach_local_clients() -> None:
    _, session, sent, handle = await held_session()
    session.subscriptions = {"memo://a"}
    await handle(over_the_wire(bus.list_changed("tools")))
    await handle(over_the_wire(bus.resource_updated("memo://a")))
    await handle(over_the_wire(bus.resource_updated("memo://other")))
    assert [m["method"] for m in sent] == [
        "notifications/tools/list_changed",
        "notifications/resources/updated",
    ]
    assert sent[1]["params"] == {"uri": "memo://a"}


async def test_sync_copies_log_level_and_subscriptions() -> None:
    _, session, _, handle = await held_session()
    elsewhere = ServerSession("s1", "2025-11-25", {})
    elsewhere.log_level = "error"
    elsewhere.subscriptions = {"memo://b", "memo://a"}
    message = over_the_wire(bus.sync(elsewhere))
    assert message["subs"] == ["memo://a", "memo://b"]
    await handle(message)
    assert session.log_level == "error"
    assert session.subscriptions == {"memo://a", "memo://b"}


async def test_cancel_stops_the_call_running_here() -> None:
    _, session, _, handle = await held_session()
    task = asyncio.ensure_future(asyncio.sleep(30))
    session.track(7, task)
    await handle(over_the_wire(bus.cancel("s1", 7)))
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert session.was_cancelled(7)


async def test_response_resolves_the_request_waiting_here() -> None:
    _, session, _, handle = await held_session()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def sink(message: dict[str, Any]) -> None:
        outgoing.put_nowait(message)

    waiting = asyncio.ensure_future(session.requests().request(sink, "roots/list", {}, timeout=5))
    request = await asyncio.wait_for(outgoing.get(), 5)
    answer = {"jsonrpc": "2.0", "id": request["id"], "result": {"roots": []}}
    await handle(over_the_wire(bus.response("s1", answer)))
    assert await asyncio.wait_for(waiting, 5) == {"roots": []}


async def test_end_drops_the_session_and_unknown_messages_change_nothing() -> None:
    table, session, sent, handle = await held_session()
    await handle(over_the_wire(bus.end("nobody")))
    await handle({"t": "no-such-kind", "sid": "s1"})
    assert table.get("s1") is session
    await handle(over_the_wire(bus.end("s1")))
    assert table.get("s1") is None
    assert session.stream is None  # closed: nothing more is sent to it
    assert sent == []
