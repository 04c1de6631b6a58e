"""Exception text stays in the log unless debugging; every wait on the client is bounded."""

from __future__ import annotations

import asyncio
import time

import pytest

from mcp_use import Context, MCPServer
from mcp_use.server.tools import ToolError

from .asgi import client, initialize, legacy, legacy_headers, modern


def _failing(monkeypatch: pytest.MonkeyPatch, debug_env: str | None, **options: object) -> MCPServer:
    if debug_env is None:
        monkeypatch.delenv("DEBUG", raising=False)
    else:
        monkeypatch.setenv("DEBUG", debug_env)
    server = MCPServer("errors", dns_rebinding_protection=False, **options)  # type: ignore[arg-type]

    @server.tool()
    def boom() -> str:
        raise RuntimeError("secret detail at /srv/app.py")

    @server.tool()
    def refuse() -> str:
        raise ToolError("not allowed for this account")

    return server


async def _texts(server: MCPServer) -> tuple[str, str]:
    async with client(server) as http:
        boom = await modern(http, "tools/call", {"name": "boom", "arguments": {}})
        refuse = await modern(http, "tools/call", {"name": "refuse", "arguments": {}})
    assert boom["result"]["isError"] is True and refuse["result"]["isError"] is True
    return boom["result"]["content"][0]["text"], refuse["result"]["content"][0]["text"]


@pytest.mark.parametrize(
    ("debug_env", "options", "shown"),
    [
        (None, {}, False),
        ("0", {}, False),
        ("1", {}, True),
        (None, {"debug": True}, True),
        (None, {"mask_errors": False}, True),
        ("2", {"mask_errors": True}, False),
    ],
)
async def test_exception_text_reaches_the_client_only_when_debugging(
    monkeypatch: pytest.MonkeyPatch, debug_env: str | None, options: dict[str, object], shown: bool
) -> None:
    boom, refuse = await _texts(_failing(monkeypatch, debug_env, **options))
    assert refuse == "not allowed for this account"
    if shown:
        assert boom == "Error executing tool boom: secret detail at /srv/app.py"
    else:
        assert boom == "Error executing tool boom"


def _slow_server(**options: object) -> MCPServer:
    server = MCPServer("slow", dns_rebinding_protection=False, **options)  # type: ignore[arg-type]
    state = {"cancelled": 0}

    @server.tool(timeout=0.3)
    async def stuck() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            state["cancelled"] += 1
            raise
        return "never"

    @server.tool()
    async def default_bound() -> str:
        await asyncio.sleep(30)
        return "never"

    @server.tool()
    async def quick() -> str:
        await asyncio.sleep(0.05)
        return "done"

    @server.tool()
    async def ask(ctx: Context) -> str:
        try:
            answer = await ctx.elicit("Name?", {"type": "object", "properties": {"n": {"type": "string"}}})
        except TimeoutError as exc:
            return f"no answer: {exc}"
        return f"answer: {answer.action}"

    server.state_counter = state  # type: ignore[attr-defined]
    return server


async def test_a_tool_past_its_timeout_is_cancelled_and_says_so() -> None:
    server = _slow_server(tool_timeout=0.5)
    async with client(server) as http:
        started = time.monotonic()
        stuck = await modern(http, "tools/call", {"name": "stuck", "arguments": {}})
        assert time.monotonic() - started < 5
        assert stuck["result"]["isError"] is True
        assert stuck["result"]["content"][0]["text"] == "Tool stuck timed out after 0.3s and was cancelled"
        bound = await modern(http, "tools/call", {"name": "default_bound", "arguments": {}})
        assert "timed out after 0.5s" in bound["result"]["content"][0]["text"]
        quick = await modern(http, "tools/call", {"name": "quick", "arguments": {}})
        assert quick["result"]["content"][0]["text"] == "done"
    assert server.state_counter["cancelled"] == 1  # type: ignore[attr-defined]


