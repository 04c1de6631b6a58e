"""An official-SDK server (`mcp==2.3.0`, `mcp.server.MCPServer`) for the client interop tests.

Run:  python sdk_server.py stdio | python sdk_server.py http PORT
"""

from __future__ import annotations

import sys

from mcp.server import MCPServer

server = MCPServer(name="sdk-server", version="3.1.4")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.resource("note://hello", mime_type="text/plain")
def hello() -> str:
    return "hello from the sdk"


@server.prompt()
def ask(topic: str) -> str:
    """Ask about a topic."""
    return f"Tell me about {topic}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run(transport="stdio")
