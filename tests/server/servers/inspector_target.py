"""A server for the inspector's browser tests: every client capability, and more.

`python inspector_target.py PORT [--transport http|sse] [--token T --header NAME:VALUE]`
With `--token`, a Starlette middleware refuses (401) requests to /mcp without
`Authorization: Bearer T` and the header: the page must send both.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Annotated

from pydantic import Field
from starlette.responses import JSONResponse

from mcp_use import Context, MCPServer

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--transport", default="streamable-http")
parser.add_argument("--token")
parser.add_argument("--header")
parser.add_argument("--name", default="target-server")
opts = parser.parse_args()

server = MCPServer(name=opts.name, debug=True)  # no instructions: the header must not say "null"
counter = {"value": 0}


@server.tool()
async def ask_name(ctx: Context) -> str:
    """Elicit a name from the user."""
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "Your name"}, "age": {"type": "integer"}},
        "required": ["name"],
    }
    answer = await ctx.elicit("What is your name?", schema)
    if answer.action != "accept":
        return f"no name ({answer.action})"
    return f"Hello, {answer.data['name']} ({answer.data.get('age')})"


@server.tool()
async def sign_in(ctx: Context) -> str:
    """Send the user to a page (URL-mode elicitation)."""
    answer = await ctx.elicit_url("Sign in to continue", "https://example.com/sign-in")
    return f"sign-in: {answer.action}"


@server.tool()
async def ask_model(ctx: Context) -> str:
    """Ask the client's model for a haiku."""
    reply = await ctx.sample("Write a haiku about pipes", max_tokens=60)
    return f"model said: {reply.content.text}"


@server.tool()
async def my_roots(ctx: Context) -> str:
    """List the client's roots."""
    roots = await ctx.list_roots()
    return "roots: " + ", ".join(str(r.uri) for r in roots)


@server.tool()
async def slow(ctx: Context) -> str:
    """Sleep for a minute (to be cancelled)."""
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        counter["cancelled"] = counter.get("cancelled", 0) + 1
        raise
    return "woke up"


@server.tool()
def cancelled_calls() -> int:
    """How many `slow` calls were cancelled (the server really stopped them)."""
    return counter.get("cancelled", 0)


@server.tool()
def regional(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]) -> str:
    """A parameter mirrored into the Mcp-Param-Region header on 2026-07-28."""
    return f"served from {region}"


@server.tool()
def bump() -> int:
    """Increment the counter resource and tell subscribers."""
    counter["value"] += 1
    server.notify_resource_updated("counter://value")
    return counter["value"]


@server.resource("counter://value", mime_type="text/plain")
def counter_value() -> str:
    """The counter."""
    return f"counter={counter['value']}"


@server.prompt()
def greet_in(language: str, name: str) -> str:
    """Greet someone in a language."""
    return f"Say hello to {name} in {language}."


LANGUAGES = ["english", "esperanto", "estonian", "french", "german"]


@server.completion()
def complete(ref, argument, context):  # type: ignore[no-untyped-def]
    if argument.name == "language":
        return [lang for lang in LANGUAGES if lang.startswith(argument.value)]
    return []


if opts.token:
    header_name, _, header_value = (opts.header or "").partition(":")

    class RequireToken:
        def __init__(self, app):  # type: ignore[no-untyped-def]
            self.app = app

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            if scope["type"] == "http" and scope["path"] == "/mcp":
                headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
                if headers.get("authorization") != f"Bearer {opts.token}":
                    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": "bad token"}}
                    await JSONResponse(body, 401)(scope, receive, send)
                    return
                if headers.get(header_name.lower()) != header_value.strip():
                    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": "no tenant"}}
                    await JSONResponse(body, 403)(scope, receive, send)
                    return
            await self.app(scope, receive, send)

    server.streamable_http_app().add_middleware(RequireToken)

if __name__ == "__main__":
    server.run(transport=opts.transport, host="127.0.0.1", port=opts.port)
