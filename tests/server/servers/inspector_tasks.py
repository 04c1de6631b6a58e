"""A server for the inspector's task tests: task-backed tools that report and wait.

`python inspector_tasks.py PORT`. `long_report` runs only as a task, reports its
progress as the status message, and writes to CANCELLED_FILE (an environment
variable) when it is cancelled, so a test can see the function really stopped.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp_use import Context, MCPServer
from mcp_use.server import TaskSettings

server = MCPServer(name="task-server", debug=True, tasks=TaskSettings(poll_interval_ms=200))


def record_cancelled(task_id: str) -> None:
    """A few bytes, once, as the function stops: what the test reads."""
    Path(os.environ["CANCELLED_FILE"]).write_text(task_id)


@server.tool(task="required")
async def long_report(pages: int, ctx: Context) -> str:
    """Write `pages` pages, one every 0.5 s (runs only as a task)."""
    try:
        for page in range(1, pages + 1):
            await ctx.report_progress(page, pages, f"writing page {page} of {pages}")
            await asyncio.sleep(0.5)
    except asyncio.CancelledError:
        record_cancelled(ctx.task_id or "?")
        raise
    return f"report of {pages} pages done"


@server.tool(task=True)
async def quick_sum(a: int, b: int) -> int:
    """Add two integers (as a task when asked)."""
    await asyncio.sleep(0.3)
    return a + b


if __name__ == "__main__":
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
