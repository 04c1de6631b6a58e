"""The stdio client reads the child's stdout in the pipe's callback: order, backpressure, EOF.

A response settles its call straight from the bytes read, but never ahead of the
messages before it: notifications that need a callback go through one drain task, and
a response behind them waits its turn. These tests make a bare server write bursts,
split lines and batches, and die mid-burst.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from mcp_use.client import ClientSession, ServerDisconnected
from mcp_use.client.transports import StdioClientTransport
from mcp_use.client.transports import stdio as stdio_module

from .conftest import ENV, SERVERS

BURST = SERVERS / "burst_server.py"


class SlowProgress:
    """A progress callback that yields to the loop before recording each value."""

    def __init__(self) -> None:
        self.values: list[float] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        await asyncio.sleep(0)
        self.values.append(progress)


def _session(**options: Any) -> ClientSession:
    transport = StdioClientTransport("burst", sys.executable, [str(BURST)], env=ENV)
    return ClientSession(transport, mode="legacy", timeout=20, **options)


async def test_a_flood_of_notifications_arrives_in_order_before_the_answer() -> None:
    """More notifications than the backlog holds, with a slow callback: the pipe pauses,
    nothing is lost or reordered, and the call returns only after the last one."""
    count = stdio_module.BACKLOG_PAUSE * 8
    seen = SlowProgress()
    async with _session() as session:
        result = await session.call_tool("flood", {"count": count}, progress_callback=seen)
        assert result.content[0].text == "flood"
        assert seen.values == list(range(count))
        # The pipe is read again afterwards: the next calls are answered.
        assert (await session.call_tool("flood", {"count": 0})).content[0].text == "flood"
        assert (await session.call_tool("split", {})).content[0].text == "split"


async def test_a_line_split_across_writes_and_a_batch_are_both_read() -> None:
    logs: list[Any] = []
    async with _session(logging_callback=lambda m: logs.append(m.data)) as session:
        assert (await session.call_tool("split", {})).content[0].text == "split"
        assert (await session.call_tool("batch", {})).content[0].text == "batch"
        assert logs == ["b"]  # the notification before the answer in the array came first
        calls = [session.call_tool("split", {}) for _ in range(4)]
        assert [r.content[0].text for r in await asyncio.gather(*calls)] == ["split"] * 4


async def test_a_server_that_dies_mid_burst_delivers_what_it_wrote_then_fails_the_call() -> None:
    count = stdio_module.BACKLOG_PAUSE * 2
    seen = SlowProgress()
    async with _session() as session:
        with pytest.raises(ServerDisconnected) as info:
            await session.call_tool("vanish", {"count": count}, progress_callback=seen)
        assert "exited with code 3" in info.value.message
        assert seen.values == list(range(count))
