"""A protected server as gunicorn imports it (`gunicorn server:app -k uvicorn_worker.UvicornWorker`).

`server.run()` is never called: the bearer check must live in the app itself. The JWKS
URL, the public resource URL and Redis come from the environment the test sets.
"""

from __future__ import annotations

import os

from mcp_use import Context, MCPServer
from mcp_use.auth import JWTVerifier

server = MCPServer(
    "auth-gunicorn",
    auth=JWTVerifier(
        jwks_uri=os.environ["TEST_JWKS_URL"],
        issuer="https://issuer.test",
        audience=os.environ["TEST_RESOURCE"],
    ),
    resource_url=os.environ["TEST_RESOURCE"],
    authorization_servers=["https://issuer.test"],
    state=os.environ["TEST_REDIS_URL"],
    state_secret="gunicorn-auth-test-secret-0123456789",
)


@server.tool()
def whoami(ctx: Context) -> str:
    """The principal and the worker that served the call."""
    token = ctx.access_token
    return f"{token.subject if token else None} {os.getpid()}"


app = server.app
