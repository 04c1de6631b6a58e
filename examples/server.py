"""A tour of mcp_use's server features: run it and open the inspector.

    python examples/server.py                  # http://127.0.0.1:8000/inspector
    mcp-use dev examples/server.py             # the same, with auto-reload
    python examples/server.py --port 8100 --transport stdio

Tools with structured output, a resource, a resource template and a prompt;
`debug=True` serves /docs, /inspector and /openmcp.json next to /mcp.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import math
import zlib
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_use import Context, MCPServer
from mcp_use.types import ImageContent, TextContent

server = MCPServer(
    name="demo-server",
    version="1.0.0",
    instructions="A demo server: arithmetic, a todo list, notes and a small image.",
    debug=True,
)


# ---- tools --------------------------------------------------------------------------
class Stats(BaseModel):
    count: int
    mean: float
    minimum: float
    maximum: float
    stdev: float


@server.tool(annotations={"readOnlyHint": True})
def statistics(
    values: Annotated[list[float], Field(description="The numbers to summarize", min_length=1)],
) -> Stats:
    """Summary statistics of a list of numbers."""
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    return Stats(count=len(values), mean=mean, minimum=min(values), maximum=max(values), stdev=math.sqrt(var))


@server.tool()
def add(a: int, b: int = 0) -> int:
    """Add two integers."""
    return a + b


class Address(BaseModel):
    street: str
    city: str
    country: str = Field("NL", description="ISO country code")


class Contact(BaseModel):
    name: str
    email: str | None = None
    tags: list[str] = []
    address: Address | None = None


@server.tool()
def format_contact(
    contact: Contact,
    style: Literal["short", "long"] = "short",
    uppercase: bool = False,
) -> str:
    """Format a contact card (nested objects, arrays, enums and booleans in one form)."""
    parts = [contact.name]
    if style == "long":
        if contact.email:
            parts.append(f"<{contact.email}>")
        if contact.address:
            a = contact.address
            parts.append(f"{a.street}, {a.city} ({a.country})")
        if contact.tags:
            parts.append("#" + " #".join(contact.tags))
    text = " ".join(parts)
    return text.upper() if uppercase else text


TODOS: list[dict[str, object]] = []


class Todo(BaseModel):
    id: int
    title: str
    priority: Literal["low", "normal", "high"]
    done: bool


@server.tool()
async def add_todo(
    ctx: Context,
    title: Annotated[str, Field(description="What to do")],
    priority: Literal["low", "normal", "high"] = "normal",
) -> Todo:
    """Add an item to the todo list (logs a message to the client)."""
    todo = {"id": len(TODOS) + 1, "title": title, "priority": priority, "done": False}
    TODOS.append(todo)
    await ctx.info(f"Added todo #{todo['id']}: {title}")
    server.notify_resource_updated("todo://list")
    return Todo.model_validate(todo)


@server.tool()
async def countdown(ctx: Context, steps: Annotated[int, Field(ge=1, le=20)] = 5) -> str:
    """Count down, reporting progress as it goes."""
    for i in range(steps):
        await ctx.report_progress(i + 1, steps, f"step {i + 1} of {steps}")
        await asyncio.sleep(0.1)
    return "Liftoff!"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    row = b"\x00" + bytes(rgb) * width
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@server.tool()
def swatch(color: Literal["red", "green", "blue"] = "blue") -> list[TextContent | ImageContent]:
    """A small image of a color, with a caption."""
    rgb = {"red": (220, 50, 50), "green": (40, 170, 80), "blue": (60, 90, 220)}[color]
    data = base64.b64encode(_png(48, 24, rgb)).decode()
    return [TextContent(text=f"A {color} swatch"), ImageContent(data=data, mimeType="image/png")]


# ---- resources and prompts ----------------------------------------------------------
@server.resource("todo://list", mime_type="application/json", description="The todo list as JSON")
def todo_list() -> str:
    import json

    return json.dumps(TODOS)


@server.resource("time://now", mime_type="text/plain", description="The server's clock (UTC)")
def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@server.resource(
    "notes://{topic}/{day}", mime_type="text/markdown", description="A note for a topic and a day"
)
def note(topic: str, day: str) -> str:
    return f"# {topic}\n\nNotes for {day}."


@server.prompt()
def review(code: str, language: str = "python") -> str:
    """Ask the model to review a piece of code."""
    return f"Please review this {language} code and point out bugs:\n\n{code}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transport", default="streamable-http", choices=["stdio", "streamable-http", "sse"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server.run(transport=args.transport, host=args.host, port=args.port)
