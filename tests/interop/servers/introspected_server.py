"""A protected server whose tokens come from another authorization server (RFC 7662).

python introspected_server.py --port P --auth-server URL
"""

from __future__ import annotations

import argparse

from mcp_use import Context, MCPServer
from mcp_use.auth import IntrospectionVerifier

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--auth-server", required=True)
parser.add_argument("--transport", default="http")
args = parser.parse_args()

server = MCPServer(
    "introspected",
    auth=IntrospectionVerifier(args.auth_server.rstrip("/") + "/introspect"),
    authorization_servers=[args.auth_server],
)


@server.tool()
def whoami(ctx: Context) -> str:
    """The client id and scopes of the caller's token."""
    token = ctx.access_token
    return f"{token.client_id} {' '.join(token.scopes)}"


@server.tool(scopes=["mcp:tools"])
def add(a: int, b: int) -> int:
    """Needs the mcp:tools scope."""
    return a + b


@server.custom_route("/health")
def health() -> dict:
    return {"ok": True}


if __name__ == "__main__":
    server.run(transport=args.transport, host="127.0.0.1", port=args.port, log_level="info")
