"""A FastMCP 4.1.6 server (a third-party framework on the official SDK) for the client tests.

Run:  python fastmcp_server.py stdio | python fastmcp_server.py http PORT
It answers both eras; its `chatty` tool logs at debug, info and warning.
"""

from __future__ import annotations

import sys

from fastmcp import Context, FastMCP

server = FastMCP(name="fastmcp-peer", version="4.1.6")


@server.tool
async def chatty(topic: str, ctx: Context) -> str:
    """Log three messages about `topic`, then answer."""
    await ctx.debug(f"debug about {topic}")
    await ctx.info(f"info about {topic}")
    await ctx.warning(f"warning about {topic}")
    return f"talked about {topic}"


@server.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run(transport="http", host="127.0.0.1", port=int(sys.argv[2]), show_banner=False)
    else:
        server.run(transport="stdio", show_banner=False)
