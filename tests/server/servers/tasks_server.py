"""A server with task tools: `python tasks_server.py PORT` (HTTP), or no argument for stdio.

Env: REDIS_URL (none: memory), REDIS_PREFIX, HEARTBEAT, MAX_LIVE, MAX_RESULT_BYTES, TTL_MS,
LIST_PAGE_SIZE, AUTH_SECRET (protected by HS256 JWTs).
`events` lists what the task bodies of this process did (started, finished, cancelled),
so a test can see that a cancellation really stopped the function.
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp_use import Context, MCPError, MCPServer
from mcp_use.auth import JWTVerifier
from mcp_use.server import TaskSettings
from mcp_use.server.state import RedisState

state = (
    RedisState(
        os.environ["REDIS_URL"],
        prefix=os.environ.get("REDIS_PREFIX", "tasks"),
        heartbeat=float(os.environ.get("HEARTBEAT", "5")),
    )
    if os.environ.get("REDIS_URL")
    else None
)
settings = TaskSettings(
    ttl_ms=int(os.environ.get("TTL_MS", "60000")),
    poll_interval_ms=200,
    max_live=int(os.environ.get("MAX_LIVE", "100")),
    max_result_bytes=int(os.environ.get("MAX_RESULT_BYTES", str(1 << 20))),
    list_page_size=int(os.environ.get("LIST_PAGE_SIZE", "100")),
)
# AUTH_SECRET: protected (HS256 JWTs from issuer https://issuer.test), so tasks belong to principals.
auth = (
    JWTVerifier(secret=os.environ["AUTH_SECRET"], issuer="https://issuer.test")
    if os.environ.get("AUTH_SECRET")
    else None
)
server = MCPServer("tasks", state=state, state_secret="tasks-secret", tasks=settings, auth=auth)
events: list[str] = []


@server.tool(task=True)
async def sleepy(ctx: Context, seconds: float = 1.0, steps: int = 1) -> str:
    """Sleep in `steps` steps, reporting each as the status message."""
    events.append(f"started {ctx.task_id}")
    try:
        for i in range(1, steps + 1):
            await ctx.report_progress(i, steps, f"step {i} of {steps} on {os.getpid()}")
            await asyncio.sleep(seconds / steps)
    except asyncio.CancelledError:
        events.append(f"cancelled {ctx.task_id}")
        raise
    events.append(f"finished {ctx.task_id}")
    return f"slept {seconds:g}s in {os.getpid()}"


@server.tool(task=True)
async def ask_name(ctx: Context) -> str:
    """Ask the user's name inside the task, then greet them."""
    answer = await ctx.elicit("Your name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    return f"{answer.action}: hello {(answer.content or {}).get('name')}"


@server.tool(task="required")
def blocking_sum(a: int, b: int) -> int:
    """A plain (sync) function run as a task: it runs in a thread."""
    return a + b


@server.tool(task=True)
async def big(size: int) -> str:
    """A result of `size` characters (to hit the stored-result cap)."""
    return "x" * size


@server.tool(task=True)
async def protocol_failure() -> str:
    """Fails with a JSON-RPC error: the task ends `failed`."""
    raise MCPError(-32603, "the backend is down")


@server.tool(task=True, task_start="manual")
async def confirm_then_work(ctx: Context, item: str) -> str:
    """Confirm first (in the call), then become a task."""
    answer = await ctx.elicit(
        f"Process {item}?", {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    )
    if not (answer.content or {}).get("ok"):
        return f"skipped {item}"  # answered in the call: never a task
    await ctx.start_task()
    await asyncio.sleep(0.2)
    return f"processed {item} as {ctx.task_id}"


@server.tool()
async def task_events() -> list[str]:
    """What this process's task bodies did."""
    return events


if __name__ == "__main__":
    if len(sys.argv) > 1:
        server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    else:
        server.run(transport="stdio")
