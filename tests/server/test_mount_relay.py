"""A mounted server's own notifications reach the parent's clients, subscriptions on a
mounted resource work, and its task tools run as tasks of the parent (`tasks/get` on
the parent answers). Over a served parent (Streamable HTTP) and in memory, both eras;
the server is tests/server/servers/mount_server.py."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_use import MCPClient
from mcp_use.server import MCPServer
from tests.helpers import REPO_ROOT, ServerProcess, free_port
from tests.server.servers.mount_server import build

SCRIPT = Path(__file__).parent / "servers" / "mount_server.py"
ERAS = ["legacy", "2026-07-28"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = ServerProcess(
        [sys.executable, str(SCRIPT), "--port", str(port)],
        port=port,
        env={"PYTHONPATH": str(REPO_ROOT / "src"), "MCP_USE_REDIS_URL": None},
        log_dir=tmp_path_factory.mktemp("mount"),
        name="mount-parent",
    )
    with server:
        yield f"http://127.0.0.1:{port}/mcp"


@pytest.fixture(params=["memory", "http"])
def parent(request: pytest.FixtureRequest) -> Any:
    """What the client's config names: the parent object (memory) or its URL."""
    if request.param == "memory":
        return build()[0]
    return {"url": request.getfixturevalue("served")}


class Heard:
    """Every notification the client hears, by kind."""

    def __init__(self) -> None:
        self.changed: asyncio.Queue[str] = asyncio.Queue()
        self.updated: asyncio.Queue[str] = asyncio.Queue()
        self.logs: list[str] = []
        self.progress: list[tuple[float, Any, Any]] = []

    def client(self, parent: Any, mode: str) -> MCPClient:
        return MCPClient(
            {"mcpServers": {"p": parent}},
            mode=mode,
            list_changed_callback=self.changed.put_nowait,
            resource_updated_callback=self.updated.put_nowait,
            logging_callback=lambda params: self.logs.append(str(params.data)),
        )


@pytest.mark.parametrize("mode", ERAS)
async def test_the_childs_own_notifications_reach_the_parents_clients(parent: Any, mode: str) -> None:
    heard = Heard()
    async with heard.client(parent, mode) as client:
        session = client.get_session("p")
        await session.subscribe("billing://rates")
        await asyncio.sleep(0.1)  # a 2026-07-28 listen settles
        await session.call_tool("billing_poke", {"kind": "prompts"})
        assert await asyncio.wait_for(heard.changed.get(), 5) == "prompts"
        await session.call_tool("billing_touch", {"uri": "billing://rates"})
        assert await asyncio.wait_for(heard.updated.get(), 5) == "billing://rates"
        await session.call_tool("billing_touch", {"uri": "billing://other"})  # not subscribed
        await session.call_tool("billing_grow", {"name": "fresh"})
        assert await asyncio.wait_for(heard.changed.get(), 5) == "tools"
        assert "billing_fresh" in {t.name for t in await session.list_tools()}
        assert (await session.call_tool("billing_fresh", {})).content[0].text == "grown"
        await session.unsubscribe("billing://rates")
        await asyncio.sleep(0.1)
        await session.call_tool("billing_touch", {"uri": "billing://rates"})
        await asyncio.sleep(0.2)
        assert heard.updated.empty()  # neither the unsubscribed URI nor the other one
        assert heard.changed.empty()  # each change announced once


@pytest.mark.parametrize("mode", ERAS)
async def test_logs_and_progress_of_a_mounted_tool(parent: Any, mode: str) -> None:
    heard = Heard()
    async with heard.client(parent, mode) as client:
        session = client.get_session("p")
        result = await session.call_tool(
            "billing_chatty", {}, progress_callback=lambda *a: heard.progress.append(a)
        )
        assert result.content[0].text == "chatted"
        await asyncio.sleep(0.05)
    assert heard.logs == ["from the child"]
    assert heard.progress == [(1, 2, "half way")]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_mounted_task_tool_runs_as_a_task_of_the_parent(parent: Any, mode: str) -> None:
    async with MCPClient({"mcpServers": {"p": parent}}, mode=mode) as client:
        session = client.get_session("p")
        handle = await session.start_task("billing_slow", {"n": 3})
        assert handle.id  # a task, not a plain call
        status = await handle.status()  # tasks/get on the parent
        assert status.id == handle.id and status.status in {"working", "completed"}
        result = await handle.result()
        assert result.content[0].text == "slow 3 in task True"
        assert (await handle.status()).status == "completed"
        plain = await session.call_tool("billing_slow", {"n": 4})  # no task asked: a plain call
        assert plain.content[0].text == "slow 4 in task False"


async def test_task_records_live_in_the_parent() -> None:
    parent, child = build()
    async with MCPClient(parent, mode="legacy") as client:
        handle = await client.get_session("parent").start_task("billing_slow", {"n": 1})
        await handle.result()
    assert await parent.core.engine.tasks.runner.store.get(handle.id) is not None
    assert await child.core.engine.tasks.runner.store.get(handle.id) is None


def test_mount_cycles_are_refused() -> None:
    a, b, c = MCPServer("a"), MCPServer("b"), MCPServer("c")
    a.mount(b, prefix="b")
    b.mount(c, prefix="c")
    with pytest.raises(ValueError, match="cycle"):
        c.mount(a, prefix="a")
    with pytest.raises(ValueError, match="cycle"):
        b.mount(a, prefix="a")
    a.mount(c, prefix="c2")  # a diamond is no cycle
