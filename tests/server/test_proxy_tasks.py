"""Tasks through `MCPServer.as_proxy`, our task server (`servers/tasks_server.py`, a stdio
child on 2026-07-28) as the target, our client in front on both eras: a task tool runs
as a task on the target, `tasks/get` (status), its result (with an elicitation inside
the task answered by the front client), cancellation, a failed task, and another front
client kept out of the task."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from mcp_use import MCPClient, MCPServer
from mcp_use.client import ClientError, ServerError
from mcp_use.client.tasks import TaskCancelled
from tests.helpers import ServerPool
from tests.helpers.proxy import start_proxy, stdio_entry

TARGET = Path(__file__).parent / "servers" / "tasks_server.py"
ERAS = ["legacy", "2026-07-28"]


@pytest.fixture(params=["auto", "legacy"])
async def front(request: pytest.FixtureRequest) -> Any:
    """The proxy; its target spoken to on 2026-07-28 ("auto") or pinned to 2025-11-25."""
    entry = stdio_entry(str(TARGET), request.param)
    proxy = MCPServer.as_proxy(entry, timeout=30)
    yield proxy
    await proxy.close_proxy()


async def target_era(front: MCPServer) -> str:
    return str((await front._proxy.target.session()).era)


def name_answer(ctx: Any, params: Any) -> dict[str, Any]:
    return {"action": "accept", "content": {"name": f"Ada ({params.message})"}}


@pytest.mark.parametrize("mode", ERAS)
async def test_task_tool_runs_as_a_task_on_the_target(front: MCPServer, mode: str) -> None:
    async with MCPClient(front, mode=mode, timeout=30, elicitation_callback=name_answer) as client:
        session = client.get_session("mcp-use-proxy")
        handle = await session.start_task("sleepy", {"seconds": 0.3, "steps": 2})
        assert handle.id and not handle.answered
        assert front._proxy.tasks.handles.keys() == {handle.id}  # the target's task id
        assert (await handle.status()).status in ("working", "completed")
        messages: list[str | None] = []
        result = await handle.result(lambda n, total, message: messages.append(message))
        assert result.content[0].text.startswith("slept 0.3s in ")
        assert (await handle.status()).status == "completed"

        asked = await session.call_tool("ask_name", {}, task=True)
        assert asked.content[0].text == "accept: hello Ada (Your name?)"

        events = (await session.call_tool("task_events", {})).structuredContent["result"]
        assert f"finished {handle.id}" in events  # it ran on the target as that task


@pytest.mark.parametrize("mode", ERAS)
async def test_cancel_and_failure_pass_through(front: MCPServer, mode: str) -> None:
    async with MCPClient(front, mode=mode, timeout=30) as client:
        session = client.get_session("mcp-use-proxy")
        handle = await session.start_task("sleepy", {"seconds": 30})
        await handle.cancel()
        assert (await handle.status()).status == "cancelled"
        with pytest.raises(TaskCancelled):
            await handle.result()
        with pytest.raises(ServerError, match="the backend is down"):
            await session.call_tool("protocol_failure", {}, task=True)
        if mode == "2026-07-28":  # no ttl to ask for on this era: refused, not dropped
            with pytest.raises(ClientError, match="ttl cannot be asked for on 2026-07-28"):
                await session.start_task("sleepy", {"seconds": 0}, ttl_ms=1000)
        else:  # the ttl asked on a 2025-11-25 front is checked there, and carried to such a target
            with pytest.raises(ServerError, match="ttl must be a positive integer"):
                await session.request("tools/call", {"name": "sleepy", "arguments": {}, "task": {"ttl": -1}})
            kept = await session.start_task("sleepy", {"seconds": 0}, ttl_ms=45_000)
            expected = 45_000 if await target_era(front) == "legacy" else 60_000  # the target's own
            assert (await kept.status()).raw["ttl"] == expected
        plain = await session.call_tool("sleepy", {"seconds": 0})  # no task asked: a plain call
        assert plain.content[0].text.startswith("slept 0s in ")


async def test_another_front_client_cannot_reach_the_task(server_process: ServerPool) -> None:
    """Over HTTP each legacy client has its own session, and a task belongs to the one
    that started it (the proxy's identity at the target is the same for both)."""
    front = start_proxy(server_process, ["--", sys.executable, str(TARGET)], "proxy-tasks")
    config = {"mcpServers": {"p": {"url": front.url("/mcp")}}}
    async with (
        MCPClient(config, mode="legacy", timeout=30) as owner,
        MCPClient(config, mode="legacy", timeout=30) as other,
    ):
        handle = await owner.get_session("p").start_task("sleepy", {"seconds": 30})
        with pytest.raises(ServerError, match=handle.id):
            await other.get_session("p").request("tasks/get", {"taskId": handle.id})
        listed = await owner.get_session("p").request("tasks/list", {})
        assert [(t["taskId"], t["status"]) for t in listed["tasks"]] == [(handle.id, "working")]
        assert (await other.get_session("p").request("tasks/list", {}))["tasks"] == []
        assert (await handle.status()).status == "working"
        await handle.cancel()
        assert (await handle.status()).status == "cancelled"
