"""A server for the bad-input tests: small body limit, tools that fail in several ways.

Run:  python tests/server/servers/bad_input_server.py --transport stdio|http [--port N]
"""

from __future__ import annotations

import argparse

from pydantic import BaseModel

from mcp_use import MCPServer

MAX_BODY = 4096

server = MCPServer(name="bad-input-server", max_body_size=MAX_BODY)


class Point(BaseModel):
    x: int
    y: int


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def shift(point: Point, by: int = 1) -> str:
    """Move a point."""
    return f"{point.x + by},{point.y + by}"


@server.tool()
def explode(message: str = "kaboom") -> str:
    """Raises an unexpected exception."""
    raise ValueError(message)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", default="stdio")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run(transport="stdio")
    else:
        server.run(transport="streamable-http", host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
