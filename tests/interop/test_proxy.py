"""`mcp-use proxy` in front of real servers, driven by the official SDK client
(`mcp==2.3.0`) over Streamable HTTP on both eras.

- In front of the stdio `@modelcontextprotocol/server-everything` (a child the proxy
  starts): tools, resources, prompts, progress, and an elicitation round trip from the
  target through the proxy to the SDK's callback (a server-to-client request on the
  legacy front, an input-required round on 2026-07-28).
- In front of server-everything over Streamable HTTP (`mcp-use proxy URL`).
- A stdio child that dies: the call in flight fails with an error naming the target, and
  the next call starts it again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client

from tests.helpers import NodeTools, ServerPool, ServerProcess, build_env, free_port, node_tools
from tests.helpers.proxy import start_proxy

MODES = {"legacy": "2025-11-25", "auto": "2026-07-28"}
TIMEOUT = 30.0


def everything_js(node: NodeTools) -> str:
    return str(node.package_dir("@modelcontextprotocol/server-everything") / "dist" / "index.js")


@pytest.fixture(scope="module")
def node() -> NodeTools:
    return node_tools()


@pytest.fixture(scope="module")
def stdio_proxy(module_server_process: ServerPool, node: NodeTools) -> Iterator[ServerProcess]:
    """`mcp-use proxy --port P -- node server-everything stdio`."""
    yield start_proxy(
        module_server_process, ["--", str(node.node), everything_js(node), "stdio"], "proxy-stdio"
    )


@pytest.fixture(scope="module")
def http_proxy(
    module_server_process: ServerPool, node: NodeTools, tmp_path_factory: Any
) -> Iterator[ServerProcess]:
    """server-everything on Streamable HTTP, and `mcp-use proxy CONFIG everything` in front."""
    port = free_port()
    module_server_process(
        [str(node.node), everything_js(node), "streamableHttp"],
        port=port,
        env=build_env({"PORT": str(port)}),
        name="everything-http",
    )
    config = tmp_path_factory.mktemp("proxy") / "config.json"
    entry = {"url": f"http://127.0.0.1:{port}/mcp"}
    config.write_text(json.dumps({"mcpServers": {"other": {"command": "false"}, "everything": entry}}))
    yield start_proxy(module_server_process, [str(config), "everything"], "proxy-http")


@asynccontextmanager
async def connect(url: str, mode: str, **kwargs: Any) -> AsyncIterator[Client]:
    with anyio.fail_after(TIMEOUT * 2):
        async with Client(url, mode=mode, read_timeout_seconds=TIMEOUT, **kwargs) as client:
            assert client.protocol_version == MODES[mode]
            yield client


async def accept(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
    assert "Please provide inputs" in params.message
    return types.ElicitResult(action="accept", content={"name": "Ada", "check": True, "integer": 7})


async def drive(url: str, mode: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with connect(url, mode, elicitation_callback=accept) as client:
        assert client.server_info is not None and client.server_info.name == "mcp-use-proxy"
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"echo", "get-sum", "trigger-long-running-operation", "trigger-elicitation-request"} <= tools
        echoed = await client.call_tool("echo", {"message": "through the proxy"})
        assert echoed.is_error is False and "through the proxy" in echoed.content[0].text
        summed = await client.call_tool("get-sum", {"a": 2, "b": 40})
        assert "42" in summed.content[0].text

        long = await client.call_tool(
            "trigger-long-running-operation", {"duration": 0.3, "steps": 3}, progress_callback=on_progress
        )
        assert "Long running operation completed" in long.content[0].text
        assert [p[0] for p in progress] == [1, 2, 3] and progress[-1][1] == 3

        elicited = await client.call_tool("trigger-elicitation-request", {})
        text = " ".join(c.text for c in elicited.content if isinstance(c, types.TextContent))
        assert elicited.is_error is False and "Ada" in text and "accept" in text

        resources = (await client.list_resources()).resources
        assert resources
        read = await client.read_resource(str(resources[0].uri))
        assert str(read.contents[0].uri) == str(resources[0].uri)
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert "simple-prompt" in prompts
        prompt = await client.get_prompt("simple-prompt")
        assert prompt.messages and prompt.messages[0].role == "user"


@pytest.mark.parametrize("mode", list(MODES))
async def test_proxy_in_front_of_stdio_everything(stdio_proxy: ServerProcess, mode: str) -> None:
    await drive(stdio_proxy.url("/mcp"), mode)


@pytest.mark.parametrize("mode", list(MODES))
async def test_proxy_in_front_of_http_everything(http_proxy: ServerProcess, mode: str) -> None:
    await drive(http_proxy.url("/mcp"), mode)
