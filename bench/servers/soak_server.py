"""mcp_use soak server. Usage: soak_server.py PORT (shared state from MCP_USE_REDIS_URL).

Tools for every kind of load `bench/soak.py` sends: a quick sum, a call that streams
progress, a slow call that clients drop midway, and a reply of a few KiB (so stream
logs hold real bytes). Idle legacy sessions expire after SOAK_IDLE seconds (default
120) so a soak reaches its steady state well inside its first half.
"""

import asyncio
import os
import sys

from mcp_use import Context, MCPServer

server = MCPServer("soak", session_idle_timeout=float(os.environ.get("SOAK_IDLE", "120")))


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
async def count(n: int, ctx: Context) -> str:
    """Report progress n times, then answer."""
    for i in range(n):
        await ctx.report_progress(i + 1, n, f"step {i + 1}")
        await asyncio.sleep(0.01)
    return f"counted {n}"


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep, then answer (clients disconnect before it does)."""
    await asyncio.sleep(seconds)
    return "slept"


@server.tool()
def blob(kib: int) -> str:
    """A text of `kib` KiB."""
    return "x" * (kib * 1024)


if __name__ == "__main__":
    server.add_metrics_route()
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
