"""mcp_use benchmark server: one tool, `add`. Usage: ours.py http PORT | ours.py stdio"""

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
        server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
