"""A server whose tools exercise stream resumption and cancellation."""

from __future__ import annotations

import asyncio
import sys

from mcp_use import Context, MCPServer

server = MCPServer("streams")
cancelled: dict[str, bool] = {}


@server.tool()
async def countdown(ctx: Context, steps: int = 5, close_after: int = 2, pause: float = 0.05) -> str:
    """Report progress `steps` times; close the SSE stream after `close_after` of them."""
    for i in range(1, steps + 1):
        await ctx.report_progress(i, steps, f"step {i}")
        if i == close_after:
            await ctx.close_sse_stream()
        await asyncio.sleep(pause)
    return f"done after {steps} steps"


@server.tool()
async def wait_forever(ctx: Context, tag: str) -> str:
    """Runs until cancelled, and remembers that it was."""
    cancelled[tag] = False
    try:
        await ctx.report_progress(0, None, "started")
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        cancelled[tag] = True
        raise
    return "finished"


@server.tool()
def was_cancelled(tag: str) -> str:
    """'yes' once the tool with this tag saw CancelledError, 'no' while it runs, 'unknown' before."""
    if tag not in cancelled:
        return "unknown"
    return "yes" if cancelled[tag] else "no"


if __name__ == "__main__":
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
