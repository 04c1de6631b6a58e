"""Legacy-era stream resumption (no event lost) and cancellation on both eras, over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import ServerProcess, build_env, free_port, python_cmd
from tests.helpers.messages import initialize_message
from tests.helpers.sse import sse_events

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = build_env({"PYTHONPATH": "src"})
    with ServerProcess(
        python_cmd("tests/server/servers/streams_server.py", port),
        port=port,
        env=env,
        log_dir=tmp_path_factory.mktemp("streams"),
    ) as srv:
        yield srv.url("/mcp")


async def _legacy_session(client: httpx.AsyncClient, url: str) -> dict[str, str]:
    init = await client.post(
        url,
        headers={"accept": ACCEPT},
        json=initialize_message(LEGACY),
    )
    assert init.status_code == 200, init.text
    headers = {
        "mcp-session-id": init.headers["mcp-session-id"],
        "mcp-protocol-version": LEGACY,
        "accept": ACCEPT,
    }
    sent = await client.post(
        url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    assert sent.status_code == 202
    return headers


def _progress_values(messages: list[dict]) -> list[float]:
    return [m["params"]["progress"] for m in messages if m.get("method") == "notifications/progress"]


async def test_server_closed_stream_resumes_without_loss(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        headers = await _legacy_session(client, url)
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {
                "name": "countdown",
                "arguments": {"steps": 5, "close_after": 2},
                "_meta": {"progressToken": "p"},
            },
        }
        seen: list[dict] = []
        last_id = None
        async with client.stream("POST", url, headers=headers, json=call) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            first = True
            async for event_id, message in sse_events(response):
                if first:
                    assert message is None and event_id, "a priming event with an id comes first"
                    first = False
                last_id = event_id
                if message is not None:
                    seen.append(message)
        assert _progress_values(seen) == [1, 2]
        assert not any("result" in m for m in seen), "the server closed the stream before the result"
        async with client.stream("GET", url, headers={**headers, "last-event-id": last_id}) as response:
            assert response.status_code == 200
            async for _, message in sse_events(response):
                if message is not None:
                    seen.append(message)
        assert _progress_values(seen) == [1, 2, 3, 4, 5], "every progress event exactly once, in order"
        results = [m for m in seen if m.get("id") == 7]
        assert len(results) == 1
        assert results[0]["result"]["content"][0]["text"] == "done after 5 steps"


async def test_client_dropped_stream_resumes_without_loss(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        headers = await _legacy_session(client, url)
        call = {
            "jsonrpc": "2.0",
            "id": 8,
            "method": "tools/call",
            "params": {
                "name": "countdown",
                "arguments": {"steps": 6, "close_after": 0, "pause": 0.15},
                "_meta": {"progressToken": "q"},
            },
        }
        seen: list[dict] = []
        last_id = None
        async with client.stream("POST", url, headers=headers, json=call) as response:
            async for event_id, message in sse_events(response):
                last_id = event_id
                if message is not None:
                    seen.append(message)
                if len(seen) == 2:
                    break  # drop the connection mid-call
        assert _progress_values(seen) == [1, 2]
        await asyncio.sleep(0.3)  # events keep arriving in the log meanwhile
        async with client.stream("GET", url, headers={**headers, "last-event-id": last_id}) as response:
            async for _, message in sse_events(response):
                if message is not None:
                    seen.append(message)
        assert _progress_values(seen) == [1, 2, 3, 4, 5, 6]
        assert [m["result"]["content"][0]["text"] for m in seen if m.get("id") == 8] == ["done after 6 steps"]


async def _call_was_cancelled(client: httpx.AsyncClient, url: str, headers: dict, tag: str) -> str:
    body = {
        "jsonrpc": "2.0",
        "id": 99,
        "method": "tools/call",
        "params": {"name": "was_cancelled", "arguments": {"tag": tag}},
    }
    if headers.get("mcp-protocol-version") == MODERN:
        body["params"]["_meta"] = _modern_meta()
        headers = {**headers, "mcp-method": "tools/call", "mcp-name": "was_cancelled"}
    response = await client.post(url, headers=headers, json=body)
    return response.json()["result"]["content"][0]["text"]


def _modern_meta() -> dict:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }


async def _wait_for(predicate, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_legacy_cancelled_notification_stops_the_handler(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        headers = await _legacy_session(client, url)
        call = {
            "jsonrpc": "2.0",
            "id": 21,
            "method": "tools/call",
            "params": {"name": "wait_forever", "arguments": {"tag": "legacy"}, "_meta": {"progressToken": 1}},
        }
        messages: list[dict] = []

        async def run_call() -> None:
            async with client.stream("POST", url, headers=headers, json=call) as response:
                async for _, message in sse_events(response):
                    if message is not None:
                        messages.append(message)

        task = asyncio.create_task(run_call())
        await _wait_for(lambda: _async(lambda: bool(messages)))
        cancel = {
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": {"requestId": 21, "reason": "test"},
        }
        assert (await client.post(url, headers=headers, json=cancel)).status_code == 202
        await asyncio.wait_for(task, 5)
        assert not any(m.get("id") == 21 for m in messages), "no response is sent for a cancelled request"
        assert await _call_was_cancelled(client, url, headers, "legacy") == "yes"


async def test_modern_closed_stream_cancels_the_handler(url: str) -> None:
    headers = {
        "accept": ACCEPT,
        "mcp-protocol-version": MODERN,
        "mcp-method": "tools/call",
        "mcp-name": "wait_forever",
    }
    call = {
        "jsonrpc": "2.0",
        "id": 31,
        "method": "tools/call",
        "params": {
            "name": "wait_forever",
            "arguments": {"tag": "modern"},
            "_meta": {**_modern_meta(), "progressToken": 1},
        },
    }
    async with httpx.AsyncClient(timeout=10) as client:
        async with client.stream("POST", url, headers=headers, json=call) as response:
            async for _, message in sse_events(response):
                if message is not None and message.get("method") == "notifications/progress":
                    break  # the tool is running: close the stream
        base = {"accept": ACCEPT, "mcp-protocol-version": MODERN}
        await _wait_for(lambda: _equals(client, url, base, "modern", "yes"))


async def _async(fn):  # type: ignore[no-untyped-def]
    return fn()


async def _equals(client: httpx.AsyncClient, url: str, headers: dict, tag: str, want: str) -> bool:
    return await _call_was_cancelled(client, url, headers, tag) == want
