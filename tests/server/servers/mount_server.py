"""A parent serving a mounted child (prefix `billing`), for the mount relay tests
(tests/server/test_mount_relay.py): in memory through `build()`, or over HTTP.

    python mount_server.py --port P

The child's tools make the child itself announce things (its own hub, never the
parent's): `billing_poke` calls `child.notify_list_changed`, `billing_touch`
`child.notify_resource_updated`, `billing_grow` adds a tool to the child; `billing_chatty`
logs and reports progress; `billing_slow` is a task tool (`task=True`).
"""

from __future__ import annotations

import argparse
import asyncio

from mcp_use.server import Context, MCPServer


def build() -> tuple[MCPServer, MCPServer]:
    parent = MCPServer("parent")
    child = MCPServer("child")

    @parent.tool()
    def hello() -> str:
        return "parent hello"

    @child.tool()
    async def poke(kind: str) -> str:
        await child.notify_list_changed(kind)
        return f"announced {kind}"

    @child.tool()
    async def touch(uri: str) -> str:
        await child.notify_resource_updated(uri)  # type: ignore[misc]
        return f"updated {uri}"

    @child.tool()
    def grow(name: str) -> str:
        child.add_tool(lambda: "grown", name=name)
        return f"added {name}"

    @child.tool()
    async def chatty(ctx: Context) -> str:
        await ctx.info("from the child")
        await ctx.report_progress(1, 2, "half way")
        return "chatted"

    @child.tool(task=True)
    async def slow(n: int, ctx: Context) -> str:
        await asyncio.sleep(0.2)
        return f"slow {n} in task {ctx.task_id is not None}"

    @child.resource("billing://rates")
    def rates() -> str:
        return "1.5%"

    parent.mount(child, prefix="billing")
    return parent, child


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server, _ = build()
    server.run(transport="streamable-http", host="127.0.0.1", port=args.port)
