"""`mcp_use.protocol.correlator.Correlator`: ids, answers, errors, deadlines, progress, teardown."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mcp_use.protocol import jsonrpc
from mcp_use.protocol.correlator import ConnectionClosed, Correlator, RequestTimeout, id_deadline
from mcp_use.protocol.errors import CONNECTION_CLOSED, REQUEST_TIMEOUT, MCPError


class Wire:
    """Collects what the correlator sends; lets a test answer it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        self.arrived.set()

    async def next(self) -> dict[str, Any]:
        async with asyncio.timeout(5):
            while not self.sent:
                self.arrived.clear()
                await self.arrived.wait()
        return self.sent.pop(0)


async def test_resolve_delivers_the_result() -> None:
    c = Correlator()
    wire = Wire()
    task = asyncio.create_task(c.request(wire.send, "tools/list", {"cursor": None}))
    sent = await wire.next()
    assert sent == {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": None}}
    assert c.pending == 1
    assert c.resolve(jsonrpc.result(sent["id"], {"tools": []})) is True
    assert await task == {"tools": []}
    assert c.pending == 0


async def test_ids_are_unique_and_prefixed() -> None:
    assert [Correlator().next_id() for _ in range(2)] == [1, 1]
    c = Correlator(id_prefix="srv")
    assert [c.next_id(), c.next_id()] == ["srv-1", "srv-2"]


async def test_a_prefixed_request_with_a_timeout_carries_its_deadline() -> None:
    """Another process forwarding the answer reads when to give up from the id alone."""
    c = Correlator(id_prefix="srv", default_timeout=None)
    wire = Wire()
    before = time.time()
    task = asyncio.create_task(c.request(wire.send, "elicitation/create", timeout=30))
    sent = await wire.next()
    prefix, n, _ms = sent["id"].split("-")
    assert (prefix, n) == ("srv", "1")
    deadline = id_deadline(sent["id"])
    assert deadline is not None and before + 30 <= deadline + 0.001 <= time.time() + 30.01
    assert c.resolve(jsonrpc.result(sent["id"], {"action": "decline"}))
    assert await task == {"action": "decline"}
    untimed = asyncio.create_task(c.request(wire.send, "roots/list"))
    assert (await wire.next())["id"] == "srv-2" and id_deadline("srv-2") is None
    untimed.cancel()
    for other in (7, None, "srv-1-x", "a-b-c-1", "srv-3-"):
        assert id_deadline(other) is None


async def test_concurrent_requests_resolve_out_of_order() -> None:
    c = Correlator()
    wire = Wire()
    first = asyncio.create_task(c.request(wire.send, "a"))
    second = asyncio.create_task(c.request(wire.send, "b"))
    a, b = await wire.next(), await wire.next()
    assert a["id"] != b["id"]
    c.resolve(jsonrpc.result(b["id"], {"n": "b"}))
    c.resolve(jsonrpc.result(a["id"], {"n": "a"}))
    assert await first == {"n": "a"} and await second == {"n": "b"}


async def test_error_answer_raises_mcp_error() -> None:
    c = Correlator()
    wire = Wire()
    task = asyncio.create_task(c.request(wire.send, "tools/call"))
    sent = await wire.next()
    c.resolve(jsonrpc.error(sent["id"], -32602, "Unknown tool: x", {"name": "x"}))
    with pytest.raises(MCPError) as info:
        await task
    assert (info.value.code, info.value.message, info.value.data) == (
        -32602,
        "Unknown tool: x",
        {"name": "x"},
    )


async def test_resolve_of_unknown_or_settled_id_is_false() -> None:
    c = Correlator()
    wire = Wire()
    assert c.resolve(jsonrpc.result(99, {})) is False
    task = asyncio.create_task(c.request(wire.send, "x"))
    sent = await wire.next()
    assert c.resolve(jsonrpc.result(sent["id"], {})) is True
    assert c.resolve(jsonrpc.result(sent["id"], {})) is False
    await task


async def test_non_dict_result_becomes_empty_dict() -> None:
    c = Correlator()
    wire = Wire()
    task = asyncio.create_task(c.request(wire.send, "x"))
    sent = await wire.next()
    c.resolve({"jsonrpc": "2.0", "id": sent["id"], "result": None})
    assert await task == {}


async def test_timeout_raises_request_timeout_and_cancels() -> None:
    c = Correlator(default_timeout=0.05)
    wire = Wire()
    cancelled: list[tuple[Any, str]] = []

    async def on_cancel(request_id: Any, reason: str) -> None:
        cancelled.append((request_id, reason))

    with pytest.raises(RequestTimeout) as info:
        await c.request(wire.send, "slow/method", on_cancel=on_cancel)
    assert info.value.code == REQUEST_TIMEOUT
    assert info.value.method == "slow/method" and info.value.timeout == 0.05
    assert "slow/method" in info.value.message
    assert cancelled == [(1, "timeout")]
    assert c.pending == 0
    # A late answer finds nobody waiting.
    assert c.resolve(jsonrpc.result(1, {})) is False


async def test_per_request_timeout_overrides_default() -> None:
    c = Correlator(default_timeout=None)
    wire = Wire()
    with pytest.raises(RequestTimeout):
        await c.request(wire.send, "x", timeout=0.02)


@pytest.mark.parametrize("deadline", [None, 0.5])
async def test_caller_cancellation_calls_on_cancel(deadline: float | None) -> None:
    """Cancelled by someone else: CancelledError, not a timeout, and a disarmed deadline."""
    c = Correlator(default_timeout=deadline)
    wire = Wire()
    cancelled: list[str] = []

    async def on_cancel(request_id: Any, reason: str) -> None:
        cancelled.append(reason)

    task = asyncio.create_task(c.request(wire.send, "x", on_cancel=on_cancel))
    await wire.next()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == ["cancelled"]
    assert c.pending == 0
    if deadline is not None:
        await asyncio.sleep(deadline + 0.1)  # the disarmed deadline fires nothing later
        assert cancelled == ["cancelled"]


async def test_deadline_leaves_no_cancellation_behind() -> None:
    """An answered request and a timed-out one both leave the caller's task uncancelled."""
    c = Correlator(default_timeout=5)
    wire = Wire()

    async def answer_soon() -> None:
        sent = await wire.next()
        c.resolve(jsonrpc.result(sent["id"], {"ok": True}))

    helper = asyncio.create_task(answer_soon())
    assert await c.request(wire.send, "fast") == {"ok": True}
    await helper
    with pytest.raises(RequestTimeout):
        await c.request(wire.send, "slow", timeout=0.01)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    await asyncio.sleep(0.02)  # no stray cancellation arrives later either


async def test_deadline_covers_a_stuck_send() -> None:
    """The deadline cuts a `send` that never returns (an HTTP exchange in the caller's task)."""
    c = Correlator(default_timeout=0.02)
    reasons: list[str] = []

    async def stuck(message: dict[str, Any]) -> None:
        await asyncio.Event().wait()

    async def on_cancel(request_id: Any, reason: str) -> None:
        reasons.append(reason)

    with pytest.raises(RequestTimeout):
        await c.request(stuck, "x", on_cancel=on_cancel)
    assert reasons == ["timeout"] and c.pending == 0


async def test_an_enclosing_timeout_wins_over_a_longer_deadline() -> None:
    """`asyncio.timeout` around a call sees its own TimeoutError, as with any awaitable."""
    c = Correlator(default_timeout=5)
    wire = Wire()
    with pytest.raises(TimeoutError) as info:
        async with asyncio.timeout(0.02):
            await c.request(wire.send, "x")
    assert not isinstance(info.value, RequestTimeout)
    assert c.pending == 0


async def test_a_shorter_deadline_inside_an_enclosing_timeout_is_ours() -> None:
    c = Correlator(default_timeout=0.02)
    wire = Wire()
    async with asyncio.timeout(5):
        with pytest.raises(RequestTimeout):
            await c.request(wire.send, "x")
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_fail_all_fails_pending_and_later_requests() -> None:
    c = Correlator()
    wire = Wire()
    tasks = [asyncio.create_task(c.request(wire.send, m)) for m in ("a", "b")]
    await wire.next()
    await wire.next()
    c.fail_all()
    for task in tasks:
        with pytest.raises(ConnectionClosed) as info:
            await task
        assert info.value.code == CONNECTION_CLOSED
    assert c.pending == 0
    with pytest.raises(ConnectionClosed):
        await c.request(wire.send, "c")
    assert wire.sent == []  # nothing is sent on a closed correlator
    c.reopen()
    task = asyncio.create_task(c.request(wire.send, "d"))
    sent = await wire.next()
    c.resolve(jsonrpc.result(sent["id"], {"ok": 1}))
    assert await task == {"ok": 1}


async def test_fail_all_with_a_custom_error() -> None:
    c = Correlator()
    wire = Wire()
    task = asyncio.create_task(c.request(wire.send, "x"))
    await wire.next()
    c.fail_all(MCPError(-32000, "server process exited"))
    with pytest.raises(MCPError, match="server process exited"):
        await task


async def test_progress_callback_gets_token_and_updates() -> None:
    c = Correlator()
    wire = Wire()
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    task = asyncio.create_task(
        c.request(wire.send, "tools/call", {"name": "t", "_meta": {"k": "v"}}, on_progress=on_progress)
    )
    sent = await wire.next()
    token = sent["params"]["_meta"]["progressToken"]
    assert token == sent["id"]
    assert sent["params"]["_meta"]["k"] == "v"  # existing _meta kept
    assert await c.progress({"progressToken": token, "progress": 1, "total": 2, "message": "half"}) is True
    assert await c.progress({"progressToken": token, "progress": 2}) is True
    assert await c.progress({"progressToken": "someone-else", "progress": 1}) is False
    c.resolve(jsonrpc.result(sent["id"], {}))
    await task
    assert updates == [(1, 2, "half"), (2, None, None)]
    # After the answer the token is forgotten.
    assert await c.progress({"progressToken": token, "progress": 3}) is False


async def test_sync_progress_callback() -> None:
    c = Correlator()
    wire = Wire()
    seen: list[float] = []
    task = asyncio.create_task(c.request(wire.send, "x", on_progress=lambda p, t, m: seen.append(p)))
    sent = await wire.next()
    await c.progress({"progressToken": sent["id"], "progress": 0.5})
    c.resolve(jsonrpc.result(sent["id"], {}))
    await task
    assert seen == [0.5]


async def test_caller_params_are_not_mutated_by_progress_token() -> None:
    c = Correlator()
    wire = Wire()
    params: dict[str, Any] = {"name": "t"}
    task = asyncio.create_task(c.request(wire.send, "x", params, on_progress=lambda *a: None))
    sent = await wire.next()
    assert "_meta" in sent["params"] and "_meta" not in params
    c.resolve(jsonrpc.result(sent["id"], {}))
    await task
