"""Official SDK (mcp==2.3.0) benchmark server: one tool, `add`. Usage: sdk.py http PORT | sdk.py stdio

Streamable HTTP with json_response=True (plain JSON answers, like ours) and sessions on
(stateless_http=False) so the handshake era keeps its sessions; 2026-07-28 requests are
routed by the SDK to its own sessionless handler whatever these options say.
"""

import sys

from mcp.server import MCPServer

server = MCPServer("bench", log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run(transport="stdio")
    else:
        server.run(
            transport="streamable-http",
            host="127.0.0.1",
            port=int(sys.argv[2]),
            json_response=True,
            stateless_http=False,
        )
