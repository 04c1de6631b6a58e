"""A protected server (JWT via a JWKS the test serves), for the authorization tests.

    python auth_server.py --port P --jwks URL [--transport http|sse] [--resource URL] [--redis URL]

Issuer `https://issuer.test`; audience: `--resource` (then also `resource_url`, as behind a
proxy), else this server's own MCP URL on 127.0.0.1. `--redis`: sessions on Redis.
"""

from __future__ import annotations

import argparse

from mcp_use import Context, MCPServer
from mcp_use.auth import JWTVerifier

ISSUER = "https://issuer.test"

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--jwks", required=True)
parser.add_argument("--transport", default="http")
parser.add_argument("--resource")
parser.add_argument("--redis")
args = parser.parse_args()
RESOURCE = args.resource or f"http://127.0.0.1:{args.port}/mcp"
state = None
if args.redis:
    from mcp_use.server.state import RedisState

    state = RedisState(args.redis, prefix="auth-test")

server = MCPServer(
    "protected",
    auth=JWTVerifier(jwks_uri=args.jwks, issuer=ISSUER, audience=RESOURCE),
    required_scopes=["mcp:use"],
    resource_url=args.resource,
    state=state,
    state_secret="auth-test-secret" if state else None,
)


@server.tool()
def whoami(ctx: Context) -> dict:
    """Who the caller's token says they are."""
    token = ctx.access_token
    return {"subject": token.subject, "client_id": token.client_id, "scopes": list(token.scopes)}


@server.tool(scopes=["admin"])
def reset() -> str:
    """Needs the admin scope."""
    return "reset done"


@server.tool()
async def confirm(ctx: Context) -> str:
    """Asks the user (elicitation), so a modern call has a requestState round."""
    answer = await ctx.elicit("Sure?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    return f"{answer.action} for {ctx.access_token.subject}"


@server.resource("secret://vault", mime_type="text/plain", scopes=["vault"])
def vault() -> str:
    return "gold"


@server.prompt(scopes=["prompts"])
def briefing() -> str:
    return "brief me"


@server.custom_route("/health")
def health() -> dict:
    return {"ok": True}


@server.custom_route("/private", auth=True)
def private(request) -> dict:
    return {"subject": request.scope["mcp_use.access_token"].subject}


if __name__ == "__main__":
    server.run(transport=args.transport, host="127.0.0.1", port=args.port, log_level="info")
