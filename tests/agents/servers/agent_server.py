"""A small MCP server for the agent tests: tools with visible side effects.

`python agent_server.py --name alpha [--transport stdio|http] [--port N]`. The server
name is in every tool's answer, so a test can tell which of several servers ran a call.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from pathlib import Path

from mcp_use import Context, MCPServer, ToolError
from mcp_use.server import TaskSettings
from mcp_use.types import ImageContent, TextContent

parser = argparse.ArgumentParser()
parser.add_argument("--name", default="alpha")
parser.add_argument("--transport", default="stdio")
parser.add_argument("--port", type=int, default=0)
opts = parser.parse_args()

# Polled often, so the tests see a task's statuses while it runs.
server = MCPServer(opts.name, tasks=TaskSettings(poll_interval_ms=100))
CANCELLED: list[str] = []
# A 1x1 transparent PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
    )
).decode()


@server.tool()
def write_note(path: str, text: str) -> str:
    """Write `text` to the file at `path`."""
    Path(path).write_text(text, encoding="utf-8")
    return f"{opts.name} wrote {len(text)} characters to {path}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def whoami() -> str:
    """The name of this server."""
    return f"I am server {opts.name}"


@server.tool()
def fail(message: str) -> str:
    """Always fails with `message`."""
    raise ToolError(f"{opts.name} refused: {message}")


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep for `seconds`."""
    await asyncio.sleep(seconds)
    return "slept"


@server.tool(task="required")
async def build_report(pages: int, ctx: Context) -> str:
    """Build a report of `pages` pages (a long job: it runs only as a task)."""
    for page in range(1, pages + 1):
        await ctx.report_progress(page, pages, f"page {page} of {pages}")
        await asyncio.sleep(0.3)
    return f"{opts.name} built a {pages}-page report in task {ctx.task_id}"


@server.tool(task="required")
async def endless_job(ctx: Context) -> str:
    """Never finishes on its own; records its cancellation in CANCELLED."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        CANCELLED.append(ctx.task_id or "")
        raise
    return "impossible"


@server.tool(task=True)
async def maybe_task(ctx: Context) -> str:
    """A tool that may run as a task; says whether it did."""
    return f"task id: {ctx.task_id}"


@server.tool()
def cancelled_tasks() -> str:
    """The ids of the tasks of endless_job that were cancelled, comma-separated."""
    return ",".join(CANCELLED) or "none"


@server.tool()
def picture() -> list[TextContent | ImageContent]:
    """A caption and a tiny image."""
    return [TextContent(text="a tiny pixel"), ImageContent(data=PIXEL, mimeType="image/png")]


def only_here() -> str:
    """A tool only this server has (its name carries the server's)."""
    return f"only on {opts.name}"


server.tool(name=f"{opts.name}_only")(only_here)


@server.resource("notes://readme", mime_type="text/plain")
def readme() -> str:
    """The readme note."""
    return f"readme of {opts.name}: the password is swordfish"


@server.prompt()
def greeting(person: str) -> str:
    """Greet someone."""
    return f"Please greet {person} warmly."


if __name__ == "__main__":
    if opts.transport == "stdio":
        server.run(transport="stdio")
    else:
        server.run(transport="streamable-http", host="127.0.0.1", port=opts.port)
