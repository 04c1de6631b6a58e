"""Running a sync tool in a worker thread, so a deadline can answer for it.

A sync function called on the event loop blocks it: no other request is served, and an
`asyncio.timeout` cannot fire until the function returns. A sync tool with a timeout
(`@server.tool(timeout=)` or `MCPServer(tool_timeout=)`) therefore runs here, in the
loop's default executor: the loop stays free, and at the deadline the call answers
`isError` "timed out". Python cannot stop a thread, so the function runs on to its end;
its late result (or exception) is discarded and logged, never sent.

Sync tools without a timeout still run inline (unless `run_in_thread=True`): the
thread hop costs about 100 µs of CPU per call, some six times the rest of a
`tools/call` (`bench/inprocess.py --sync-timeout`: 17 → 120 µs), and a quick function
has nothing to wait for. A slow sync function should have a timeout, be `async`, or
ask for `run_in_thread=True`. Threads that overran their deadline still hold one of
the default executor's workers until they return.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("mcp_use.server.tools")


async def call_in_thread(fn: Callable[..., Any], kwargs: dict[str, Any], name: str) -> Any:
    """`fn(**kwargs)` in a worker thread (with this task's context variables); when the
    awaiting call is cancelled (its deadline, the client), the thread's outcome is logged."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    started = time.monotonic()
    outcome = loop.run_in_executor(None, functools.partial(context.run, functools.partial(fn, **kwargs)))
    try:
        return await asyncio.shield(outcome)
    except asyncio.CancelledError:
        outcome.add_done_callback(functools.partial(_discarded, name, started))
        raise


def _discarded(name: str, started: float, outcome: asyncio.Future[Any]) -> None:
    """A thread finished after nobody waited for it any more: say so, keep nothing."""
    took = time.monotonic() - started
    if outcome.cancelled():
        return
    error = outcome.exception()
    if error is not None:
        log.warning("Tool %s failed after %.1fs, after its call ended: %r (discarded)", name, took, error)
    else:
        log.warning(
            "Tool %s returned after %.1fs, after its call ended; its result was discarded", name, took
        )
