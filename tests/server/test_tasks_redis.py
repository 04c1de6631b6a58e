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
import orjson
import pytest

from tests.helpers import ServerProcess
from tests.helpers.redis import redis_available, redis_server
from tests.server.tasks_wire import (
    TERMINAL,
    LegacySession,
    listen_for_task,
    modern,
    start_tasks_server,
    wait_status,
)

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
        "LIST_PAGE_SIZE": "2",  # tasks/list pages of two, to page across processes
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


async def _legacy_on(http: httpx.AsyncClient, urls: list[str]) -> list[LegacySession]:
    """One 2025-11-25 session (opened on the first URL), addressed to each process."""
    first = LegacySession(http, urls[0])
    await first.open({"elicitation": {}})
    sessions = [first]
    for url in urls[1:]:
        other = LegacySession(http, url)
        other.headers = first.headers
        sessions.append(other)
    return sessions


async def _legacy_status(session: LegacySession, task_id: str, wanted: str) -> str:
    status = ""
    for _ in range(100):
        status = (await session.request("tasks/get", {"taskId": task_id}))["result"]["status"]
        if status == wanted:
            break
        await asyncio.sleep(0.1)
    return status


async def test_legacy_tasks_list_pages_across_processes(trio: list[ServerProcess]) -> None:
    """A 2025-11-25 session's tasks, created on two processes, listed a page at a time with
    each page asked of another process (cursor from the previous one); another session
    sees none of them; a cursor nobody issued is -32602."""
    async with httpx.AsyncClient(timeout=20.0) as http:
        a, b, c = await _legacy_on(http, [s.url("/mcp") for s in trio])
        created = []
        for n in range(5):
            on = (a, b)[n % 2]
            reply = await on.request(
                "tools/call", {"name": "sleepy", "arguments": {"seconds": 0}, "task": {}}
            )
            created.append(reply["result"]["task"]["taskId"])
        pages, cursor = [], None
        for asked in (c, a, b):
            page = (await asked.request("tasks/list", {"cursor": cursor} if cursor else {}))["result"]
            pages.append([t["taskId"] for t in page["tasks"]])
            cursor = page.get("nextCursor")
        assert pages == [created[0:2], created[2:4], created[4:5]]
        assert cursor is None  # the last page says there is no more
        stranger = LegacySession(http, trio[1].url("/mcp"))
        await stranger.open()
        assert (await stranger.request("tasks/list"))["result"]["tasks"] == []
        bad = await b.request("tasks/list", {"cursor": "bm90LWEtY3Vyc29y"})
        assert bad["error"]["code"] == -32602 and "Invalid cursor" in bad["error"]["message"]


