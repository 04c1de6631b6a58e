"""What the target says about a proxied task reaches the front client that owns it:
our task server (`servers/tasks_server.py`, a stdio child) as the target, spoken to on
2026-07-28 ("auto") or pinned to 2025-11-25, our client in front.

A 2025-11-25 front client hears `notifications/tasks/status` for its task (whichever
era the target speaks), and its call's progress token hears the task's status messages;
another front client hears nothing of it. A 2026-07-28 front client that names the task
in `taskIds` of its `subscriptions/listen` hears `notifications/tasks`. A 2026-07-28
front client's task on a 2025-11-25 target is a 2026-07-28 task on the wire
(`proxy_task_bridge.py`): CreateTaskResult, the target's question as an input request
of `tasks/get`, answered with `tasks/update`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcp_use import MCPClient, MCPServer
from mcp_use.client import ClientError, ServerError
from tests.helpers.proxy import stdio_entry
from tests.server import test_proxy_tasks

TARGET = test_proxy_tasks.TARGET
front = test_proxy_tasks.front  # the proxy fixture, its target on either era


async def test_legacy_front_hears_its_tasks_status_and_progress(front: MCPServer) -> None:
    heard: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    async with (
        MCPClient(front, mode="legacy", timeout=30, message_handler=heard.append) as client,
        MCPClient(front, mode="legacy", timeout=30, message_handler=others.append) as other,
    ):
        session = client.get_session("mcp-use-proxy")
        await other.get_session("mcp-use-proxy").list_tools()
        created = await session.request(
            "tools/call",
            {"name": "sleepy", "arguments": {"seconds": 1, "steps": 2}, "task": {},
             "_meta": {"progressToken": "front-1"}},
        )  # fmt: skip
        task_id = created["task"]["taskId"]
        result = await session.request("tasks/result", {"taskId": task_id}, timeout=30)
        assert result["content"][0]["text"].startswith("slept 1s")
        for _ in range(50):  # the last notification may trail the result
            if any(
                m["params"].get("status") == "completed" for m in _of(heard, "notifications/tasks/status")
            ):
                break
            await asyncio.sleep(0.1)
        statuses = _of(heard, "notifications/tasks/status")
        assert {m["params"]["taskId"] for m in statuses} == {task_id}
        assert statuses[-1]["params"]["status"] == "completed"
        assert "ttl" in statuses[-1]["params"] and "ttlMs" not in statuses[-1]["params"]  # this era's Task
        progress = _of(heard, "notifications/progress")
        assert [m["params"]["progressToken"] for m in progress] == ["front-1"] * len(progress)
        messages = [m["params"]["message"] for m in progress]
        assert messages[0].startswith("step 1 of 2") and messages[1].startswith("step 2 of 2")
        assert [m["params"]["progress"] for m in progress] == list(range(1, len(progress) + 1))
        assert _of(others, "notifications/tasks/status") == [] and _of(others, "notifications/progress") == []
        for _ in range(50):  # on a 2026-07-28 target the proxy listened for it until it ended
            if not front._proxy.news.watched:
                break
            await asyncio.sleep(0.05)
        assert front._proxy.news.watched == {}
        with pytest.raises(ClientError, match="watch_task: a 2025-11-25 server tells"):
            await session.watch_task(task_id)  # a 2026-07-28 listen's word: refused, not dropped


def _of(messages: list[dict[str, Any]], method: str) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("method") == method]


async def test_modern_front_listen_names_a_proxied_task(front: MCPServer) -> None:
    heard: list[dict[str, Any]] = []
    async with MCPClient(front, mode="2026-07-28", timeout=30, message_handler=heard.append) as client:
        session = client.get_session("mcp-use-proxy")
        handle = await session.start_task("sleepy", {"seconds": 1, "steps": 2})
        assert not handle.answered  # a task on either target era (proxy_task_bridge for 2025-11-25)
        await session.watch_task(handle.id)
        assert (await handle.result()).content[0].text.startswith("slept 1s")
        for _ in range(50):
            if any(m["params"].get("status") == "completed" for m in _of(heard, "notifications/tasks")):
                break
            await asyncio.sleep(0.1)
        tasks = _of(heard, "notifications/tasks")
        assert {m["params"]["taskId"] for m in tasks} == {handle.id}
        assert tasks[-1]["params"]["status"] == "completed" and "ttlMs" in tasks[-1]["params"]
        assert tasks[-1]["params"]["result"]["content"][0]["text"].startswith("slept 1s")
        assert "step 2 of 2" in " ".join(str(m["params"].get("statusMessage")) for m in tasks)
        assert front._proxy.news.watched == {handle.id: 1}  # one front listen names it
        await session.watch_task(handle.id, watch=False)  # the front listen no longer names it
        for _ in range(50):
            if not front._proxy.news.watched:
                break
            await asyncio.sleep(0.05)
        assert front._proxy.news.watched == {}


async def test_modern_front_task_on_a_legacy_target_has_the_2026_wire() -> None:
    entry = stdio_entry(str(TARGET), "legacy")
    proxy = MCPServer.as_proxy(entry, timeout=30)
    try:
        async with MCPClient(proxy, mode="2026-07-28", timeout=30, elicitation_callback=_name) as client:
            session = client.get_session("mcp-use-proxy")
            caps = {**session.capabilities, "extensions": {"io.modelcontextprotocol/tasks": {}}}
            meta = {"io.modelcontextprotocol/clientCapabilities": caps}
            created = await session.request(
                "tools/call", {"name": "ask_name", "arguments": {}, "_meta": meta}
            )
            assert created["resultType"] == "task" and created["status"] == "working"
            assert isinstance(created["ttlMs"], int) and isinstance(created["pollIntervalMs"], int)
            assert "ttl" not in created and "task" not in created
            task = {"taskId": created["taskId"], "_meta": meta}
            status = await _until(session, task, "input_required")
            assert list(status["inputRequests"]) == ["q1"]
            asked = status["inputRequests"]["q1"]
            assert asked["method"] == "elicitation/create" and asked["params"]["message"] == "Your name?"
            with pytest.raises(ServerError, match="inputResponses must be an object"):
                await session.request("tasks/update", {**task, "inputResponses": ["no"]})
            answer = {"action": "accept", "content": {"name": "Grace"}}
            updated = await session.request("tasks/update", {**task, "inputResponses": {"q1": answer}})
            assert updated["resultType"] == "complete" and "status" not in updated  # an empty ack
            done = await _until(session, task, "completed")
            assert done["result"]["content"][0]["text"] == "accept: hello Grace"
            assert "inputRequests" not in done and "pollIntervalMs" in done
            with pytest.raises(ServerError, match="Method not found: tasks/result"):
                await session.request("tasks/result", task)
    finally:
        await proxy.close_proxy()


def _name(ctx: Any, params: Any) -> dict[str, Any]:
    raise AssertionError("the task's question is answered with tasks/update here, not a callback")


async def _until(session: Any, task: dict[str, Any], state: str) -> dict[str, Any]:
    for _ in range(100):
        status = await session.request("tasks/get", task)
        if status["status"] == state:
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"the task never became {state}: {status}")


async def test_a_bridged_task_waiting_for_input_leaves_other_calls_their_questions() -> None:
    """While a 2026-07-28 client's bridged task waits for its answer, another client's
    plain call on the stdio target asks its own question (untagged): it is still "the
    only call in flight", the bridged task being found by its task id alone."""
    proxy = MCPServer.as_proxy(stdio_entry(str(TARGET), "legacy"), timeout=30)
    try:
        async with (
            MCPClient(proxy, mode="2026-07-28", timeout=30, elicitation_callback=_name) as modern,
            MCPClient(proxy, mode="legacy", timeout=30, elicitation_callback=_grace) as legacy,
        ):
            session = modern.get_session("mcp-use-proxy")
            caps = {**session.capabilities, "extensions": {"io.modelcontextprotocol/tasks": {}}}
            meta = {"io.modelcontextprotocol/clientCapabilities": caps}
            created = await session.request(
                "tools/call", {"name": "ask_name", "arguments": {}, "_meta": meta}
            )
            task = {"taskId": created["taskId"], "_meta": meta}
            await _until(session, task, "input_required")
            plain = await legacy.get_session("mcp-use-proxy").call_tool("ask_name", {})
            assert plain.content[0].text == "accept: hello Grace (Your name?)"
            answer = {"action": "accept", "content": {"name": "Ada"}}
            await session.request("tasks/update", {**task, "inputResponses": {"q1": answer}})
            done = await _until(session, task, "completed")
            assert done["result"]["content"][0]["text"] == "accept: hello Ada"
    finally:
        await proxy.close_proxy()


def _grace(ctx: Any, params: Any) -> dict[str, Any]:
    return {"action": "accept", "content": {"name": f"Grace ({params.message})"}}
