"""A stdio server for the proxy tests: it asks its client for everything a server can
ask (sampling, roots, elicitation), logs, reports progress, completes, and can die."""

from __future__ import annotations

import asyncio
import os

from mcp_use.server import Context, MCPServer

server = MCPServer(name="proxy-target")


@server.tool()
def pid() -> int:
    return os.getpid()


@server.tool()
def die() -> str:
    os._exit(3)


@server.tool()
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "finished"


@server.tool()
async def ask_all(ctx: Context) -> str:
    await ctx.report_progress(1, 3, "sampling")
    sampled = await ctx.sample("Say hi", max_tokens=5)
    await ctx.report_progress(2, 3, "roots")
    roots = await ctx.list_roots()
    await ctx.warning("almost done")
    answer = await ctx.elicit("Colour?", {"type": "object", "properties": {"colour": {"type": "string"}}})
    return f"{sampled.content.text}|{','.join(str(r.uri) for r in roots)}|{answer.content['colour']}"


@server.prompt()
def topic(subject: str) -> str:
    return f"Tell me about {subject}"


@server.completion()
def complete(ref: object, argument: object, context: object) -> list[str]:
    return ["python", "pytest"]


if __name__ == "__main__":
    server.run(transport="stdio")
