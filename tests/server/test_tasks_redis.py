"""Tasks on shared state: three processes of tests/server/servers/tasks_server.py on one
real `redis-server`. A task created on one is polled on another and cancelled (or
answered) from a third; killing the process that runs a task makes it `failed` within
the heartbeat window instead of `working` for ever.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import ServerProcess
from tests.helpers.redis import redis_available, redis_server
from tests.server.tasks_wire import TERMINAL, listen_for_task, modern, start_tasks_server, wait_status

pytestmark = pytest.mark.timeout(120)
HEARTBEAT = 0.5  # the process key lives max(2, 3 * heartbeat) seconds: the window


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not redis_available():
        pytest.fail("redis-server is not installed: these tests need a real Redis", pytrace=False)
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def trio(redis_url: str, tmp_path: Any) -> Iterator[list[ServerProcess]]:
    env = {
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"t{os.getpid()}{time.monotonic_ns()}",
        "HEARTBEAT": str(HEARTBEAT),
    }
    servers = [start_tasks_server(tmp_path, **env) for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _events(http: httpx.AsyncClient, url: str) -> list[str]:
    reply = await modern(http, url, "tools/call", {"name": "task_events", "arguments": {}})
    return list(reply["result"]["structuredContent"]["result"])


async def _until(check: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_create_on_one_poll_on_another_cancel_from_a_third(trio: list[ServerProcess]) -> None:
    a, b, c = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=20.0) as http:
        created = (
            await modern(http, a, "tools/call", {"name": "sleepy", "arguments": {"seconds": 30, "steps": 30}})
        )["result"]
        task_id = created["taskId"]
        polled = (await modern(http, b, "tasks/get", {"taskId": task_id}))["result"]  # at once, elsewhere
        assert polled["taskId"] == task_id and polled["status"] == "working"
        assert await _until(lambda: _has_message(http, b, task_id, f"on {trio[0].pid}")), (
            "process B never saw A's status message"
        )
        ack = (await modern(http, c, "tasks/cancel", {"taskId": task_id}))["result"]
        assert ack["resultType"] == "complete"
        assert (await modern(http, b, "tasks/get", {"taskId": task_id}))["result"]["status"] == "cancelled"

        async def stopped() -> bool:
            return f"cancelled {task_id}" in await _events(http, a)

        assert await _until(stopped), "the function on process A was not cancelled"
        assert f"finished {task_id}" not in await _events(http, a)


async def _has_message(http: httpx.AsyncClient, url: str, task_id: str, fragment: str) -> bool:
    result = (await modern(http, url, "tasks/get", {"taskId": task_id}))["result"]
    return fragment in result.get("statusMessage", "")


async def test_input_answered_through_another_process(trio: list[ServerProcess]) -> None:
    a, b, c = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=20.0) as http:
        task_id = (await modern(http, a, "tools/call", {"name": "ask_name", "arguments": {}}))["result"][
            "taskId"
        ]
        parked = await wait_status(http, b, task_id, {"input_required"})
        (key,) = parked["inputRequests"]
        answer = {key: {"action": "accept", "content": {"name": "Grace"}}}
        ack = await modern(http, c, "tasks/update", {"taskId": task_id, "inputResponses": answer})
        assert ack["result"]["resultType"] == "complete"
        done = await wait_status(http, b, task_id, TERMINAL)
        assert done["status"] == "completed", done
        assert done["result"]["content"][0]["text"] == "accept: hello Grace"


async def test_killed_process_task_becomes_failed_within_the_heartbeat_window(
    trio: list[ServerProcess],
) -> None:
    a, b, _ = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=20.0) as http:
        task_id = (await modern(http, a, "tools/call", {"name": "sleepy", "arguments": {"seconds": 60}}))[
            "result"
        ]["taskId"]
        assert (await modern(http, b, "tasks/get", {"taskId": task_id}))["result"]["status"] == "working"
        os.kill(trio[0].pid, signal.SIGKILL)
        killed = time.monotonic()
        window = max(2.0, 3 * HEARTBEAT)
        failed = await wait_status(http, b, task_id, TERMINAL, timeout=window + 5)
        took = time.monotonic() - killed
        assert failed["status"] == "failed", failed
        assert "stopped" in failed["error"]["message"] and "heartbeat" in failed["error"]["message"]
        assert took < window + 3, f"took {took:.1f}s (window {window}s)"
        print(f"\ntask of a killed process reported failed after {took:.2f}s (window {window:.1f}s)")
        # The verdict is stored: every process now says the same.
        assert (await modern(http, trio[2].url("/mcp"), "tasks/get", {"taskId": task_id}))["result"][
            "status"
        ] == "failed"


async def test_notifications_tasks_reach_a_listener_on_another_process(trio: list[ServerProcess]) -> None:
    a, b, _ = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=20.0) as http:
        task_id = (await modern(http, a, "tools/call", {"name": "sleepy", "arguments": {"seconds": 1.0}}))[
            "result"
        ]["taskId"]
        seen = await asyncio.wait_for(listen_for_task(http, b, task_id), 15)
        assert seen[-1]["status"] == "completed" and seen[-1]["result"]["content"]


async def test_a_cancel_from_elsewhere_is_final_despite_the_owners_updates(trio: list[ServerProcess]) -> None:
    """The owner writes a new status message every 50 ms; once C cancels, no later write
    of A's may bring the task back to `working` (the store refuses to overwrite a
    terminal record, and A then stops the function)."""
    a, b, c = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=20.0) as http:
        arguments = {"seconds": 30, "steps": 600}
        task_id = (await modern(http, a, "tools/call", {"name": "sleepy", "arguments": arguments}))["result"][
            "taskId"
        ]
        await asyncio.sleep(0.5)
        await modern(http, c, "tasks/cancel", {"taskId": task_id})
        statuses = []
        for _ in range(20):
            statuses.append((await modern(http, b, "tasks/get", {"taskId": task_id}))["result"]["status"])
            await asyncio.sleep(0.1)
        assert set(statuses) == {"cancelled"}, statuses

        async def stopped() -> bool:
            return f"cancelled {task_id}" in await _events(http, a)

        assert await _until(stopped)
