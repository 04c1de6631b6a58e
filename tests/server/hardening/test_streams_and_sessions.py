"""A new GET stream replaces the open one; stream logs are bounded in bytes and purged
with their session; a full session table makes room by evicting its longest-idle session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mcp_use import Context, MCPServer
from mcp_use.server.state.memory import MemoryEventStore
from mcp_use.server.transports.asgi import sse_event
from tests.helpers import ServerProcess, build_env, free_port, python_cmd

from .asgi import ACCEPT, client, initialize, initialize_body, legacy, legacy_headers, open_session

SERVER = "tests/server/servers/redis_server.py"  # without REDIS_URL: memory state


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = build_env({"PYTHONPATH": "src", "REDIS_URL": None, "MCP_USE_REDIS_URL": None})
    with ServerProcess(python_cmd(SERVER, port), port=port, env=env, log_dir=tmp_path) as server:
        yield server.url("/mcp")


async def test_a_new_get_stream_replaces_the_open_one(url: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        session = await open_session(http, url)
        get_headers = {**session, "accept": "text/event-stream"}
        async with http.stream("GET", url, headers=get_headers) as first:
            assert first.status_code == 200
            chunks = first.aiter_bytes()
            assert b"stream open" in await anext(chunks)
            async with http.stream("GET", url, headers=get_headers) as second:
                assert second.status_code == 200  # not 409: the first may be a dropped connection
                rest = b""
                async with asyncio.timeout(5):  # the first one ends
                    async for chunk in chunks:
                        rest += chunk
                assert b"data:" not in rest
                subscribe = {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "resources/subscribe",
                    "params": {"uri": "data://thing"},
                }
                assert (await http.post(url, headers=session, json=subscribe)).status_code == 200
                touch = {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "touch_resource", "arguments": {"uri": "data://thing"}},
                }
                assert (await http.post(url, headers=session, json=touch)).status_code == 200
                seen = b""
                async with asyncio.timeout(5):
                    async for chunk in second.aiter_bytes():
                        seen += chunk
                        if b"notifications/resources/updated" in seen:
                            break
                assert b'"uri":"data://thing"' in seen


def _message(size: int) -> dict[str, object]:
    return {"jsonrpc": "2.0", "method": "notifications/message", "params": {"data": "x" * size}}


def test_the_event_store_is_bounded_in_bytes() -> None:
    store = MemoryEventStore(max_bytes=4 * 1024 * 1024)
    logs = [store.open(f"s{i}") for i in range(10)]
    for log in logs:
        log.append(_message(1024 * 1024), sse_event)
        assert store.bytes <= store.max_bytes
    assert len(store) <= 4
    assert store.get(logs[0].key) is None  # the oldest went first
    assert store.get(logs[-1].key) is logs[-1]
    assert store.purged >= 6
    assert store.bytes == sum(log.size for log in logs if store.get(log.key) is log)


def test_a_log_keeps_its_byte_count_when_old_events_fall_off() -> None:
    store = MemoryEventStore(events_per_stream=3)
    log = store.open("s")
    for _ in range(10):
        log.append(_message(1000), sse_event)
    assert len(log.events) == 3
    assert store.bytes == log.size == sum(len(chunk) for _, chunk in log.events)


def test_logs_go_with_their_session_and_on_the_timer() -> None:
    store = MemoryEventStore(ttl=0.05)
    kept, ended = store.open("keep"), store.open("end")
    kept.append(_message(100), sse_event)
    ended.append(_message(100), sse_event)
    store.forget_session("end")
    assert store.get(ended.key) is None and store.get(kept.key) is kept
    assert store.bytes == kept.size
    kept.finish()
    time.sleep(0.1)
    store.sweep()  # what the server's housekeeping timer runs
    assert len(store) == 0 and store.bytes == 0


async def test_ending_a_session_purges_its_stream_logs() -> None:
    store = MemoryEventStore()
    server = MCPServer("purge", dns_rebinding_protection=False, event_store=store)

    @server.tool()
    async def blob(kib: int, ctx: Context) -> str:
        await ctx.report_progress(1, 2, "halfway")  # the answer becomes an SSE stream with a log
        return "x" * (kib * 1024)

    async with client(server) as http:
        session = await initialize(http)
        params = {"name": "blob", "arguments": {"kib": 64}, "_meta": {"progressToken": "p"}}
        answer = await legacy(http, session, "tools/call", params)
        assert answer[0]["method"] == "notifications/progress"
        assert len(answer[-1]["result"]["content"][0]["text"]) == 64 * 1024
        assert store.bytes > 64 * 1024 and len(store) == 1  # kept for a resume
        deleted = await http.delete("/mcp", headers=legacy_headers(session))
        assert deleted.status_code == 200
        assert store.bytes == 0 and len(store) == 0
        assert store.purged == 1


async def test_a_full_table_evicts_its_longest_idle_session() -> None:
    server = MCPServer("full", dns_rebinding_protection=False, max_sessions=3)
    server.add_metrics_route()
    table = server.core.sessions
    async with client(server) as http:
        ids = [await initialize(http) for _ in range(3)]
        refused = await http.post(
            "/mcp",
            headers={"accept": ACCEPT},
            json=initialize_body(5),
        )
        assert refused.status_code == 503  # all three were active within the minute
        # Time passes: the second session idles 5 minutes, the first 2 minutes.
        table.get(ids[0]).last_active -= 120  # type: ignore[union-attr]
        table.get(ids[1]).last_active -= 300  # type: ignore[union-attr]
        fresh = await initialize(http)
        assert table.get(ids[1]) is None and table.get(ids[0]) is not None and table.get(fresh) is not None
        gone = await http.post(
            "/mcp", headers=legacy_headers(ids[1]), json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
        )
        assert gone.status_code == 404
        metrics = (await http.get("/metrics")).text
        assert "mcp_use_sessions_evicted_for_room_total 1" in metrics
        assert "mcp_use_sessions_rejected_total 1" in metrics


def test_defaults_are_closer_to_the_sdk() -> None:
    limits = MCPServer("defaults").settings.limits
    assert limits.session_idle_timeout == 1800.0
    assert limits.input_timeout == 300.0
    assert limits.mask_errors is None
    assert MemoryEventStore().max_bytes == 64 * 1024 * 1024
