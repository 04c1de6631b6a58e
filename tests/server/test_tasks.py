"""Tasks on one server process (memory store), over raw HTTP, on both eras.

The server is tests/server/servers/tasks_server.py; `task_events` tells what its task
bodies did, so a cancellation is seen to stop the function, not only the record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.helpers import ServerProcess
from tests.server.conftest import StdioPeer
from tests.server.tasks_wire import (
    ACCEPT,
    EXT,
    SERVER,
    TERMINAL,
    LegacySession,
    listen_for_task,
    modern,
    start_tasks_server,
    wait_status,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def tasks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_tasks_server(tmp_path_factory.mktemp("tasks"), MAX_LIVE="4", MAX_RESULT_BYTES="5000")
    yield server
    assert server.is_running(), server.describe()
    server.stop()


@pytest.fixture
async def http() -> Any:
    async with httpx.AsyncClient(timeout=20.0) as client:
        yield client


def _text(result: dict[str, Any]) -> str:
    return str(result["content"][0]["text"])


async def _events(http: httpx.AsyncClient, url: str) -> list[str]:
    reply = await modern(http, url, "tools/call", {"name": "task_events", "arguments": {}})
    return list(reply["result"]["structuredContent"]["result"])


async def test_modern_task_lifecycle_progress_and_result(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    listed = await modern(http, url, "tools/list")
    tools = {t["name"]: t for t in listed["result"]["tools"]}
    assert tools["sleepy"]["execution"] == {"taskSupport": "optional"}
    assert tools["blocking_sum"]["execution"] == {"taskSupport": "required"}
    assert "execution" not in tools["task_events"]
    discover = await modern(http, url, "server/discover")
    assert discover["result"]["capabilities"]["extensions"][EXT] == {}
    assert "tasks" not in discover["result"]["capabilities"]

    created = (
        await modern(http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 1.2, "steps": 3}})
    )["result"]
    assert created["resultType"] == "task" and created["status"] == "working"
    assert created["ttlMs"] == 60000 and created["pollIntervalMs"] == 200
    assert created["createdAt"].endswith("Z")
    task_id = created["taskId"]
    seen = await wait_status(http, url, task_id, {"working"})
    await asyncio.sleep(0.5)
    seen = (await modern(http, url, "tasks/get", {"taskId": task_id}))["result"]
    assert seen["status"] == "working" and seen["statusMessage"].startswith("step ")  # report_progress
    done = await wait_status(http, url, task_id, TERMINAL)
    assert done["status"] == "completed", done
    assert _text(done["result"]).startswith("slept 1.2s")
    assert "error" not in done and "inputRequests" not in done
    assert f"finished {task_id}" in await _events(http, url)


async def test_modern_cancel_really_stops_the_function(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    created = (await modern(http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 30}}))[
        "result"
    ]
    task_id = created["taskId"]
    await wait_status(http, url, task_id, {"working"})
    await asyncio.sleep(0.2)
    ack = (await modern(http, url, "tasks/cancel", {"taskId": task_id}))["result"]
    assert ack["resultType"] == "complete" and "taskId" not in ack
    assert (await modern(http, url, "tasks/get", {"taskId": task_id}))["result"]["status"] == "cancelled"
    await asyncio.sleep(0.2)
    events = await _events(http, url)
    assert f"cancelled {task_id}" in events and f"finished {task_id}" not in events
    again = await modern(http, url, "tasks/cancel", {"taskId": task_id})
    assert again["result"]["resultType"] == "complete"  # idempotent


async def test_modern_input_inside_a_task(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    task_id = (await modern(http, url, "tools/call", {"name": "ask_name", "arguments": {}}))["result"][
        "taskId"
    ]
    parked = await wait_status(http, url, task_id, {"input_required"})
    assert parked["status"] == "input_required"
    ((key, request),) = parked["inputRequests"].items()
    assert request["method"] == "elicitation/create" and request["params"]["message"] == "Your name?"
    bad = await modern(http, url, "tasks/update", {"taskId": task_id, "inputResponses": {key: "yes"}})
    assert bad["error"]["code"] == -32602
    ignored = await modern(http, url, "tasks/update", {"taskId": task_id, "inputResponses": {"nope": {}}})
    assert ignored["result"]["resultType"] == "complete"
    assert (await modern(http, url, "tasks/get", {"taskId": task_id}))["result"]["status"] == "input_required"
    answer = {key: {"action": "accept", "content": {"name": "Ada"}}}
    await modern(http, url, "tasks/update", {"taskId": task_id, "inputResponses": answer})
    done = await wait_status(http, url, task_id, TERMINAL)
    assert _text(done["result"]) == "accept: hello Ada"


async def test_modern_refusals(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    unknown = await modern(http, url, "tasks/get", {"taskId": "no-such-task"})
    assert unknown["error"]["code"] == -32602
    no_ext = await modern(http, url, "tasks/get", {"taskId": "x"}, caps={})
    assert no_ext["error"]["code"] == -32021
    assert no_ext["error"]["data"]["requiredCapabilities"] == {"extensions": {EXT: {}}}
    required = await modern(
        http, url, "tools/call", {"name": "blocking_sum", "arguments": {"a": 1, "b": 2}}, caps={}
    )
    assert required["error"]["code"] == -32021
    plain = await modern(http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 0}}, caps={})
    assert plain["result"]["resultType"] == "complete" and "taskId" not in plain["result"]
    for removed in ("tasks/result", "tasks/list"):
        assert (await modern(http, url, removed, {"taskId": "x"}))["error"]["code"] == -32601
    mismatch = await modern(http, url, "tasks/get", {"taskId": "abc"}, name="other")
    assert mismatch["error"]["code"] == -32020
    # A number is not the string the header carries: refused before any lookup.
    bad_id = await modern(http, url, "tasks/get", {"taskId": 7}, name="7")
    assert bad_id["error"]["code"] == -32020


async def test_sync_function_task_protocol_error_and_result_cap(
    tasks_server: ServerProcess, http: Any
) -> None:
    url = tasks_server.url("/mcp")
    summed = (await modern(http, url, "tools/call", {"name": "blocking_sum", "arguments": {"a": 2, "b": 3}}))[
        "result"
    ]
    done = await wait_status(http, url, summed["taskId"], TERMINAL)
    assert done["result"]["structuredContent"] == {"result": 5}
    failing = (await modern(http, url, "tools/call", {"name": "protocol_failure", "arguments": {}}))["result"]
    failed = await wait_status(http, url, failing["taskId"], TERMINAL)
    assert failed["status"] == "failed" and failed["error"] == {
        "code": -32603,
        "message": "the backend is down",
    }
    assert "result" not in failed
    large = (await modern(http, url, "tools/call", {"name": "big", "arguments": {"size": 6000}}))["result"]
    capped = await wait_status(http, url, large["taskId"], TERMINAL)
    assert capped["status"] == "failed" and "too large" in capped["error"]["message"]
    small = (await modern(http, url, "tools/call", {"name": "big", "arguments": {"size": 100}}))["result"]
    assert (await wait_status(http, url, small["taskId"], TERMINAL))["status"] == "completed"


async def test_live_task_cap(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    ids = []
    refused = None
    for _ in range(6):
        reply = await modern(http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 30}})
        if "error" in reply:
            refused = reply["error"]
            break
        ids.append(reply["result"]["taskId"])
    assert refused is not None and "Too many tasks" in refused["message"], refused
    assert len(ids) <= 4
    for task_id in ids:
        await modern(http, url, "tasks/cancel", {"taskId": task_id})
    after = await modern(http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 0}})
    assert after["result"]["resultType"] == "task"


async def test_manual_start_asks_in_the_call_then_becomes_a_task(
    tasks_server: ServerProcess, http: Any
) -> None:
    url = tasks_server.url("/mcp")
    params = {"name": "confirm_then_work", "arguments": {"item": "a.txt"}}
    first = (await modern(http, url, "tools/call", params))["result"]
    assert first["resultType"] == "input_required" and "taskId" not in first
    (key,) = first["inputRequests"]
    yes = {
        **params,
        "inputResponses": {key: {"action": "accept", "content": {"ok": True}}},
        "requestState": first["requestState"],
    }
    created = (await modern(http, url, "tools/call", yes))["result"]
    assert created["resultType"] == "task" and "requestState" not in created
    done = await wait_status(http, url, created["taskId"], TERMINAL)
    assert _text(done["result"]) == f"processed a.txt as {created['taskId']}"
    no = {
        **params,
        "inputResponses": {key: {"action": "accept", "content": {"ok": False}}},
        "requestState": first["requestState"],
    }
    plain = (await modern(http, url, "tools/call", no))["result"]
    assert plain["resultType"] == "complete" and _text(plain) == "skipped a.txt"


async def test_notifications_tasks_on_subscriptions_listen(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    created = await modern(
        http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 0.6, "steps": 2}}
    )
    seen = await asyncio.wait_for(listen_for_task(http, url, created["result"]["taskId"]), 15)
    assert seen[-1]["status"] == "completed" and seen[-1]["result"]["content"]
    assert any(p.get("statusMessage", "").startswith("step 2") for p in seen)


async def test_records_expire_after_their_ttl(tmp_path: Any, http: Any) -> None:
    server = start_tasks_server(tmp_path, TTL_MS="1500")
    try:
        url = server.url("/mcp")
        created = (await modern(http, url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 0}}))[
            "result"
        ]
        assert created["ttlMs"] == 1500
        assert (await wait_status(http, url, created["taskId"], TERMINAL))["status"] == "completed"
        await asyncio.sleep(1.7)
        gone = await modern(http, url, "tasks/get", {"taskId": created["taskId"]})
        assert gone["error"]["code"] == -32602
    finally:
        server.stop()


async def test_legacy_tasks(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    init = await http.post(
        url,
        headers={"accept": ACCEPT},
        json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello},
    )
    tasks_caps = init.json()["result"]["capabilities"]["tasks"]
    assert tasks_caps == {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
    session = LegacySession(http, url)
    await session.open({"elicitation": {}})
    plain = await session.request("tools/call", {"name": "sleepy", "arguments": {"seconds": 0}})
    assert "task" not in plain["result"] and plain["result"]["content"]
    required = await session.request("tools/call", {"name": "blocking_sum", "arguments": {"a": 1, "b": 1}})
    assert required["error"]["code"] == -32601
    created = await session.request(
        "tools/call", {"name": "sleepy", "arguments": {"seconds": 0.5}, "task": {"ttl": 30000}}
    )
    task = created["result"]["task"]
    assert task["status"] == "working" and task["ttl"] == 30000 and task["pollInterval"] == 200
    got = (await session.request("tasks/get", {"taskId": task["taskId"]}))["result"]
    assert got["taskId"] == task["taskId"] and "ttlMs" not in got
    listed = (await session.request("tasks/list"))["result"]["tasks"]
    assert [t["taskId"] for t in listed] == [task["taskId"]]
    result = (await session.request("tasks/result", {"taskId": task["taskId"]}))["result"]  # waits
    assert _text(result).startswith("slept 0.5s")
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task["taskId"]}
    late = await session.request("tasks/cancel", {"taskId": task["taskId"]})
    assert late["error"]["code"] == -32602
    other = LegacySession(http, url)
    await other.open()
    assert (await other.request("tasks/get", {"taskId": task["taskId"]}))["error"]["code"] == -32602
    assert (await other.request("tasks/list"))["result"]["tasks"] == []


async def test_legacy_input_travels_on_tasks_result(tasks_server: ServerProcess, http: Any) -> None:
    url = tasks_server.url("/mcp")
    session = LegacySession(http, url)
    await session.open({"elicitation": {}})
    created = await session.request("tools/call", {"name": "ask_name", "arguments": {}, "task": {}})
    task_id = created["result"]["task"]["taskId"]
    for _ in range(50):
        status = (await session.request("tasks/get", {"taskId": task_id}))["result"]["status"]
        if status == "input_required":
            break
        await asyncio.sleep(0.1)
    assert status == "input_required"
    session.next_id += 1
    body = {"jsonrpc": "2.0", "id": session.next_id, "method": "tasks/result", "params": {"taskId": task_id}}
    final = None
    async with http.stream("POST", url, headers=session.headers, json=body) as stream:
        async for line in stream.aiter_lines():
            if not line.startswith("data:") or not line[5:].strip():
                continue
            message = orjson.loads(line[5:].strip())
            if message.get("method") == "elicitation/create":
                assert message["params"]["_meta"]["io.modelcontextprotocol/related-task"] == {
                    "taskId": task_id
                }
                await session.answer(message["id"], {"action": "accept", "content": {"name": "Lin"}})
            elif message.get("id") == session.next_id:
                final = message
                break
    assert final is not None and _text(final["result"]) == "accept: hello Lin"


def test_tasks_over_stdio_both_eras(tmp_path: Any) -> None:
    peer = StdioPeer(SERVER, tmp_path)
    try:
        peer.initialize()

        def answer(message: dict[str, Any]) -> dict[str, Any]:
            peer.send(message)
            while True:  # status notifications may come first
                reply = peer.read()
                if reply.get("id") == message["id"]:
                    return reply

        created = answer(call_msg(1, {"name": "sleepy", "arguments": {"seconds": 0.3}, "task": {}}))
        task_id = created["result"]["task"]["taskId"]
        final = answer({"jsonrpc": "2.0", "id": 2, "method": "tasks/result", "params": {"taskId": task_id}})
        assert final["result"]["content"][0]["text"].startswith("slept 0.3s")
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"extensions": {EXT: {}}},
        }
        modern_call = call_msg(3, {"name": "sleepy", "arguments": {"seconds": 0.2}, "_meta": meta})
        task = answer(modern_call)["result"]
        assert task["resultType"] == "task"
        for n in range(4, 60):
            got = answer(
                {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "tasks/get",
                    "params": {"taskId": task["taskId"], "_meta": meta},
                }
            )
            if got["result"]["status"] in TERMINAL:
                break
            time.sleep(0.05)
        assert got["result"]["status"] == "completed" and got["result"]["result"]["content"]
    finally:
        peer.stop()


def call_msg(id_: int, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params}
