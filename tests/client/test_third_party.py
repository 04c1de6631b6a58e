"""Our client against servers nobody here wrote, and against servers that misbehave.

What these servers showed (issue 19): logs that never came on 2026-07-28 unless the
user also set a level, `mode="auto"` waiting twice its timeout on a silent server,
errors that named neither the method nor the tool, requests for capabilities the
server never advertised, and a refused connection reported as a lost one.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mcp_use import MCPClient
from mcp_use.client import (
    CapabilityNotAdvertised,
    ClientError,
    ConnectError,
    ConnectionRefused,
    ConnectTimedOut,
    RequestTimedOut,
    ServerDisconnected,
    ServerError,
)
from tests.helpers import NodeTools, free_port

from .conftest import SERVERS, start_http, stdio_entry

FASTMCP = SERVERS / "fastmcp_server.py"
RAW = SERVERS / "raw_server.py"
SDK = SERVERS / "sdk_server.py"
ERAS = {"auto": "2026-07-28", "legacy": "2025-11-25"}
MARGIN = 1.5  # what "fails within the timeout" may take beyond it on a loaded 2-core machine


@pytest.fixture(scope="module")
def fastmcp_http(module_server_process: Any) -> str:
    server = start_http(
        module_server_process, [sys.executable, str(FASTMCP), "http", "{port}"], name="fastmcp-http"
    )
    return server.url("/mcp")


@pytest.fixture(params=["stdio", "http"])
def fastmcp(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "stdio":
        return {"command": sys.executable, "args": [str(FASTMCP), "stdio"]}
    return {"url": request.getfixturevalue("fastmcp_http")}


def log_lines(logs: list[Any]) -> list[tuple[str, str]]:
    return [(m.level, m.data["msg"] if isinstance(m.data, dict) else m.data) for m in logs]


# ---- FastMCP 4.1.6, both eras: logs with only a callback --------------------------------------
@pytest.mark.parametrize("mode", list(ERAS))
async def test_fastmcp_logs_arrive_with_only_a_callback(fastmcp: dict[str, Any], mode: str) -> None:
    logs: list[Any] = []
    async with MCPClient({"mcpServers": {"fm": fastmcp}}, mode=mode, logging_callback=logs.append) as client:
        session = client.get_session("fm")
        assert session.protocol_version == ERAS[mode]
        result = await session.call_tool("chatty", {"topic": "tea"})
        assert result.content[0].text == "talked about tea"
        # The default level is info: the debug line is not sent.
        assert log_lines(logs) == [("info", "info about tea"), ("warning", "warning about tea")]

        logs.clear()
        await session.set_logging_level("warning")
        await session.call_tool("chatty", {"topic": "coffee"})
        assert log_lines(logs) == [("warning", "warning about coffee")]


@pytest.mark.parametrize("mode", list(ERAS))
async def test_fastmcp_log_level_is_settable_up_front(fastmcp: dict[str, Any], mode: str) -> None:
    logs: list[Any] = []
    client = MCPClient(
        {"mcpServers": {"fm": fastmcp}}, mode=mode, logging_callback=logs.append, log_level="debug"
    )
    async with client:
        await client.get_session("fm").call_tool("chatty", {"topic": "tea"})
    assert [level for level, _ in log_lines(logs)] == ["debug", "info", "warning"]


@pytest.mark.parametrize("mode", list(ERAS))
async def test_fastmcp_errors_name_server_method_and_subject(fastmcp: dict[str, Any], mode: str) -> None:
    async with MCPClient({"mcpServers": {"fm": fastmcp}}, mode=mode) as client:
        session = client.get_session("fm")
        assert (await session.call_tool("add", {"a": 2, "b": 3})).structuredContent == {"result": 5}
        unknown = await session.call_tool("no_such_tool", {})  # FastMCP answers with a tool error
        assert unknown.isError and "no_such_tool" in unknown.content[0].text
        with pytest.raises(ServerError) as prompt:
            await session.get_prompt("no_such_prompt")
        assert str(prompt.value) == "[fm] prompts/get 'no_such_prompt': Unknown prompt: 'no_such_prompt'"
        with pytest.raises(ServerError) as resource:
            await session.read_resource("memo://none")
        assert str(resource.value).startswith("[fm] resources/read 'memo://none': ")
        assert resource.value.method == "resources/read" and resource.value.tool is None


@pytest.mark.parametrize("mode", list(ERAS))
async def test_tool_errors_and_timeouts_name_the_tool(tmp_path: Path, mode: str) -> None:
    entry = {"command": sys.executable, "args": [str(RAW), "--record", str(tmp_path / "m.txt")]}
    async with MCPClient({"mcpServers": {"raw": entry}}, mode=mode) as client:
        session = client.get_session("raw")
        with pytest.raises(ServerError) as info:
            await session.call_tool("no_such_tool", {})
        assert str(info.value) == "[raw] tools/call 'no_such_tool': Unknown tool"
        assert (info.value.method, info.value.tool, info.value.code) == ("tools/call", "no_such_tool", -32602)
    async with MCPClient({"mcpServers": {"ours": stdio_entry()}}, mode=mode) as client:
        with pytest.raises(RequestTimedOut) as late:
            await client.get_session("ours").call_tool("sleep", {"seconds": 5}, timeout=0.3)
    assert str(late.value) == "[ours] tools/call 'sleep' timed out after 0.3s with no answer"


# ---- the official SDK server: no logging capability, so no logging/setLevel -----------------
@pytest.mark.parametrize("mode", list(ERAS))
async def test_sdk_server_with_a_logging_callback(mode: str) -> None:
    logs: list[Any] = []
    entry = {"command": sys.executable, "args": [str(SDK)]}
    async with MCPClient({"mcpServers": {"sdk": entry}}, mode=mode, logging_callback=logs.append) as client:
        session = client.get_session("sdk")
        assert session.protocol_version == ERAS[mode]
        assert session.server_capabilities.logging is None
        assert (await session.call_tool("echo", {"text": "hi"})).content[0].text == "hi"
        assert [r.uri for r in await session.list_resources()] == ["note://hello"]
    assert logs == []


# ---- what a server does not advertise is not asked for ------------------------------------------
@pytest.mark.parametrize("mode", list(ERAS))
@pytest.mark.parametrize("advertises_logging", [False, True])
async def test_only_advertised_capabilities_are_requested(
    tmp_path: Path, mode: str, advertises_logging: bool
) -> None:
    record = tmp_path / "methods.txt"
    args = [str(RAW), "--record", str(record), *(["--logging"] if advertises_logging else [])]
    entry = {"command": sys.executable, "args": args}
    client = MCPClient({"mcpServers": {"raw": entry}}, mode=mode, logging_callback=lambda m: None)
    async with client:
        session = client.get_session("raw")
        assert (await session.call_tool("hello", {})).content[0].text == "hello"
        for ask in (session.list_resources, session.list_prompts):
            with pytest.raises(CapabilityNotAdvertised) as info:
                await ask()
            assert "[raw]" in str(info.value) and "does not advertise" in str(info.value)
        with pytest.raises(ClientError, match=r"\[raw\] resources/subscribe: .*does not advertise"):
            await session.subscribe("note://x")
        with pytest.raises(ClientError, match=r"\[raw\] completion/complete: .*does not advertise"):
            await session.complete({"type": "ref/prompt", "name": "p"}, ("a", "b"))
        if advertises_logging:
            await session.set_logging_level("debug")
        else:
            with pytest.raises(ClientError) as info:
                await session.set_logging_level("debug")
            assert str(info.value) == (
                "[raw] logging/setLevel: the server does not advertise the logging capability"
            )
    methods = record.read_text().split()
    probe = ["server/discover"] if mode == "auto" else []
    set_level = ["logging/setLevel"] if advertises_logging else []
    assert methods == [
        *probe,
        "initialize",
        "notifications/initialized",
        *set_level,
        "tools/call",
        *set_level,
    ]


async def test_filesystem_server_resources_not_asked(node: NodeTools, tmp_path: Path) -> None:
    script = node.package_dir("@modelcontextprotocol/server-filesystem") / "dist" / "index.js"
    entry = {"command": str(node.node), "args": [str(script), str(tmp_path)]}
    (tmp_path / "a.txt").write_text("alpha")
    async with MCPClient({"mcpServers": {"fs": entry}}, logging_callback=lambda m: None) as client:
        session = client.get_session("fs")
        read = await session.call_tool("read_text_file", {"path": str(tmp_path / "a.txt")})
        assert read.content[0].text == "alpha"
        with pytest.raises(ClientError) as info:
            await session.list_resources()
    assert str(info.value) == "[fs] resources/list: the server does not advertise the resources capability"


async def test_memory_server_both_eras_fall_back_and_answer(node: NodeTools, tmp_path: Path) -> None:
    script = node.package_dir("@modelcontextprotocol/server-memory") / "dist" / "index.js"
    entry = {
        "command": str(node.node),
        "args": [str(script)],
        "env": {"MEMORY_FILE_PATH": str(tmp_path / "m.jsonl")},
    }
    async with MCPClient({"mcpServers": {"memory": entry}}, logging_callback=lambda m: None) as client:
        session = client.get_session("memory")
        assert session.protocol_version == "2025-11-25"  # a handshake-era server: auto fell back
        ada = {"name": "Ada", "entityType": "person", "observations": ["first program"]}
        created = await session.call_tool("create_entities", {"entities": [ada]})
        assert created.structuredContent == {"entities": [ada]}
        graph = await session.call_tool("read_graph", {})
        assert graph.structuredContent == {"entities": [ada], "relations": []}
        # Advertised: asked, and answered.
        assert [r.uri for r in await session.list_resources()] == ["memory://knowledge-graph"]
        with pytest.raises(ClientError, match=r"\[memory\] prompts/list: .*does not advertise"):
            await session.list_prompts()


# ---- silent servers: one deadline per connect attempt -------------------------------------
async def silent_tcp() -> AsyncIterator[int]:
    """A TCP server that accepts, reads everything and never writes a byte."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    async for port in silent_tcp():
        yield port