async def test_an_unanswered_elicitation_raises_timeout_error_in_the_tool() -> None:
    server = _slow_server(input_timeout=0.4)
    async with client(server) as http:
        session = await initialize(http, {"elicitation": {}})
        started = time.monotonic()
        answer = await legacy(http, session, "tools/call", {"name": "ask", "arguments": {}}, request_id=7)
        assert time.monotonic() - started < 5
    methods = [m.get("method") for m in answer]
    assert methods[0] == "elicitation/create"
    asked = answer[0]["id"]
    cancelled = next(m for m in answer if m.get("method") == "notifications/cancelled")
    assert cancelled["params"] == {"requestId": asked, "reason": "timeout"}
    final = answer[-1]
    assert final["id"] == 7
    assert (
        final["result"]["content"][0]["text"]
        == "no answer: The client did not answer elicitation/create within 0.4s"
    )


async def test_ending_the_session_ends_its_pending_requests_and_calls() -> None:
    server = _slow_server()  # input_timeout 300 s: only the session's end can free the call
    async with client(server) as http:
        session = await initialize(http, {"elicitation": {}})
        call = asyncio.create_task(
            http.post(
                "/mcp",
                headers=legacy_headers(session),
                json={
                    "jsonrpc": "2.0",
                    "id": 9,
                    "method": "tools/call",
                    "params": {"name": "ask", "arguments": {}},
                },
            )
        )
        await asyncio.sleep(0.3)
        assert not call.done()
        deleted = await http.delete("/mcp", headers=legacy_headers(session))
        assert deleted.status_code in (200, 204)
        # In process the call's task is the request's own: ending the session cancels it.
        done, _ = await asyncio.wait({call}, timeout=5)
        assert done == {call}
        assert server.core.sessions.get(session) is None
        assert server.core.engine.methods.limits.input_timeout == 300.0


def _sync_server(**options: object) -> MCPServer:
    server = MCPServer("sync", dns_rebinding_protection=False, **options)  # type: ignore[arg-type]

    @server.tool(timeout=0.4)
    def sleepy(seconds: float) -> str:
        time.sleep(seconds)
        return "woke up"

    @server.tool()
    def failing_late(seconds: float) -> str:
        time.sleep(seconds)
        raise RuntimeError("too late to tell anyone")

    @server.tool()
    async def quick() -> str:
        return "done"

    return server


async def test_a_sync_tool_past_its_timeout_answers_in_time_and_the_loop_stays_free(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = _sync_server()
    async with client(server) as http:
        started = time.monotonic()
        slow = asyncio.create_task(
            modern(http, "tools/call", {"name": "sleepy", "arguments": {"seconds": 1.5}})
        )
        await asyncio.sleep(0.1)
        quick = await modern(http, "tools/call", {"name": "quick", "arguments": {}})
        served_meanwhile = time.monotonic() - started
        assert quick["result"]["content"][0]["text"] == "done"
        assert served_meanwhile < 1.0, served_meanwhile  # not after the 1.5 s sleep
        answer = await slow
        took = time.monotonic() - started
        assert 0.35 < took < 1.4, took  # at the deadline, not when the thread returns
        assert answer["result"]["isError"] is True
        assert answer["result"]["content"][0]["text"] == (
            "Tool sleepy timed out after 0.4s and its thread's late result will be discarded"
        )
        with caplog.at_level("WARNING", logger="mcp_use.server.tools"):
            await asyncio.sleep(1.6 - (time.monotonic() - started))
            for _ in range(50):
                if "returned after" in caplog.text:
                    break
                await asyncio.sleep(0.05)
        assert (
            "Tool sleepy returned after 1.5s, after its call ended; its result was discarded" in caplog.text
        )
        # A call that ends in time in its thread answers as usual.
        fast = await modern(http, "tools/call", {"name": "sleepy", "arguments": {"seconds": 0.01}})
        assert fast["result"]["content"][0]["text"] == "woke up"


async def test_the_server_tool_timeout_bounds_sync_tools_too(caplog: pytest.LogCaptureFixture) -> None:
    server = _sync_server(tool_timeout=0.3)
    async with client(server) as http:
        started = time.monotonic()
        answer = await modern(http, "tools/call", {"name": "failing_late", "arguments": {"seconds": 0.8}})
        assert time.monotonic() - started < 0.7
        assert "timed out after 0.3s" in answer["result"]["content"][0]["text"]
        with caplog.at_level("WARNING", logger="mcp_use.server.tools"):
            for _ in range(60):
                if "failed after" in caplog.text:
                    break
                await asyncio.sleep(0.05)
    assert "Tool failing_late failed after 0.8s, after its call ended" in caplog.text
    assert "too late to tell anyone" in caplog.text
