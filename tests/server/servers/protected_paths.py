"""Two protected MCP endpoints on one origin, each its own RFC 8707 resource.

python protected_paths.py PORT AUTH_A AUTH_B
`/a/mcp` (resource http://127.0.0.1:PORT/a/mcp) trusts the authorization server AUTH_A,
`/b/mcp` trusts AUTH_B (tokens checked by introspection, audience = its own resource).
Both require `mcp:read` (their 401 challenge asks for just that) and have a tool
`admin` that needs `mcp:admin` too: a token from a plain sign-in gets 403
`insufficient_scope` there, the step-up case.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mcp_use import Context, MCPServer
from mcp_use.auth import IntrospectionVerifier

port, auth_a, auth_b = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def protected(name: str, auth_server: str) -> MCPServer:
    server = MCPServer(
        name,
        auth=IntrospectionVerifier(auth_server.rstrip("/") + "/introspect"),
        authorization_servers=[auth_server],
        required_scopes=["mcp:read"],
    )

    @server.tool()
    def whoami(ctx: Context) -> str:
        """Which endpoint answered, and the scopes of the caller's token."""
        return f"{name} {' '.join(ctx.access_token.scopes)}"

    @server.tool(scopes=["mcp:admin"])
    def admin() -> str:
        """Needs the mcp:admin scope besides mcp:read."""
        return f"{name} admin ok"

    return server


async def health(_request: object) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[
        Route("/health", health),
        Mount("/a", app=protected("endpoint-a", auth_a).app),
        Mount("/b", app=protected("endpoint-b", auth_b).app),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
