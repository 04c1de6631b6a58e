"""A server whose middleware marks, rewrites and refuses, served by uvicorn or gunicorn.

`uvicorn server:app` / `gunicorn server:app -k uvicorn_worker.UvicornWorker` import this
module; `server.run()` is never called, so what the tests see proves the chain lives in
the engine's dispatch.
"""

from __future__ import annotations

import os
from typing import Any

from mcp_use.server import MCPServer, Middleware, MiddlewareContext, ToolError


class Mark(Middleware):
    """Adds a `_meta` mark with this process, the transport and the order of the hooks."""

    def __init__(self, label: str) -> None:
        self.label = label

    async def on_request(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        ctx.state.setdefault("order", []).append(f"{self.label}:request")
        return await call_next(ctx)

    async def on_call_tool(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        ctx.state["order"].append(f"{self.label}:call_tool")
        name = ctx.params.get("name")
        if name == "forbidden":
            raise ToolError(f"{name} is not allowed here")
        if name == "explode" and self.label == "inner":
            raise RuntimeError("a bug in a hook")
        if name == "echo":  # rewrite the arguments on their way in
            args = dict(ctx.params.get("arguments") or {})
            args["text"] = str(args.get("text", "")).upper()
            ctx.params = {**ctx.params, "arguments": args}
        result = await call_next(ctx)
        meta = result.setdefault("_meta", {})
        meta.setdefault("test/marks", []).append(self.label)
        meta["test/order"] = ctx.state["order"]
        meta["test/pid"] = os.getpid()
        meta["test/transport"] = ctx.transport
        return result


server = MCPServer(name="mw-served", middleware=[Mark("outer")])
server.use(Mark("inner"))


@server.tool()
def echo(text: str) -> str:
    return text


@server.tool()
def forbidden() -> str:
    return "never"


@server.tool()
def explode() -> str:
    return "never"


app = server.app
