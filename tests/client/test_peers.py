"""Our client against the peers' servers: server-everything (TS SDK) and the official Python SDK."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from mcp_use import MCPClient
from tests.helpers import NodeTools

from .conftest import SERVERS, start_http

EVERYTHING = "@modelcontextprotocol/server-everything"
SDK_SERVER = SERVERS / "sdk_server.py"


def everything_js(node: NodeTools) -> str:
    return str(node.package_dir(EVERYTHING) / "dist" / "index.js")


@pytest.fixture(scope="module")
def everything_http(module_server_process: Any, node: NodeTools) -> str:
    server = start_http(
        module_server_process,
        [str(node.node), everything_js(node), "streamableHttp"],
        env={"PATH": node.env()["PATH"]},
        name="everything-http",
    )
    return server.url("/mcp")


@pytest.fixture(params=["stdio", "http"])
def everything(request: pytest.FixtureRequest, node: NodeTools) -> dict[str, Any]:
    if request.param == "stdio":
        return {"command": str(node.node), "args": [everything_js(node)]}
    return {"url": request.getfixturevalue("everything_http")}


async def test_server_everything(everything: dict[str, Any]) -> None:
    async with MCPClient({"mcpServers": {"everything": everything}}, timeout=30) as client:
        session = client.get_session("everything")
        assert session.era == "legacy"  # handshake era only: auto fell back
        tools = {t.name: t for t in await session.list_tools()}
        assert {"echo", "get-sum", "get-tiny-image"} <= set(tools)
        assert "message" in tools["echo"].inputSchema["properties"]

        result = await session.call_tool("echo", {"message": "hi there"})
        assert not result.isError and "hi there" in result.content[0].text
        result = await session.call_tool("get-sum", {"a": 2, "b": 3})
        assert "5" in result.content[0].text
        result = await session.call_tool("get-tiny-image", {})
        images = [c for c in result.content if c.type == "image"]
        assert images and images[0].mimeType == "image/png" and images[0].data

        resources = await session.list_resources()
        assert resources
        read = await session.read_resource(resources[0].uri)
        assert read.contents and read.contents[0].uri == resources[0].uri

        prompts = {p.name: p for p in await session.list_prompts()}
        assert "simple-prompt" in prompts
        prompt = await session.get_prompt("simple-prompt")
        assert prompt.messages and prompt.messages[0].role == "user"


@pytest.fixture(params=["stdio", "http"])
def sdk_server(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "stdio":
        return {"command": sys.executable, "args": [str(SDK_SERVER), "stdio"]}
    return {"url": request.getfixturevalue("sdk_http")}


@pytest.fixture(scope="module")
def sdk_http(module_server_process: Any) -> str:
    server = start_http(
        module_server_process, [sys.executable, str(SDK_SERVER), "http", "{port}"], name="sdk-http"
    )
    return server.url("/mcp")


@pytest.mark.parametrize(("mode", "era"), [("auto", "modern"), ("legacy", "legacy")])
async def test_official_sdk_server(sdk_server: dict[str, Any], mode: str, era: str) -> None:
    async with MCPClient({"mcpServers": {"sdk": sdk_server}}, mode=mode, timeout=30) as client:
        session = client.get_session("sdk")
        assert session.era == era, session
        assert session.server_info is not None and session.server_info.name == "sdk-server"
        assert {t.name for t in await session.list_tools()} == {"add", "echo"}
        result = await session.call_tool("add", {"a": 20, "b": 22})
        assert result.content[0].text == "42" and not result.isError
        assert result.structuredContent == {"result": 42}
        read = await session.read_resource("note://hello")
        assert read.contents[0].text == "hello from the sdk"
        prompt = await session.get_prompt("ask", {"topic": "MCP"})
        assert prompt.messages[0].content.text == "Tell me about MCP"
        bad = await session.call_tool("add", {"a": "x"})
        assert bad.isError
