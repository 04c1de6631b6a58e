"""The official Python SDK client (``mcp==2.3.0``) drives our server: stdio and HTTP, both eras.

``mode="legacy"`` runs the initialize handshake (2025-11-25); ``mode="auto"`` probes
``server/discover`` and must settle on 2026-07-28 (stateless, per-request ``_meta``).
No mocks: the server is a real process built on ``mcp_use``'s public API
(tests/interop/servers/interop_server.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters

from tests.helpers import ServerProcess

from .conftest import INTEROP_SERVER, server_env

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
MODES = {"legacy": LEGACY, "auto": MODERN}
CALL_TIMEOUT = 30.0

EXPECTED_TOOLS = {"add", "echo", "weather", "fail", "crash", "noisy", "progress", "ask_name", "ask_model"}

# The seed's stdio example, verbatim (SEED-transports.txt, "Running with Stdio").
SEED_STDIO_SERVER = """\
from mcp_use import MCPServer

server = MCPServer(name="cli-server")

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

if __name__ == "__main__":
    server.run(transport="stdio")
"""


def stdio_params(script: Path = INTEROP_SERVER) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[str(script)], env=server_env())


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def target(transport: str, request: pytest.FixtureRequest) -> StdioServerParameters | str:
    if transport == "stdio":
        return stdio_params()
    server: ServerProcess = request.getfixturevalue("http_server")
    return server.url("/mcp")


@asynccontextmanager
async def connect(target: StdioServerParameters | str, mode: str, **kwargs: object) -> AsyncIterator[Client]:
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(target, mode=mode, read_timeout_seconds=CALL_TIMEOUT, **kwargs) as client:  # type: ignore[arg-type]
            # The negotiated era: legacy pins the handshake, auto must reach 2026-07-28.
            assert client.protocol_version == MODES[mode]
            yield client


def text_of(result: types.CallToolResult | types.GetPromptResult) -> str:
    if isinstance(result, types.GetPromptResult):
        content = result.messages[0].content
    else:
        content = result.content[0]
    assert isinstance(content, types.TextContent), content
    return content.text


async def test_handshake_and_server_info(target: StdioServerParameters | str, mode: str) -> None:
    async with connect(target, mode) as client:
        assert client.server_info is not None
        assert client.server_info.name == "interop-server"
        assert client.server_info.version == "1.2.3"
        caps = client.server_capabilities
        assert caps.tools is not None and caps.resources is not None and caps.prompts is not None
        if mode == "legacy":
            assert client.instructions == "Interop test server."


async def test_list_and_call_tools(target: StdioServerParameters | str, mode: str) -> None:
    async with connect(target, mode) as client:
        listed = await client.list_tools()
        tools = {t.name: t for t in listed.tools}
        assert set(tools) == EXPECTED_TOOLS
        add = tools["add"]
        assert add.description == "Add two integers."
        assert add.input_schema["properties"]["a"]["type"] == "integer"
        assert sorted(add.input_schema["required"]) == ["a", "b"]
        assert "ctx" not in tools["progress"].input_schema["properties"]

        echoed = await client.call_tool("echo", {"text": "héllo wörld"})
        assert echoed.is_error is False
        assert text_of(echoed) == "héllo wörld"
        assert echoed.structured_content is None

        added = await client.call_tool("add", {"a": 2, "b": 40})
        assert added.is_error is False
        assert added.structured_content == {"result": 42}
        assert text_of(added) == "42"


async def test_structured_output(target: StdioServerParameters | str, mode: str) -> None:
    async with connect(target, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        schema = tools["weather"].output_schema
        assert schema is not None and schema["type"] == "object"
        assert set(schema["properties"]) == {"city", "celsius", "sunny"}
        # The SDK validates structuredContent against outputSchema itself.
        result = await client.call_tool("weather", {"city": "Paris"})
        assert result.is_error is False
        assert result.structured_content == {"city": "Paris", "celsius": 21.5, "sunny": True}
        assert json.loads(text_of(result)) == result.structured_content


async def test_tool_errors(target: StdioServerParameters | str, mode: str) -> None:
    async with connect(target, mode) as client:
        refused = await client.call_tool("fail", {"reason": "nope"})
        assert refused.is_error is True
        assert text_of(refused) == "fail tool refused: nope"

        crashed = await client.call_tool("crash", {})
        assert crashed.is_error is True
        # Masked by default, as the SDK does: the exception text stays in the server log.
        assert text_of(crashed) == "Error executing tool crash"

        wrong = await client.call_tool("add", {"a": "not a number"})
        assert wrong.is_error is True
        message = text_of(wrong)
        assert "a" in message and "b" in message and "Invalid arguments" in message

        # The server keeps serving after errors.
        again = await client.call_tool("add", {"a": 1, "b": 1})
        assert again.is_error is False and again.structured_content == {"result": 2}


async def test_resources(target: StdioServerParameters | str, mode: str) -> None:
    async with connect(target, mode) as client:
        listed = await client.list_resources()
        assert [str(r.uri) for r in listed.resources] == ["config://app"]
        assert listed.resources[0].mime_type == "application/json"

        templates = await client.list_resource_templates()
        assert [t.uri_template for t in templates.resource_templates] == ["users://{user_id}/profile"]
        assert templates.resource_templates[0].description == "A user's profile"

        config = await client.read_resource("config://app")
        [content] = config.contents
        assert isinstance(content, types.TextResourceContents)
        assert str(content.uri) == "config://app"
        assert json.loads(content.text) == {"theme": "dark"}

        profile = await client.read_resource("users://42/profile")
        [content] = profile.contents
        assert isinstance(content, types.TextResourceContents)
        assert str(content.uri) == "users://42/profile"
        assert content.text == "profile of user 42"
        assert content.mime_type == "text/plain"


async def test_prompts(target: StdioServerParameters | str, mode: str) -> None:
    async with connect(target, mode) as client:
        listed = await client.list_prompts()
        [prompt] = listed.prompts
        assert prompt.name == "review"
        assert prompt.description == "Ask for a code review."
        args = {a.name: a.required for a in prompt.arguments or []}
        assert args == {"code": True, "language": False}

        got = await client.get_prompt("review", {"code": "x = 1", "language": "rust"})
        assert got.messages[0].role == "user"
        assert text_of(got) == "Review this rust code:\nx = 1"


async def test_progress_and_logging(target: StdioServerParameters | str, mode: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []
    logs: list[types.LoggingMessageNotificationParams] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    # On 2026-07-28 logs are opt-in per request (log_level stamps _meta).
    async with connect(target, mode, logging_callback=on_log, log_level="debug") as client:
        result = await client.call_tool("progress", {"steps": 3}, progress_callback=on_progress)
        assert result.is_error is False
        assert text_of(result) == "did 3 steps"
    assert progress == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert [(log.level, log.data) for log in logs] == [("info", "progress done")]


async def test_sampling_and_elicitation_callbacks(target: StdioServerParameters | str, mode: str) -> None:
    """ctx.sample / ctx.elicit: a server-to-client request (legacy) or an input round (modern)."""
    seen: list[str] = []

    async def sampling(
        context: object, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        message = params.messages[0].content
        assert isinstance(message, types.TextContent)
        seen.append(f"sampling:{message.text}:{params.max_tokens}")
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="forty-two"), model="test-model"
        )

    async def elicitation(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append(f"elicit:{params.message}")
        return types.ElicitResult(action="accept", content={"name": "Ada"})

    async with connect(target, mode, sampling_callback=sampling, elicitation_callback=elicitation) as client:
        sampled = await client.call_tool("ask_model", {"question": "meaning of life?"})
        assert sampled.is_error is False, sampled
        assert text_of(sampled) == "model said: forty-two"

        elicited = await client.call_tool("ask_name", {})
        assert elicited.is_error is False, elicited
        assert text_of(elicited) == "hello Ada"
    assert seen == ["sampling:meaning of life?:50", "elicit:What is your name?"]


async def test_print_does_not_corrupt_stdio(mode: str) -> None:
    """A tool that print()s (even JSON-looking text) leaves the protocol stream intact."""
    async with connect(stdio_params(), mode) as client:
        for i in range(3):
            result = await client.call_tool("noisy", {"text": str(i)})
            assert result.is_error is False
            assert text_of(result) == f"noisy:{i}"
        # The stream is still in sync: a later call gets its own answer.
        added = await client.call_tool("add", {"a": 5, "b": 6})
        assert added.structured_content == {"result": 11}


async def test_seed_stdio_example(tmp_path: Path, mode: str) -> None:
    """The seed's stdio server, run as written, answers the official SDK client."""
    script = tmp_path / "server.py"
    script.write_text(SEED_STDIO_SERVER, encoding="utf-8")
    async with connect(stdio_params(script), mode) as client:
        assert client.server_info is not None and client.server_info.name == "cli-server"
        tools = (await client.list_tools()).tools
        assert [t.name for t in tools] == ["greet"]
        assert tools[0].input_schema["properties"]["name"]["type"] == "string"
        result = await client.call_tool("greet", {"name": "Alice"})
        assert result.is_error is False
        assert text_of(result) == "Hello, Alice!"