@pytest.mark.parametrize("answer_at", ["b", "c"])
async def test_legacy_input_crosses_processes_on_tasks_result(
    trio: list[ServerProcess], answer_at: str
) -> None:
    """2025-11-25: the task waits for input on process A; the client's `tasks/result` is
    served by B, which asks the task's elicitation on that stream (tagged with the task);
    the answer (posted to B, or to C) reaches A, and B's `tasks/result` returns the end."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        a, b, c = await _legacy_on(http, [s.url("/mcp") for s in trio])
        created = await a.request("tools/call", {"name": "ask_name", "arguments": {}, "task": {}})
        task_id = created["result"]["task"]["taskId"]
        assert await _legacy_status(b, task_id, "input_required") == "input_required"
        b.next_id += 1
        body = {"jsonrpc": "2.0", "id": b.next_id, "method": "tasks/result", "params": {"taskId": task_id}}
        final, asked = None, []
        async with http.stream("POST", b.url, headers=b.headers, json=body) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:") or not line[5:].strip():
                    continue
                message = orjson.loads(line[5:].strip())
                if message.get("method") == "elicitation/create":
                    asked.append(message)
                    assert message["params"]["message"] == "Your name?"
                    meta = message["params"]["_meta"]["io.modelcontextprotocol/related-task"]
                    assert meta == {"taskId": task_id}
                    answerer = b if answer_at == "b" else c
                    await answerer.answer(message["id"], {"action": "accept", "content": {"name": "Grace"}})
                elif message.get("id") == b.next_id:
                    final = message
                    break
        assert len(asked) == 1, asked
        assert final is not None and final["result"]["content"][0]["text"] == "accept: hello Grace", final
        meta = final["result"]["_meta"]["io.modelcontextprotocol/related-task"]
        assert meta == {"taskId": task_id}
        assert (await c.request("tasks/get", {"taskId": task_id}))["result"]["status"] == "completed"


async def test_legacy_input_of_a_remote_task_reaches_the_get_stream(trio: list[ServerProcess]) -> None:
    """2025-11-25, the way `ext-tasks` listens: the session's GET stream is on B, the task runs
    on A; a `tasks/get` served by B sends the task's elicitation on that stream; the answer
    (posted to C) reaches A."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        a, b, c = await _legacy_on(http, [s.url("/mcp") for s in trio])
        async with http.stream("GET", b.url, headers={**b.headers, "accept": "text/event-stream"}) as events:
            assert events.status_code == 200
            created = await a.request("tools/call", {"name": "ask_name", "arguments": {}, "task": {}})
            task_id = created["result"]["task"]["taskId"]
            assert await _legacy_status(b, task_id, "input_required") == "input_required"
            request = None
            async for line in events.aiter_lines():
                if line.startswith("data:") and line[5:].strip():
                    message = orjson.loads(line[5:].strip())
                    if message.get("method") == "elicitation/create":
                        request = message
                        break
            assert request is not None
            assert request["params"]["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
            await c.answer(request["id"], {"action": "accept", "content": {"name": "Ada"}})
            final = (await c.request("tasks/result", {"taskId": task_id}))["result"]
        assert final["content"][0]["text"] == "accept: hello Ada"


async def _elicitations(
    http: httpx.AsyncClient,
    method: str,
    session: LegacySession,
    body: Any,
    seen: list[tuple[str, Any]],
    name: str,
) -> dict[str, Any] | None:
    """Read one stream (the GET stream, or a `tasks/result` POST) into `seen`; the
    `tasks/result` answer when that is what it carries."""
    headers = {**session.headers, "accept": "text/event-stream"} if method == "GET" else session.headers
    async with http.stream(method, session.url, headers=headers, json=body) as stream:
        assert stream.status_code == 200
        if stream.headers["content-type"].startswith("application/json"):  # nothing asked on it
            return orjson.loads(await stream.aread())  # type: ignore[no-any-return]
        async for line in stream.aiter_lines():
            if not line.startswith("data:") or not line[5:].strip():
                continue
            message = orjson.loads(line[5:].strip())
            if message.get("method") == "elicitation/create":
                seen.append((name, message))
            elif body is not None and message.get("id") == body["id"]:
                return message  # type: ignore[no-any-return]
    return None


async def _first(seen: list[tuple[str, Any]]) -> tuple[str, Any]:
    for _ in range(200):
        if seen:
            return seen[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no stream was asked the task's input")


async def test_legacy_input_is_pushed_to_a_get_stream_elsewhere_without_a_poll_there(
    trio: list[ServerProcess],
) -> None:
    """2025-11-25: the task runs on A, the session's GET stream is on B and nobody polls
    B: A's `input_required` reaches B through the bus, B asks on its stream (once); the
    answer posted to C completes the task."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        a, b, c = await _legacy_on(http, [s.url("/mcp") for s in trio])
        seen: list[tuple[str, Any]] = []
        listening = asyncio.create_task(_elicitations(http, "GET", b, None, seen, "b"))
        try:
            await asyncio.sleep(0.3)  # the GET stream is open on B
            created = await a.request("tools/call", {"name": "ask_name", "arguments": {}, "task": {}})
            task_id = created["result"]["task"]["taskId"]
            where, request = await _first(seen)
            assert where == "b"
            assert request["params"]["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
            await c.answer(request["id"], {"action": "accept", "content": {"name": "Ada"}})
            final = (await c.request("tasks/result", {"taskId": task_id}))["result"]
            assert final["content"][0]["text"] == "accept: hello Ada"
            await asyncio.sleep(0.5)  # any second ask would have come by now
            assert len(seen) == 1, seen
        finally:
            listening.cancel()


@pytest.mark.parametrize("round_", range(2))
async def test_legacy_input_is_asked_once_across_a_result_stream_and_a_get_stream(
    trio: list[ServerProcess], round_: int
) -> None:
    """2025-11-25: task on A, GET stream on B, `tasks/result` on C: both could ask the
    task's elicitation; the claim in Redis lets exactly one of them ask, the answer (to
    whichever asked) completes the task, and the answered key is never asked again."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        a, b, c = await _legacy_on(http, [s.url("/mcp") for s in trio])
        seen: list[tuple[str, Any]] = []
        listening = asyncio.create_task(_elicitations(http, "GET", b, None, seen, "b"))
        try:
            await asyncio.sleep(0.3)
            created = await a.request("tools/call", {"name": "ask_name", "arguments": {}, "task": {}})
            task_id = created["result"]["task"]["taskId"]
            c.next_id += 1
            body = {
                "jsonrpc": "2.0",
                "id": c.next_id,
                "method": "tasks/result",
                "params": {"taskId": task_id},
            }
            result = asyncio.create_task(_elicitations(http, "POST", c, body, seen, "c"))
            where, request = await _first(seen)
            await asyncio.sleep(1.0)  # both streams have had time to ask: only one may
            assert len(seen) == 1, seen
            await {"b": b, "c": c}[where].answer(
                request["id"], {"action": "accept", "content": {"name": "Lin"}}
            )
            final = await asyncio.wait_for(result, 20)
            assert final is not None and final["result"]["content"][0]["text"] == "accept: hello Lin", final
            await asyncio.sleep(0.5)
            assert len(seen) == 1, seen
            status = (await b.request("tasks/get", {"taskId": task_id}))["result"]
            assert status["status"] == "completed"
        finally:
            listening.cancel()
