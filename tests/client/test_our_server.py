"""Our client against our own server: stdio, Streamable HTTP and in memory
(`MCPClient(server)`, the same server object in this process), both eras, every call kind."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from mcp_use import MCPClient
from mcp_use.client import ServerError
from mcp_use.client.callbacks import CreateMessageRequestParams, ElicitRequestParams

from .conftest import CLIENT_SERVER, ENV, stdio_entry

ERAS = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@pytest.fixture(params=["stdio", "http", "memory"])
def entry(request: pytest.FixtureRequest) -> Any:
    if request.param == "stdio":
        return stdio_entry()
    if request.param == "memory":
        return in_memory_server()
    return {"url": request.getfixturevalue("our_http")}


def in_memory_server() -> Any:
    """client_server.py's `server` object, imported into this process (once)."""
    import importlib.util

    module = sys.modules.get("client_server_in_memory")
    if module is None:
        spec = importlib.util.spec_from_file_location("client_server_in_memory", CLIENT_SERVER)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["client_server_in_memory"] = module
        spec.loader.exec_module(module)
    return module.server


@pytest.mark.parametrize("mode", list(ERAS))
async def test_every_call(entry: dict[str, Any], mode: str) -> None:
    seen: dict[str, Any] = {"logs": [], "progress": []}

    async def elicit(params: ElicitRequestParams) -> dict[str, Any]:
        seen["elicit"] = params.message
        return {"action": "accept", "content": {"name": "Ada"}}

    def sample(context: Any, params: CreateMessageRequestParams) -> str:  # SDK-style (context, params)
        seen["sample"] = params.messages[0].content.text
        return "hi!"

    client = MCPClient(
        {"mcpServers": {"ours": entry}},
        mode=mode,
        elicitation_callback=elicit,
        sampling_callback=sample,
        roots=["file:///work"],
        logging_callback=lambda m: seen["logs"].append((m.level, m.data)),
        timeout=20,
    )
    async with client:
        session = client.get_session("ours")
        assert session.protocol_version == ERAS[mode]
        assert session.server_info is not None and session.server_info.name == "client-test-server"

        tools = await session.list_tools()  # three pages of two: pagination is followed
        assert {"echo", "add", "sleep", "pid", "ask", "chatty", "resumable"} <= {t.name for t in tools}
        assert next(t for t in tools if t.name == "add").inputSchema["required"] == ["a", "b"]

        result = await session.call_tool("add", {"a": 2, "b": 40})
        assert (result.content[0].text, result.structuredContent, result.isError) == (
            "42",
            {"result": 42},
            False,
        )

        result = await session.call_tool("ask", {})
        assert result.content[0].text == "Ada|hi!|file:///work"
        assert seen["elicit"] == "Name?" and seen["sample"] == "Say hi"

        await session.set_logging_level("debug")
        result = await session.call_tool(
            "chatty", {}, progress_callback=lambda p, t, m: seen["progress"].append((p, t, m))
        )
        assert result.content[0].text == "chatted"
        assert seen["progress"] == [(1, 2, "half"), (2, 2, "done")]
        assert ("warning", "careful") in seen["logs"]

        resources = await session.list_resources()
        assert [r.uri for r in resources] == ["memo://one", "memo://two", "memo://three"]
        read = await session.read_resource("memo://two")
        assert read.contents[0].text == "second memo"
        prompt = await session.get_prompt("greet", {"name": "Bo"})
        assert prompt.messages[0].content.text == "Hello Bo"
        assert [p.name for p in await session.list_prompts()] == ["greet"]
        await session.ping()
        completion = await session.complete({"type": "ref/prompt", "name": "greet"}, ("name", "al"))
        assert completion.completion.values == ["alpha", "alps"]
        result = await session.call_tool("resumable", {}, progress_callback=lambda *a: None)
        assert result.content[0].text == "resumed"

        with pytest.raises(ServerError) as info:
            await session.call_tool("no_such_tool", {})
        assert info.value.server == "ours" and "no_such_tool" in str(info.value)

        # Concurrent calls share one connection and come back matched.
        results = await asyncio.gather(*(session.call_tool("echo", {"text": str(i)}) for i in range(20)))
        assert [r.content[0].text for r in results] == [str(i) for i in range(20)]
    assert client.get_all_active_sessions() == {}


async def test_sse_transport(server_process: Any) -> None:
    """The legacy HTTP+SSE transport, chosen in the config and found by fallback."""
    from .conftest import start_http

    server = start_http(
        server_process,
        [sys.executable, str(CLIENT_SERVER), "--transport", "sse", "--port", "{port}"],
        path="/sse",
        name="client-server-sse",
    )
    url = server.url("/sse")
    for entry in ({"url": url, "transport": "sse"}, {"url": url}):
        async with MCPClient({"mcpServers": {"s": entry}}) as client:
            session = client.get_session("s")
            assert session.era == "legacy"
            assert type(session.transport).__name__ == "SSEClientTransport"
            result = await session.call_tool("echo", {"text": "over sse"})
            assert result.content[0].text == "over sse"


async def test_two_servers_and_session_management(our_http: str) -> None:
    client = MCPClient.from_dict({"mcpServers": {"a": stdio_entry(), "b": {"url": our_http}}})
    sessions = await client.create_all_sessions()
    try:
        assert set(sessions) == {"a", "b"} and set(client.get_all_active_sessions()) == {"a", "b"}
        assert await client.create_session("a") is sessions["a"]  # idempotent
        await client.close_session("a")
        assert set(client.get_all_active_sessions()) == {"b"}
        with pytest.raises(KeyError):
            client.get_session("a")
        again = await client.create_session("a")
        assert (await again.call_tool("echo", {"text": "x"})).content[0].text == "x"
    finally:
        await client.close_all_sessions()
    assert client.sessions == {}


def test_env_is_not_leaked(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp_use.client.config import parse

    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    server = parse({"mcpServers": {"s": {"command": "x", "env": {"A": "1", **ENV}}}})["s"]
    env = server.full_env()  # type: ignore[attr-defined]
    assert env["A"] == "1" and "PATH" in env and "SECRET_TOKEN" not in env


@pytest.mark.parametrize("mode", list(ERAS))
async def test_notifications(entry: dict[str, Any], mode: str) -> None:
    """list_changed and resources/updated reach the callbacks (legacy: pushed; modern: listen)."""
    changed: asyncio.Queue[str] = asyncio.Queue()
    updated: asyncio.Queue[str] = asyncio.Queue()
    messages: list[str] = []
    client = MCPClient(
        {"mcpServers": {"ours": entry}},
        mode=mode,
        list_changed_callback=changed.put_nowait,
        resource_updated_callback=updated.put_nowait,
        message_handler=lambda m: messages.append(m["method"]),
    )
    async with client:
        session = client.get_session("ours")
        await session.subscribe("memo://one")
        await asyncio.sleep(0.2)  # let the modern listen stream settle
        await session.call_tool("grow", {"name": f"grown_{mode}"})
        assert await asyncio.wait_for(changed.get(), 5) == "tools"
        assert f"grown_{mode}" in {t.name for t in await session.list_tools()}
        await session.call_tool("touch", {"uri": "memo://one"})
        assert await asyncio.wait_for(updated.get(), 5) == "memo://one"
        assert "notifications/tools/list_changed" in messages
