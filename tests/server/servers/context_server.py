"""A server whose middleware records the `MiddlewareContext` of every hook it passes,
for the tests of what each transport fills in (tests/server/test_middleware_context.py).

    python context_server.py --transport stdio|http|sse [--port P] [--secret S]

`--secret`: protected by HS256 JWTs with that secret (issuer `https://issuer.test`,
audience the server's own MCP URL), so `access_token` is set. The tool `seen` answers
the records so far (and forgets them), as JSON text.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from mcp_use.server import MCPServer, Middleware, MiddlewareContext

HOOKS = (
    "on_request",
    "on_call_tool",
    "on_read_resource",
    "on_get_prompt",
    "on_list_tools",
    "on_list_resources",
    "on_list_prompts",
    "on_initialize",
    "on_notification",
)


def describe(hook: str, ctx: MiddlewareContext) -> dict[str, Any]:
    headers = ctx.headers
    token = ctx.access_token
    return {
        "hook": hook,
        "method": ctx.method,
        "transport": ctx.transport,
        "headers": None if headers is None else {"x-probe": headers.get("x-probe")},
        "client_ip": ctx.client_ip,
        "session_id": ctx.session_id,
        "protocol_version": ctx.protocol_version,
        "subject": None if token is None else token.subject,
    }


class Snoop(Middleware):
    """Every hook records its context; `on_initialize` records it again after `call_next`."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []


def _recording(hook: str) -> Any:
    async def run(self: Snoop, ctx: MiddlewareContext, call_next: Any) -> Any:
        self.records.append(describe(hook, ctx))
        result = await call_next(ctx)
        if hook == "on_initialize":
            self.records.append(describe("on_initialize:after", ctx))
        return result

    return run


for _hook in HOOKS:
    setattr(Snoop, _hook, _recording(_hook))


def build(**options: Any) -> tuple[MCPServer, Snoop]:
    snoop = Snoop()
    server = MCPServer("context", middleware=[snoop], **options)

    @server.tool()
    def seen() -> str:
        """The records so far, forgotten once answered."""
        records, snoop.records[:] = list(snoop.records), []
        return json.dumps(records)

    @server.resource("ctx://note")
    def note() -> str:
        return "note"

    @server.prompt()
    def hello() -> str:
        return "hello"

    return server, snoop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", default="stdio")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret")
    args = parser.parse_args()
    options: dict[str, Any] = {}
    if args.secret:
        from mcp_use.auth import JWTVerifier

        path = "/sse" if args.transport == "sse" else "/mcp"
        audience = f"http://127.0.0.1:{args.port}{path}"
        options["auth"] = JWTVerifier(secret=args.secret, issuer="https://issuer.test", audience=audience)
    server, _ = build(**options)
    server.run(transport=args.transport, host="127.0.0.1", port=args.port)
