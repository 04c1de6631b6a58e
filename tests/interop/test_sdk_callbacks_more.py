"""The official SDK client (``mcp==2.3.0``) answers our server's requests for input.

``ctx.list_roots()``, ``ctx.elicit(message, Model)`` (accept / decline / cancel),
``ctx.elicit_url(...)``, two inputs awaited together with ``asyncio.gather`` and a
request for a capability the client did not declare, over stdio and Streamable
HTTP, on both eras: ``mode="legacy"`` (initialize, 2025-11-25: server-to-client
requests) and ``mode="auto"`` (2026-07-28: input-required round trips).
The server is a real process: tests/interop/servers/callbacks_server.py.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
from mcp import Client, MCPError, StdioServerParameters

from mcp_use.protocol.errors import MISSING_REQUIRED_CLIENT_CAPABILITY
from tests.helpers import ServerPool, ServerProcess

from .conftest import SERVERS, server_env, start_http_server

CALLBACKS_SERVER = SERVERS / "callbacks_server.py"
LEGACY = "2025-11-25"
MODERN = "2026-07-28"
MODES = {"legacy": LEGACY, "auto": MODERN}
CALL_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def callbacks_http(module_server_process: ServerPool) -> Iterator[ServerProcess]:
    server = start_http_server(module_server_process, CALLBACKS_SERVER)
    yield server
    assert server.is_running(), f"the callbacks server died during the tests:\n{server.describe()}"


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def target(transport: str, request: pytest.FixtureRequest) -> StdioServerParameters | str:
    if transport == "stdio":
        return StdioServerParameters(command=sys.executable, args=[str(CALLBACKS_SERVER)], env=server_env())
    server: ServerProcess = request.getfixturevalue("callbacks_http")
    return server.url("/mcp")


@asynccontextmanager
async def connect(target: StdioServerParameters | str, mode: str, **kwargs: Any) -> AsyncIterator[Client]:
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(target, mode=mode, read_timeout_seconds=CALL_TIMEOUT, **kwargs) as client:
            assert client.protocol_version == MODES[mode]
            yield client


def text_of(result: types.CallToolResult) -> str:
    assert result.is_error is False, result
    [content] = result.content
    assert isinstance(content, types.TextContent), content
    return content.text


async def test_list_roots_callback(target: StdioServerParameters | str, mode: str) -> None:
    calls = 0

    async def list_roots(context: object) -> types.ListRootsResult:
        nonlocal calls
        calls += 1
        return types.ListRootsResult(
            roots=[
                types.Root(uri="file:///home/ada/project", name="project"),
                types.Root(uri="file:///tmp/scratch"),
            ]
        )

    async with connect(target, mode, list_roots_callback=list_roots) as client:
        result = await client.call_tool("roots", {})
        assert json.loads(text_of(result)) == [
            {"uri": "file:///home/ada/project", "name": "project"},
            {"uri": "file:///tmp/scratch", "name": None},
        ]
    assert calls == 1


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            types.ElicitResult(action="accept", content={"name": "Ada", "age": 36, "subscribe": True}),
            {"action": "accept", "type": "Contact", "fields": {"name": "Ada", "age": 36, "subscribe": True}},
        ),
        (types.ElicitResult(action="decline"), {"action": "decline", "type": "NoneType", "fields": None}),
        (types.ElicitResult(action="cancel"), {"action": "cancel", "type": "NoneType", "fields": None}),
    ],
    ids=["accept", "decline", "cancel"],
)
async def test_elicit_pydantic_model(
    target: StdioServerParameters | str, mode: str, answer: types.ElicitResult, expected: dict[str, Any]
) -> None:
    asked: list[types.ElicitRequestParams] = []

    async def elicitation(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params)
        return answer

    async with connect(target, mode, elicitation_callback=elicitation) as client:
        result = await client.call_tool("contact", {})
        assert json.loads(text_of(result)) == expected

    [params] = asked
    assert isinstance(params, types.ElicitRequestFormParams), params
    assert params.message == "Who should we contact?"
    schema = params.requested_schema
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"name", "age", "subscribe"}
    assert schema["properties"]["age"]["type"] == "integer"
    assert schema["properties"]["subscribe"]["type"] == "boolean"
    assert sorted(schema["required"]) == ["age", "name"]


async def test_elicit_url_mode(target: StdioServerParameters | str, mode: str) -> None:
    """The SDK declares ``elicitation: {form, url}`` whenever an elicitation callback is set."""
    asked: list[types.ElicitRequestParams] = []

    async def elicitation(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params)
        return types.ElicitResult(action="accept")

    async with connect(target, mode, elicitation_callback=elicitation) as client:
        result = await client.call_tool("login", {})
        assert json.loads(text_of(result)) == {"action": "accept", "content": None}

    [params] = asked
    assert isinstance(params, types.ElicitRequestURLParams), params
    assert params.mode == "url"
    assert params.message == "Please sign in"
    assert params.url == "https://example.com/login?state=abc"
    if mode == "legacy":
        # The legacy era needs an id to pair notifications/elicitation/complete with.
        assert params.elicitation_id
    else:
        assert params.elicitation_id is None  # removed at 2026-07-28


async def test_gather_elicit_and_sample(target: StdioServerParameters | str, mode: str) -> None:
    seen: list[str] = []

    async def elicitation(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append(f"elicit:{params.message}")
        return types.ElicitResult(action="accept", content={"colour": "green"})

    async def sampling(
        context: object, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        message = params.messages[0].content
        assert isinstance(message, types.TextContent)
        seen.append(f"sample:{message.text}")
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="kiwi"), model="test-model"
        )

    # input_required_max_rounds=1: on 2026-07-28 both inputs must be asked in a single round.
    async with connect(
        target,
        mode,
        elicitation_callback=elicitation,
        sampling_callback=sampling,
        input_required_max_rounds=1,
    ) as client:
        if mode == "auto":
            first = await client.session.call_tool("both", {}, allow_input_required=True)
            assert isinstance(first, types.InputRequiredResult), first
            requests = first.input_requests or {}
            assert set(requests) == {"a", "b"}, requests
            assert isinstance(requests["a"], types.ElicitRequest)
            assert isinstance(requests["b"], types.CreateMessageRequest)
        result = await client.call_tool("both", {})
        assert text_of(result) == "green+kiwi"
    assert sorted(seen) == ["elicit:Pick a colour", "sample:Name a fruit"]


async def test_missing_sampling_capability(target: StdioServerParameters | str, mode: str) -> None:
    """No sampling callback: the SDK does not declare sampling; the server refuses with -32021."""
    async with connect(target, mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("needs_sampling", {})
        error = caught.value
        assert error.code == MISSING_REQUIRED_CLIENT_CAPABILITY == -32021
        assert error.data == {"requiredCapabilities": {"sampling": {}}}
        assert "sampling" in error.message
        # The connection is still usable afterwards.
        with pytest.raises(MCPError) as again:
            await client.call_tool("needs_sampling", {})
        assert again.value.code == -32021


def test_missing_capability_on_the_wire(callbacks_http: ServerProcess) -> None:
    """What the SDK saw above, as raw HTTP: a JSON-RPC error on legacy, HTTP 400 on 2026-07-28."""
    url = callbacks_http.url("/mcp")
    accept = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    with httpx.Client(timeout=CALL_TIMEOUT) as http:
        init = http.post(
            url,
            headers=accept,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY,
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"},
                },
            },
        )
        assert init.status_code == 200, init.text
        session = {**accept, "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
        note = http.post(url, headers=session, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert note.status_code == 202, note.text
        legacy = http.post(
            url,
            headers=session,
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "needs_sampling"}},
        )
        assert legacy.status_code == 200, legacy.text
        [error] = [m["error"] for m in _messages(legacy) if m.get("id") == 2]
        assert error["code"] == -32021
        assert error["data"] == {"requiredCapabilities": {"sampling": {}}}

        modern = http.post(
            url,
            headers={
                **accept,
                "mcp-protocol-version": MODERN,
                "mcp-method": "tools/call",
                "mcp-name": "needs_sampling",
            },
            json={
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {
                    "name": "needs_sampling",
                    "arguments": {},
                    "_meta": {
                        "io.modelcontextprotocol/protocolVersion": MODERN,
                        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
                    },
                },
            },
        )
        assert modern.status_code == 400, modern.text
        body = modern.json()
        assert body["id"] == 3
        assert body["error"]["code"] == -32021
        assert body["error"]["data"] == {"requiredCapabilities": {"sampling": {}}}


def _messages(response: httpx.Response) -> list[dict[str, Any]]:
    if "event-stream" not in response.headers.get("content-type", ""):
        return [response.json()]
    out = []
    for event in response.text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in event.split("\n") if line.startswith("data:")]
        if data:
            out.append(json.loads("\n".join(data)))
    return out
