"""mcp_use benchmark server: one tool, `add`.
Usage: ours.py http PORT [default-log | middleware] | ours.py stdio

Quiet by default (log level warning). With `default-log` it runs as the seed page's
server does, `server.run(transport="streamable-http")` with the default request log
(one line per request on stderr): the "seed-like" row. With `middleware` it has one
pass-through MCP-level middleware (an `on_request` that only awaits `call_next`): the
cost of the chain itself, beside the quiet row's zero-middleware path.
"""

import sys

from mcp_use import MCPServer
from mcp_use.server import Middleware


class PassThrough(Middleware):
    async def on_request(self, ctx, call_next):  # type: ignore[no-untyped-def]
        return await call_next(ctx)


server = MCPServer("bench")
if sys.argv[3:] == ["middleware"]:
    server.use(PassThrough())


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run(transport="stdio", log_level="warning")
    else:
        level = None if sys.argv[3:] == ["default-log"] else "warning"
        server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[2]), log_level=level)
