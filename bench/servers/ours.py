"""mcp_use benchmark server: one tool, `add`. Usage: ours.py http PORT [default-log] | ours.py stdio

Quiet by default (log level warning). With `default-log` it runs as the seed page's
server does, `server.run(transport="streamable-http")` with the default request log
(one line per request on stderr): the "seed-like" row.
"""

import sys

from mcp_use import MCPServer

server = MCPServer("bench")


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
