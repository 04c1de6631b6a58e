"""A small server built on our public API, driven by real peer clients in tests/interop.

Run:  python tests/interop/servers/interop_server.py --transport stdio
      python tests/interop/servers/interop_server.py --transport http --port 8123
"""

from __future__ import annotations

import argparse

from pydantic import BaseModel

from mcp_use import Context, MCPServer, ToolError

server = MCPServer(name="interop-server", version="1.2.3", instructions="Interop test server.")


class Weather(BaseModel):
    city: str
    celsius: float
    sunny: bool


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.tool()
def weather(city: str) -> Weather:
    """Structured weather for a city."""
    return Weather(city=city, celsius=21.5, sunny=True)


@server.tool()
def fail(reason: str = "boom") -> str:
    """Always fails with a message meant for the model."""
    raise ToolError(f"fail tool refused: {reason}")


@server.tool()
def crash() -> str:
    """Raises an unexpected exception."""
    raise RuntimeError("unexpected crash inside the tool")


@server.tool()
def noisy(text: str) -> str:
    """Prints to stdout before answering: must not corrupt a stdio stream."""
    print("this print must go to stderr, not the protocol stream")
    print('{"jsonrpc": "2.0", "id": 999, "result": {}}')
    return f"noisy:{text}"


@server.tool()
async def progress(steps: int, ctx: Context) -> str:
    """Reports progress and logs."""
    for i in range(steps):
        await ctx.report_progress(i + 1, steps, f"step {i + 1}")
    await ctx.info("progress done")
    return f"did {steps} steps"


@server.tool()
async def ask_name(ctx: Context) -> str:
    """Elicits a name from the user."""
    answer = await ctx.elicit(
        "What is your name?",
        {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    )
    if answer.action != "accept" or not isinstance(answer.data, dict):
        return f"no name ({answer.action})"
    return f"hello {answer.data['name']}"


@server.tool()
async def ask_model(question: str, ctx: Context) -> str:
    """Samples the client's model."""
    reply = await ctx.sample(question, max_tokens=50)
    return f"model said: {reply.content.text}"


@server.resource("config://app", mime_type="application/json", description="App config")
def app_config() -> str:
    return '{"theme": "dark"}'


@server.resource("users://{user_id}/profile", mime_type="text/plain", description="A user's profile")
def user_profile(user_id: str) -> str:
    return f"profile of user {user_id}"


@server.prompt()
def review(code: str, language: str = "python") -> str:
    """Ask for a code review."""
    return f"Review this {language} code:\n{code}"


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
