"""A server whose tools ask the client for input: roots, typed elicitation, URL mode, gather.

Driven by the official SDK client in tests/interop/test_sdk_callbacks_more.py.

Run:  python tests/interop/servers/callbacks_server.py --transport stdio
      python tests/interop/servers/callbacks_server.py --transport http --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
import json

from pydantic import BaseModel, Field

from mcp_use import Context, MCPServer

server = MCPServer(name="callbacks-server", version="0.0.1")


class Contact(BaseModel):
    """A person to reach."""

    name: str
    age: int = Field(ge=0)
    subscribe: bool = False


@server.tool()
async def roots(ctx: Context) -> str:
    """Lists the client's roots."""
    listed = await ctx.list_roots()
    return json.dumps([{"uri": str(r.uri), "name": r.name} for r in listed])


@server.tool()
async def contact(ctx: Context) -> str:
    """Elicits a Contact; reports the type and fields of what came back."""
    answer = await ctx.elicit("Who should we contact?", Contact)
    data = answer.data
    return json.dumps(
        {
            "action": answer.action,
            "type": type(data).__name__,
            "fields": data.model_dump() if isinstance(data, BaseModel) else data,
        }
    )


@server.tool()
async def login(ctx: Context) -> str:
    """URL-mode elicitation: sends the user to a page."""
    answer = await ctx.elicit_url("Please sign in", "https://example.com/login?state=abc")
    return json.dumps({"action": answer.action, "content": answer.content})


@server.tool()
async def both(ctx: Context) -> str:
    """Two inputs awaited together: asked in one round on 2026-07-28."""
    elicited, sampled = await asyncio.gather(
        ctx.elicit(
            "Pick a colour", {"type": "object", "properties": {"colour": {"type": "string"}}}, key="a"
        ),
        ctx.sample("Name a fruit", max_tokens=20, key="b"),
    )
    colour = elicited.data["colour"] if isinstance(elicited.data, dict) else None
    return f"{colour}+{sampled.content.text}"


@server.tool()
async def needs_sampling(ctx: Context) -> str:
    """Samples: fails for a client that did not declare sampling."""
    reply = await ctx.sample("hello?", max_tokens=5)
    return reply.content.text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run(transport="stdio")
    else:
        server.run(transport="streamable-http", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
