"""A server sharing its state on Redis: `python redis_server.py PORT`.

Env: REDIS_URL (none: memory), REDIS_PREFIX, STATE_SECRET, NAME, HEARTBEAT, WORKERS,
INPUT_TIMEOUT (seconds), RETRY_BYTES (the event store's retry buffer), SOCKET_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp_use import Context, MCPServer
from mcp_use.server.state import RedisState

state = (
    RedisState(
        os.environ["REDIS_URL"],
        prefix=os.environ.get("REDIS_PREFIX", "mcp_use"),
        heartbeat=float(os.environ.get("HEARTBEAT", "5")),
        socket_timeout=float(os.environ.get("SOCKET_TIMEOUT", "3")),
        retry_bytes=int(os.environ.get("RETRY_BYTES", str(8 * 1024 * 1024))),
    )
    if os.environ.get("REDIS_URL")
    else None
)
server = MCPServer(
    os.environ.get("NAME", "shared"),
    state=state,
    state_secret=os.environ.get("STATE_SECRET") or None,
    input_timeout=float(os.environ.get("INPUT_TIMEOUT", "300")),
)
server.add_health_routes()
server.add_metrics_route()


@server.tool()
async def whoami(delay: float = 0.0) -> int:
    """The id of the process that served this call (after `delay` seconds)."""
    if delay:
        await asyncio.sleep(delay)
    return os.getpid()


@server.tool()
async def ask(ctx: Context, question: str) -> str:
    """Elicit an answer; reports which process waited for it."""
    answer = await ctx.elicit(question, {"type": "object", "properties": {"answer": {"type": "string"}}})
    return f"{answer.action}:{(answer.content or {}).get('answer')}:{os.getpid()}"


@server.tool()
async def countdown(ctx: Context, steps: int = 5, close_after: int = 2, pause: float = 0.05) -> str:
    """Report progress `steps` times; close the SSE stream after `close_after` of them."""
    for i in range(1, steps + 1):
        await ctx.report_progress(i, steps, f"step {i} on {os.getpid()}")
        if i == close_after:
            await ctx.close_sse_stream()
        await asyncio.sleep(pause)
    return f"done after {steps} steps"


@server.tool()
async def wait_forever(ctx: Context) -> str:
    """Runs until cancelled."""
    await ctx.report_progress(0, None, "started")
    await asyncio.sleep(60)
    return "finished"


@server.tool()
def touch_resource(uri: str) -> str:
    """Tell subscribers `uri` changed (from whichever process runs this)."""
    server.notify_resource_updated(uri)
    return "ok"


@server.resource("data://thing")
def thing() -> str:
    return "thing"


if __name__ == "__main__":
    workers = int(os.environ.get("WORKERS", "1"))
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]), workers=workers)
