"""Routing a target's requests to the front call they belong to, with several calls in
flight through `mcp-use proxy`, driven by the official SDK client (`mcp==2.3.0`).

Two front clients each call an eliciting tool of an HTTP target (our own server) at
once; the first one's question comes while the second call is in flight too. Each
client must be asked its own call's question, on both front eras (a server-to-client
request on the call's stream; an input-required round of that call).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.subscriptions import ResourceUpdated, ToolsListChanged

from mcp_use import MCPClient
from tests.helpers import ServerPool, ServerProcess, free_port, node_tools
from tests.helpers.proxy import serve_http, start_proxy

HERE = Path(__file__).parent
MODES = {"legacy": "2025-11-25", "auto": "2026-07-28"}
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def proxy(module_server_process: ServerPool) -> Iterator[ServerProcess]:
    """Our server on Streamable HTTP, and `mcp-use proxy URL` in front of it."""
    port = free_port()
    target = [sys.executable, str(HERE / "servers" / "proxy_http_target.py"), str(port)]
    serve_http(module_server_process, target, port, "proxy-http-target")
    yield start_proxy(module_server_process, [f"http://127.0.0.1:{port}/mcp"], "proxy-routing")


def answering(who: str, asked: list[str]) -> Any:
    async def elicit(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"answer": who})

    return elicit


@pytest.mark.parametrize("mode", list(MODES))
async def test_two_eliciting_calls_each_get_their_own_answer(proxy: ServerProcess, mode: str) -> None:
    url = proxy.url("/mcp")
    asked: dict[str, list[str]] = {"A": [], "B": []}
    with anyio.fail_after(TIMEOUT * 2):
        async with (
            Client(
                url, mode=mode, read_timeout_seconds=TIMEOUT, elicitation_callback=answering("A", asked["A"])
            ) as a,
            Client(
                url, mode=mode, read_timeout_seconds=TIMEOUT, elicitation_callback=answering("B", asked["B"])
            ) as b,
        ):
            assert a.protocol_version == b.protocol_version == MODES[mode]
            # A's question comes after 0.8 s, B's after 1.6 s: when A's arrives, B's call
            # is the most recent one in flight.
            first = asyncio.ensure_future(a.call_tool("ask", {"question": "A's question?", "delay": 0.8}))
            await asyncio.sleep(0.3)
            second = asyncio.ensure_future(b.call_tool("ask", {"question": "B's question?", "delay": 1.6}))
            ra, rb = await asyncio.gather(first, second)
    assert ra.is_error is False and ra.content[0].text == "A's question? -> A"
    assert rb.is_error is False and rb.content[0].text == "B's question? -> B"
    assert asked == {"A": ["A's question?"], "B": ["B's question?"]}


@pytest.mark.parametrize("mode", list(MODES))
async def test_one_client_with_two_calls_in_flight(proxy: ServerProcess, mode: str) -> None:
    """One client, two overlapping calls: each question reaches it once, each call gets
    the answer to its own question."""
    asked: list[str] = []

    async def echo(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"answer": params.message.upper()})

    with anyio.fail_after(TIMEOUT * 2):
        async with Client(
            proxy.url("/mcp"), mode=mode, read_timeout_seconds=TIMEOUT, elicitation_callback=echo
        ) as c:
            results = await asyncio.gather(
                c.call_tool("ask", {"question": "one", "delay": 0.6}),
                c.call_tool("ask", {"question": "two", "delay": 0.2}),
            )
    assert [r.content[0].text for r in results] == ["one -> ONE", "two -> TWO"]
    assert sorted(asked) == ["one", "two"]


# ---- a stdio target on the handshake era: nothing on the wire says which call asks ----
@pytest.fixture(scope="module")
def stdio_proxy(module_server_process: ServerPool) -> Iterator[ServerProcess]:
    """`mcp-use proxy -- node server-everything stdio` (a legacy-only stdio target)."""
    node = node_tools()
    js = node.package_dir("@modelcontextprotocol/server-everything") / "dist" / "index.js"
    yield start_proxy(module_server_process, ["--", str(node.node), str(js), "stdio"], "proxy-routing-stdio")


def text(result: types.CallToolResult) -> str:
    return " ".join(c.text for c in result.content if isinstance(c, types.TextContent))


async def test_stdio_target_one_front_session_asks_on_its_channel(stdio_proxy: ServerProcess) -> None:
    """Two calls of one legacy front session: the second question (two calls in flight, no
    association) is asked on the session's own channel, and both calls finish."""
    asked: list[str] = []
    second_asked, first_asked = asyncio.Event(), asyncio.Event()

    async def elicit(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        n = len(asked)
        if n == 1:
            first_asked.set()
            await second_asked.wait()  # keep the first call in flight until the second asks
        else:
            second_asked.set()
        return types.ElicitResult(action="accept", content={"name": f"Ada{n}", "check": True, "integer": 7})

    with anyio.fail_after(TIMEOUT * 2):
        async with Client(
            stdio_proxy.url("/mcp"), mode="legacy", read_timeout_seconds=TIMEOUT, elicitation_callback=elicit
        ) as c:
            first = asyncio.ensure_future(c.call_tool("trigger-elicitation-request", {}))
            await first_asked.wait()
            second = await c.call_tool("trigger-elicitation-request", {})
            first_result = await first
    assert len(asked) == 2
    assert first_result.is_error is False and "Ada1" in text(first_result)
    assert second.is_error is False and "Ada2" in text(second)


@pytest.mark.parametrize("mode", list(MODES))
async def test_stdio_target_ambiguous_request_fails_to_the_target(
    stdio_proxy: ServerProcess, mode: str
) -> None:
    """Two front clients (or two 2026-07-28 calls), two calls in flight, a question with
    no association: it is refused to the target with an error saying why, and the call
    whose question it was answers with the target's own failure; the other one works."""
    release = asyncio.Event()

    async def slow(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        await release.wait()
        return types.ElicitResult(action="accept", content={"name": "Ada", "check": True, "integer": 7})

    async def fast(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        raise AssertionError("the ambiguous question must not reach any client")

    url = stdio_proxy.url("/mcp")
    with anyio.fail_after(TIMEOUT * 2):
        async with (
            Client(url, mode=mode, read_timeout_seconds=TIMEOUT, elicitation_callback=slow) as a,
            Client(url, mode=mode, read_timeout_seconds=TIMEOUT, elicitation_callback=fast) as b,
        ):
            first = asyncio.ensure_future(a.call_tool("trigger-elicitation-request", {}))
            await asyncio.sleep(1.0)  # A's question is out (the only call then) and waits
            refused = await b.call_tool("trigger-elicitation-request", {})
            release.set()
            answered = await first
    assert answered.is_error is False and "Ada" in text(answered)
    assert refused.is_error is True
    assert "2 calls are in flight through the proxy and the target did not say which one" in text(refused)


# ---- 2026-07-28 subscriptions/listen through the proxy -----------------------------
async def test_modern_listen_hears_the_targets_changes(proxy: ServerProcess) -> None:
    """A modern client listening on the proxy hears the target's tools-list change and
    the update of a resource it subscribed to in the listen."""
    with anyio.fail_after(TIMEOUT):
        async with Client(proxy.url("/mcp"), mode="auto", read_timeout_seconds=TIMEOUT) as c:
            assert c.protocol_version == "2026-07-28"
            async with c.listen(tools_list_changed=True, resource_subscriptions=["test://watched"]) as sub:
                assert sub.honored.tools_list_changed is True
                assert sub.honored.resource_subscriptions == ["test://watched"]
                assert (await c.call_tool("grow", {"name": "fresh"})).content[0].text == "added fresh"
                seen: set[object] = set()
                async for event in sub:
                    seen.add(event)
                    if {ToolsListChanged(), ResourceUpdated(uri="test://watched")} <= seen:
                        break
            assert "fresh" in {t.name for t in (await c.list_tools()).tools}


# ---- x-mcp-header: the proxy's call to a 2026-07-28 HTTP target mirrors the arguments --
@pytest.mark.parametrize("mode", list(MODES))
async def test_x_mcp_header_params_reach_the_target(proxy: ServerProcess, mode: str) -> None:
    """Whatever the front client's era, the proxy talks 2026-07-28 to the target, whose
    `regional` tool has an `x-mcp-header` parameter: the call carries `Mcp-Param-Region`."""
    with anyio.fail_after(TIMEOUT):
        async with Client(proxy.url("/mcp"), mode=mode, read_timeout_seconds=TIMEOUT) as c:
            result = await c.call_tool("regional", {"region": "eu-west-1"})
    assert result.is_error is False
    assert result.content[0].text == "eu-west-1 (header eu-west-1)"
    if mode == "auto":  # the result names the proxy, not its target
        assert result.meta is not None
        assert result.meta["io.modelcontextprotocol/serverInfo"]["name"] == "mcp-use-proxy"


async def test_legacy_task_of_a_stdio_target_asks_through_its_tasks_result(
    stdio_proxy: ServerProcess,
) -> None:
    """server-everything's `simulate-research-query` is a 2025-11-25 task whose question
    travels on the `tasks/result` stream tagged with the task (nothing else on a stdio
    pipe says which call it is for): through the proxy it reaches the client that waits
    for that task's result, not another client's call in flight, and the task completes
    with the answer."""
    asked: list[str] = []

    def clarify(ctx: object, params: Any) -> dict[str, Any]:
        asked.append(params.message)
        return {"action": "accept", "content": {"interpretation": "the programming language"}}

    config = {"mcpServers": {"p": {"url": stdio_proxy.url("/mcp")}}}
    async with (
        MCPClient(config, mode="legacy", timeout=TIMEOUT, elicitation_callback=clarify) as client,
        MCPClient(config, mode="legacy", timeout=TIMEOUT) as other,
    ):
        # Another client's call is in flight all along: two calls, two sessions, and only
        # the task tag says whose question it is.
        busy = asyncio.ensure_future(
            other.get_session("p").call_tool("trigger-long-running-operation", {"duration": 6, "steps": 2})
        )
        await asyncio.sleep(0.5)
        session = client.get_session("p")
        args = {"topic": "python", "ambiguous": True}
        handle = await session.start_task("simulate-research-query", args)
        assert handle.id and not handle.answered
        result = await handle.result()
        assert "Long running operation completed" in (await busy).content[0].text
    assert len(asked) == 1 and "python" in asked[0]
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert "the programming language" in text, text


async def test_modern_client_runs_a_legacy_targets_task_as_a_2026_task(stdio_proxy: ServerProcess) -> None:
    """A 2026-07-28 client of the proxy in front of server-everything (2025-11-25 only):
    `simulate-research-query` is a 2026-07-28 task for it; the target's question (asked
    on the proxy's `tasks/result`) comes in `tasks/get` as an input request, the answer
    goes back with `tasks/update`, and the task completes with it."""
    asked: list[str] = []

    def clarify(ctx: object, params: Any) -> dict[str, Any]:
        asked.append(params.message)
        return {"action": "accept", "content": {"interpretation": "the snake"}}

    config = {"mcpServers": {"p": {"url": stdio_proxy.url("/mcp")}}}
    async with MCPClient(config, mode="2026-07-28", timeout=TIMEOUT, elicitation_callback=clarify) as client:
        session = client.get_session("p")
        handle = await session.start_task("simulate-research-query", {"topic": "python", "ambiguous": True})
        assert handle.id and not handle.answered and handle.first["resultType"] == "task"
        seen: list[str] = []
        result = await handle.result(on_change=lambda status: seen.append(status.status))
    assert len(asked) == 1 and "python" in asked[0]
    assert "input_required" in seen and seen[-1] == "completed"
    assert "the snake" in " ".join(getattr(c, "text", "") for c in result.content)


async def test_front_refuses_mismatched_mcp_param_headers_for_target_tools(proxy: ServerProcess) -> None:
    """The proxy checks a 2026-07-28 call of a target tool as the target would: an
    `Mcp-Param-Region` header that does not say what the argument says is refused with
    HTTP 400 (-32020) before anything is forwarded; a missing one too."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "regional", "arguments": {"region": "eu-west-1"}, "_meta": meta}}  # fmt: skip
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28",
               "mcp-method": "tools/call", "mcp-name": "regional"}  # fmt: skip
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        wrong = await http.post(
            proxy.url("/mcp"), json=body, headers={**headers, "mcp-param-region": "us-east-1"}
        )
        missing = await http.post(proxy.url("/mcp"), json=body, headers=headers)
        right = await http.post(
            proxy.url("/mcp"), json=body, headers={**headers, "mcp-param-region": "eu-west-1"}
        )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == -32020
    assert "does not match body value" in wrong.json()["error"]["message"]
    assert (
        missing.status_code == 400
        and "Mcp-Param-region header is required" in missing.json()["error"]["message"]
    )
    assert right.status_code == 200


async def test_legacy_target_asking_a_client_without_the_capability(stdio_proxy: ServerProcess) -> None:
    """A legacy target knows only the proxy's own capabilities (its session's): when it
    asks for elicitation and the real client declared none, the proxy refuses it to the
    target with -32021 naming the capability, and the target's call fails saying so."""
    config = {"mcpServers": {"p": {"url": stdio_proxy.url("/mcp")}}}
    async with MCPClient(config, mode="legacy", timeout=TIMEOUT) as client:  # no callbacks
        result = await client.get_session("p").call_tool("trigger-elicitation-request", {})
    # server-everything reports the failed request in its tool result
    said = " ".join(getattr(c, "text", "") for c in result.content)
    assert "MCP error -32021: The proxy's client did not declare the 'elicitation' capability" in said, said
