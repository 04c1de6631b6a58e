"""The legacy HTTP+SSE transport, driven by the official SDK's `sse_client`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from mcp import types
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client

from tests.helpers import ServerProcess, build_env, free_port, python_cmd


@pytest.fixture(scope="module")
def sse_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    with ServerProcess(
        python_cmd("tests/server/servers/sse_server.py", port),
        port=port,
        env=build_env({"PYTHONPATH": "src"}),
        log_dir=tmp_path_factory.mktemp("sse"),
    ) as srv:
        yield srv.url("/sse")


async def _sampling(context, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:  # type: ignore[no-untyped-def]
    question = params.messages[0].content.text  # type: ignore[union-attr]
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text=f"answer to {question}"),
        model="test-model",
        stop_reason="endTurn",
    )


async def test_sdk_sse_client_lists_calls_and_reads(sse_url: str) -> None:
    async with sse_client(sse_url) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "sse-server"
        tools = await session.list_tools()
        assert {t.name for t in tools.tools} == {"add", "ask_model"}
        result = await session.call_tool("add", {"a": 2, "b": 40})
        assert not result.is_error
        assert result.structured_content == {"result": 42}
        assert result.content[0].text == "42"  # type: ignore[union-attr]
        contents = await session.read_resource("memo://hello")
        assert contents.contents[0].text == "hello over sse"  # type: ignore[union-attr]


async def test_sdk_sse_client_answers_sampling(sse_url: str) -> None:
    async with (
        sse_client(sse_url) as (read, write),
        ClientSession(read, write, sampling_callback=_sampling) as session,
    ):
        await session.initialize()
        result = await session.call_tool("ask_model", {"question": "2+2?"})
        assert not result.is_error, result
        assert result.content[0].text == "model said: answer to 2+2?"  # type: ignore[union-attr]


async def test_unknown_session_id_is_refused(sse_url: str) -> None:
    import httpx

    base = sse_url.rsplit("/", 1)[0]
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/messages/?session_id=nope", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
        )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == -32600


async def test_foreign_host_and_origin_get_the_same_statuses_as_streamable_http(sse_url: str) -> None:
    """A host refusal is framed once: 421 for a foreign Host, 403 for a foreign Origin,
    with a JSON-RPC error body saying why, on the legacy SSE endpoints too."""
    import httpx

    base = sse_url.rsplit("/", 1)[0]
    async with httpx.AsyncClient() as client:
        bad_host = await client.get(sse_url, headers={"host": "evil.example"})
        bad_origin = await client.post(
            f"{base}/messages/?session_id=x",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"origin": "http://evil.example"},
        )
    assert bad_host.status_code == 421
    assert "Invalid Host header" in bad_host.json()["error"]["message"]
    assert bad_origin.status_code == 403
    assert "Invalid Origin header" in bad_origin.json()["error"]["message"]


async def test_a_2026_request_on_the_legacy_sse_transport_is_refused(sse_url: str) -> None:
    """The one inbound-era rule runs here too: `_meta` naming 2026-07-28 (or `server/discover`)
    gets an unsupported-version error on the stream, not a legacy answer."""
    import httpx

    base = sse_url.rsplit("/", 1)[0]
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    async with httpx.AsyncClient(timeout=10) as client, client.stream("GET", sse_url) as stream:
        lines = stream.aiter_lines()
        async for line in lines:
            if line.startswith("data:"):
                endpoint = line[5:].strip()
                break
        for request_id, params in ((1, {"_meta": meta}), (2, None)):
            message: dict = {"jsonrpc": "2.0", "id": request_id, "method": "server/discover"}
            if params is not None:
                message["params"] = params
            accepted = await client.post(f"{base}{endpoint}", json=message)
            assert accepted.status_code == 202
        answers = []
        async for line in lines:
            if line.startswith("data:"):
                answers.append(json.loads(line[5:]))
                if len(answers) == 2:
                    break
    assert sorted(a["id"] for a in answers) == [1, 2]
    for answer in answers:
        assert answer["error"]["code"] == -32022
        assert "2025-11-25" in answer["error"]["data"]["supported"]
