"""fastmcp (4.1.6) benchmark server: one tool, `add`. Usage: fastmcp_server.py http PORT | ... stdio"""

import sys

from fastmcp import FastMCP

server = FastMCP("bench")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run(transport="stdio", show_banner=False)
    else:
        server.run(
            transport="http",
            host="127.0.0.1",
            port=int(sys.argv[2]),
            log_level="warning",
            json_response=True,
            stateless_http=False,
            show_banner=False,
        )