async def connect_failure(entry: dict[str, Any], timeout: float) -> tuple[BaseException, float]:
    client = MCPClient({"mcpServers": {"mute": {**entry, "timeout": timeout}}})
    started = time.monotonic()
    try:
        with pytest.raises(ConnectError) as info:
            await client.create_session("mute")
        return info.value, time.monotonic() - started
    finally:
        await client.close_all_sessions()  # the HTTP pool


def assert_says_what_was_tried(error: BaseException, timeout: float) -> None:
    text = str(error)
    assert text.startswith(f"[mute] no answer within {timeout:g}s"), text
    assert "server/discover (2026-07-28)" in text and "initialize (2025-11-25)" in text, text
    assert isinstance(error, ConnectTimedOut) and isinstance(error, RequestTimedOut)
    assert error.timeout == timeout


async def test_silent_tcp_server_fails_within_the_timeout(silent_port: int) -> None:
    error, elapsed = await connect_failure({"url": f"http://127.0.0.1:{silent_port}/mcp"}, 3.0)
    assert_says_what_was_tried(error, 3.0)
    assert 3.0 - 0.2 < elapsed < 3.0 + MARGIN, elapsed


async def test_silent_stdio_server_fails_within_the_timeout() -> None:
    error, elapsed = await connect_failure({"command": sys.executable, "args": [str(RAW), "--silent"]}, 3.0)
    assert_says_what_was_tried(error, 3.0)
    assert 3.0 - 0.2 < elapsed < 3.0 + MARGIN, elapsed


async def test_silent_server_in_legacy_mode_says_initialize() -> None:
    client = MCPClient(
        {"mcpServers": {"mute": {"command": sys.executable, "args": [str(RAW), "--silent"], "timeout": 1.0}}},
        mode="legacy",
    )
    started = time.monotonic()
    with pytest.raises(RequestTimedOut, match=r"\[mute\] initialize timed out after 1s"):
        await client.create_session("mute")
    assert time.monotonic() - started < 1.0 + MARGIN


@pytest.mark.parametrize("mode", list(ERAS))
async def test_refused_connection_is_reported_as_refused(mode: str) -> None:
    port = free_port()  # nothing listens there
    client = MCPClient({"mcpServers": {"gone": {"url": f"http://127.0.0.1:{port}/mcp"}}}, mode=mode)
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        await client.create_session("gone")
    assert time.monotonic() - started < 1.0
    await client.close_all_sessions()
    text = str(info.value)
    assert text.startswith("[gone] connection refused"), text
    assert f"127.0.0.1:{port}" in text and "lost" not in text
    # Refused, so never connected; and, for code that handles dead servers, a disconnection.
    assert isinstance(info.value, ConnectionRefused) and isinstance(info.value, ServerDisconnected)
