"""Our own server, for the client tests: small pages, a slow tool, every callback kind.

Run:  python client_server.py --transport stdio|http|sse [--port N]
"""

from __future__ import annotations

import argparse
import asyncio
import os

from mcp_use import Context, MCPServer

server = MCPServer(name="client-test-server", version="2.0.0", page_size=2)


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
async def sleep(seconds: float) -> str:
    """Sleep, so a test can kill the server mid-call."""
    await asyncio.sleep(seconds)
    return "slept"


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
async def ask(ctx: Context) -> str:
    """Elicitation, sampling and roots in one call."""
    answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    reply = await ctx.sample("Say hi", max_tokens=10)
    roots = await ctx.list_roots()
    name = (
        answer.data["name"] if answer.action == "accept" and isinstance(answer.data, dict) else answer.action
    )
    return f"{name}|{reply.content.text}|{','.join(r.uri for r in roots)}"


@server.tool()
async def chatty(ctx: Context) -> str:
    """Progress and logs before the answer."""
    await ctx.report_progress(1, 2, "half")
    await ctx.warning("careful")
    await ctx.report_progress(2, 2, "done")
    return "chatted"


@server.tool()
async def grow(name: str) -> str:
    """Register a new tool while running: clients hear tools/list_changed."""
    server.tool(name=name)(lambda: name)
    return "grown"


@server.tool()
async def touch(uri: str) -> str:
    """Tell subscribers that a resource changed."""
    await server.notify_resource_updated(uri)  # type: ignore[misc]
    return "touched"


@server.tool()
async def resumable(ctx: Context) -> str:
    """Closes its SSE stream mid-call (legacy HTTP): the client resumes with Last-Event-ID."""
    await ctx.report_progress(1, 2)
    await ctx.close_sse_stream()
    await asyncio.sleep(0.3)
    return "resumed"


@server.completion()
def complete(ref, argument, context) -> list[str]:  # type: ignore[no-untyped-def]
    return [v for v in ("alpha", "beta", "alps") if v.startswith(argument.value)]


@server.resource("memo://one", mime_type="text/plain")
def memo_one() -> str:
    return "first memo"


@server.resource("memo://two", mime_type="text/plain")
def memo_two() -> str:
    return "second memo"


@server.resource("memo://three", mime_type="text/plain")
def memo_three() -> str:
    return "third memo"


@server.prompt()
def greet(name: str) -> str:
    """Greet someone."""
    return f"Hello {name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", default="stdio")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run(transport="stdio")
    else:
        server.run(
            transport="streamable-http" if args.transport == "http" else "sse",
            host="127.0.0.1",
            port=args.port,
        )


if __name__ == "__main__":
    main()
