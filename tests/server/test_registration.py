"""Decorated tools, resources and prompts are built on the registry's first read.

`@server.tool()` & co. register a recipe (`Registry.add_later`), so defining a server
imports no pydantic (`tests/test_import_cost.py`). These tests pin what that must not
change: the lists keep registration order, a bad signature still fails before an HTTP
app serves anything or a stdio server reads its first message, a record registered
while serving is built at once, and an in-memory server whose first read fails answers
an error on every read (it never serves a partial list).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic.errors import PydanticInvalidForJsonSchema

from mcp_use import MCPClient, MCPRouter, MCPServer
from mcp_use.client.errors import ServerError
from mcp_use.server.registry import Registry
from tests.helpers import build_env

from .conftest import ACCEPT, MODERN, MODERN_META, initialize_message


class Opaque:
    """A parameter type pydantic can validate (arbitrary types) but not describe."""


def test_registry_builds_recipes_on_first_read_in_order() -> None:
    built: list[str] = []
    changes: list[str] = []
    registry: Registry[str] = Registry("tools", changes.append)

    def recipe(name: str) -> object:
        return lambda: built.append(name) or name.upper()

    registry.add_later("a", recipe("a"))  # type: ignore[arg-type]
    registry.add("b", "B")
    registry.add_later("c", recipe("c"))  # type: ignore[arg-type]
    assert built == [] and len(registry) == 3 and changes == ["tools"] * 3
    assert registry.list() == ["A", "B", "C"] and built == ["a", "c"]
    registry.add_later("d", recipe("d"))  # type: ignore[arg-type]  # after a read: at once
    assert built == ["a", "c", "d"] and registry.get("d") == "D"


def test_a_failing_recipe_fails_every_read_and_keeps_the_others() -> None:
    registry: Registry[str] = Registry("tools")
    registry.add_later("good", lambda: "GOOD")

    def broken() -> str:
        raise ValueError("bad signature")

    registry.add_later("bad", broken)
    for _ in range(2):  # not once and then a partial list
        with pytest.raises(ValueError, match="bad signature"):
            registry.list()
        with pytest.raises(ValueError, match="bad signature"):
            registry.get("good")
    assert len(registry) == 2


def test_a_bad_signature_fails_the_app_build_not_the_decorator() -> None:
    server = MCPServer("bad")

    @server.tool()
    def takes(value: Opaque) -> str:
        return "x"

    assert len(server.core.features.tools) == 1
    with pytest.raises(PydanticInvalidForJsonSchema, match="Opaque"):
        server.app  # noqa: B018  (the property builds the app)
    with pytest.raises(PydanticInvalidForJsonSchema):
        server.streamable_http_app()  # still failing: nothing was served


def test_a_template_missing_its_parameters_fails_the_app_build() -> None:
    server = MCPServer("bad")

    @server.resource("files://{name}")
    def no_name(other: str) -> str:
        return other

    with pytest.raises(ValueError, match=r"lacks parameters \['other'\]"):
        server.sse_app()


def test_after_the_app_is_built_a_decorator_builds_at_once() -> None:
    server = MCPServer("late")
    server.streamable_http_app()
    with pytest.raises(PydanticInvalidForJsonSchema):

        @server.tool()
        def takes(value: Opaque) -> str:
            return "x"

    assert len(server.core.features.tools) == 0

    @server.prompt()
    def fine(topic: str) -> str:
        return topic

    assert server.core.features.prompts.get("fine") is not None


async def test_lists_keep_registration_order_across_decorators_add_tool_and_routers() -> None:
    server = MCPServer("order")
    router = MCPRouter(prefix="r_")

    @server.tool()
    def first() -> str:
        return "1"

    def second() -> str:
        return "2"

    server.add_tool(second)  # built at once, between two deferred ones

    @router.tool()
    def third() -> str:
        return "3"

    server.include_router(router)

    @server.tool
    def fourth() -> str:
        return "4"

    transport = httpx.ASGITransport(app=server.app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.post(
            "/mcp",
            headers={"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": "tools/list"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": MODERN_META}},
        )
    names = [tool["name"] for tool in response.json()["result"]["tools"]]
    assert names == ["first", "second", "r_third", "fourth"]


@pytest.mark.parametrize("mode", ["legacy", "modern"])
async def test_in_memory_a_failing_first_read_answers_an_error_each_time(mode: str) -> None:
    server = MCPServer("lazy")

    @server.tool()
    def takes(value: Opaque) -> str:
        return "x"

    async with MCPClient(server, mode=mode) as client:
        session = client.get_session("lazy")
        for _ in range(2):
            with pytest.raises(ServerError, match="Internal error") as failed:
                await session.list_tools()
            assert failed.value.code == -32603


@pytest.mark.parametrize("mode", ["legacy", "modern"])
async def test_in_memory_tools_are_built_by_the_first_request(mode: str) -> None:
    server = MCPServer("lazy")

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    async with MCPClient(server, mode=mode) as client:
        session = client.get_session("lazy")
        assert (await session.call_tool("add", {"a": 2, "b": 3})).structuredContent == {"result": 5}
        assert [t.name for t in await session.list_tools()] == ["add"]


@pytest.mark.parametrize("mode", ["legacy", "modern"])
async def test_bad_arguments_still_answer_invalid_params_once_built(mode: str) -> None:
    """The validators' errors are caught without importing pydantic up front
    (`loaded.validation_error`): tools, prompts and resource templates alike."""
    server = MCPServer("strict")

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.prompt()
    def repeat(text: str, times: int) -> str:
        return text * times

    @server.resource("users://{user_id}/profile")
    def profile(user_id: int) -> str:
        return f"user {user_id}"

    async with MCPClient(server, mode=mode) as client:
        session = client.get_session("strict")
        result = await session.call_tool("add", {"a": "one", "b": 2})
        assert result.isError and "Invalid arguments for tool 'add': a:" in result.content[0].text
        with pytest.raises(ServerError, match="Invalid arguments for prompt 'repeat': times:") as prompt:
            await session.get_prompt("repeat", {"text": "x", "times": "many"})
        with pytest.raises(ServerError, match="Invalid resource URI parameters: ") as resource:
            await session.read_resource("users://ada/profile")
        assert prompt.value.code == resource.value.code == -32602
        assert (await session.read_resource("users://7/profile")).contents[0].text == "user 7"


BAD_STDIO_SERVER = """
from mcp_use import MCPServer

class Opaque:
    pass

server = MCPServer("bad-stdio")

@server.tool()
def takes(value: Opaque) -> str:
    return "x"

server.run(transport="stdio")
"""


def test_a_stdio_server_with_a_bad_signature_fails_at_start(tmp_path: Path) -> None:
    """A real stdio server process: it ends before reading anything, the error on stderr
    and stdout empty (a client sees the server die, not a server that answers errors)."""
    script = tmp_path / "bad_stdio.py"
    script.write_text(BAD_STDIO_SERVER)
    init = initialize_message(1)
    done = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps(init) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=build_env(),
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "PydanticInvalidForJsonSchema" in done.stderr and "Opaque" in done.stderr
