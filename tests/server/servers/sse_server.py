"""A server on the legacy HTTP+SSE transport (`GET /sse` + `POST /messages/`)."""

from __future__ import annotations

import sys

from mcp_use import Context, MCPServer

server = MCPServer("sse-server")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
async def ask_model(question: str, ctx: Context) -> str:
    """Ask the client's model, through sampling."""
    reply = await ctx.sample(question, max_tokens=50)
    return f"model said: {reply.content.text}"


@server.resource("memo://hello", mime_type="text/plain")
def hello() -> str:
    return "hello over sse"


if __name__ == "__main__":
    server.run(transport="sse", host="127.0.0.1", port=int(sys.argv[1]))
