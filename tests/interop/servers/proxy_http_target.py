"""Our own server as a proxy's HTTP target: `python proxy_http_target.py PORT`.

`ask` waits, then elicits its question, so two calls can be in flight through the
proxy when the questions come; `grow` changes the tools list and updates `test://watched`; `regional` reports the
`Mcp-Param-Region` header its request arrived with (on 2026-07-28 the target refuses a
call whose headers do not mirror its `x-mcp-header` arguments).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

from pydantic import Field

from mcp_use.server import Context, MCPServer

server = MCPServer(name="proxy-http-target")


@server.tool()
async def ask(ctx: Context, question: str, delay: float = 0.0) -> str:
    """Sleep `delay` seconds, then ask the client `question`; return its answer."""
    await asyncio.sleep(delay)
    answer = await ctx.elicit(question, {"type": "object", "properties": {"answer": {"type": "string"}}})
    return f"{question} -> {answer.content['answer'] if answer.content else answer.action}"


@server.resource("test://watched", mime_type="text/plain")
def watched() -> str:
    return "watched"


@server.tool()
async def grow(name: str) -> str:
    """Add a tool called `name` (the tools list changes) and touch `test://watched`."""
    server.add_tool(lambda: name, name=name)
    await server.notify_resource_updated("test://watched")
    return f"added {name}"


@server.tool()
def regional(
    ctx: Context, region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]
) -> str:
    headers = ctx.request_headers or {}
    return f"{region} (header {headers.get('mcp-param-region')})"


if __name__ == "__main__":
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
