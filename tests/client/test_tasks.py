"""The client's task API against our task server (tests/server/servers/tasks_server.py)
over Streamable HTTP, on both eras: `call_tool(..., task=True)`, `start_task` handles,
polling, cancellation, input answered through the callbacks, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from mcp_use import MCPClient
from mcp_use.client import ServerError, TaskCancelled
from mcp_use.client.callbacks import ElicitRequestParams
from tests.helpers import ServerProcess
from tests.server.tasks_wire import start_tasks_server

ERAS = {"auto": "2026-07-28", "legacy": "2025-11-25"}
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def tasks_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server: ServerProcess = start_tasks_server(tmp_path_factory.mktemp("client-tasks"))
    yield server.url("/mcp")
    assert server.is_running(), server.describe()
    server.stop()


def _client(url: str, mode: str, seen: dict[str, Any]) -> MCPClient:
    async def elicit(params: ElicitRequestParams) -> dict[str, Any]:
        seen.setdefault("asked", []).append(params.message)
        return {"action": "accept", "content": {"name": "Hopper", "ok": True}}

    return MCPClient(
        {"mcpServers": {"tasks": {"url": url}}}, mode=mode, elicitation_callback=elicit, timeout=20
    )


@pytest.mark.parametrize("mode", list(ERAS))
async def test_task_api_both_eras(tasks_http: str, mode: str) -> None:
    seen: dict[str, Any] = {}
    async with _client(tasks_http, mode, seen) as client:
        session = client.get_session("tasks")
        assert session.protocol_version == ERAS[mode]

        messages: list[tuple[float, str | None]] = []
        result = await session.call_tool(
            "sleepy",
            {"seconds": 1.2, "steps": 3},
            task=True,
            progress_callback=lambda n, _total, message: messages.append((n, message)),
        )
        assert result.content[0].text.startswith("slept 1.2s") and not result.isError
        assert [m for _, m in messages][-1].startswith("step 3 of 3"), messages
        assert [n for n, _ in messages] == list(range(1, len(messages) + 1))

        handle = await session.start_task("sleepy", {"seconds": 1.0, "steps": 2})
        assert handle.id
        first = await handle.status()
        assert first.id == handle.id and first.status == "working" and first.poll_interval_ms == 200
        assert (await handle.result()).content[0].text.startswith("slept 1s")
        assert (await handle.status()).status == "completed"

        asked = await session.call_tool("ask_name", {}, task=True)  # input inside the task
        assert asked.content[0].text == "accept: hello Hopper"
        assert seen["asked"] == ["Your name?"]

        long = await session.start_task("sleepy", {"seconds": 30})
        await asyncio.sleep(0.3)
        await long.cancel()
        with pytest.raises(TaskCancelled):
            await long.result()
        assert (await long.status()).status == "cancelled"
        await long.cancel()  # already over: not an error

        with pytest.raises(ServerError) as failed:
            await session.call_tool("protocol_failure", {}, task=True)
        assert failed.value.code == -32603 and "backend is down" in failed.value.message

        plain = await session.call_tool("sleepy", {"seconds": 0})  # no task asked: a plain call
        assert plain.content[0].text.startswith("slept 0s")
        untasked = await session.start_task("task_events")  # not a task tool: answered at once
        assert untasked.id == "" and (await untasked.result()).structuredContent is not None


async def test_manual_start_input_rounds_then_task(tasks_http: str) -> None:
    seen: dict[str, Any] = {}
    async with _client(tasks_http, "auto", seen) as client:
        session = client.get_session("tasks")
        result = await session.call_tool("confirm_then_work", {"item": "b.txt"}, task=True)
        assert result.content[0].text.startswith("processed b.txt as ")
        assert seen["asked"] == ["Process b.txt?"]


async def test_list_tasks_follows_every_page(tmp_path: Any) -> None:
    """`session.list_tasks()` on 2025-11-25: the session's tasks, in creation order (one TTL), across the
    server's pages of two; on 2026-07-28 (no `tasks.list` advertised) refused unsent."""
    from mcp_use.client import CapabilityNotAdvertised

    server = start_tasks_server(tmp_path, LIST_PAGE_SIZE="2")
    try:
        async with _client(server.url("/mcp"), "legacy", {}) as client:
            session = client.get_session("tasks")
            assert await session.list_tasks() == []
            handles = [await session.start_task("sleepy", {"seconds": 0}) for _ in range(5)]
            listed = await session.list_tasks()
            assert [t.id for t in listed] == [h.id for h in handles]
            assert all(t.status in ("working", "completed") and t.poll_interval_ms == 200 for t in listed)
        async with _client(server.url("/mcp"), "auto", {}) as modern:
            with pytest.raises(CapabilityNotAdvertised, match=r"tasks\.list"):
                await modern.get_session("tasks").list_tasks()
    finally:
        server.stop()
