"""A 2026-07-28 `subscriptions/listen` hears only the caller's own tasks: on a protected
server a task belongs to the principal that started it, and another principal naming its
id in `taskIds` gets it dropped from the acknowledgment and hears nothing of it (as
`tasks/get` refuses it), while the owner's listen still hears every status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest

from tests.helpers import ServerProcess
from tests.server.tasks_wire import ACCEPT, MODERN, TASK_CAPS, start_tasks_server

SECRET = "listen-scope-secret-of-at-least-32-bytes"


def bearer(url: str, subject: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"iss": "https://issuer.test", "aud": url, "sub": subject, "iat": now, "exp": now + 600}
    return {"authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_tasks_server(tmp_path, AUTH_SECRET=SECRET)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def meta() -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": TASK_CAPS,
    }


async def start_task(http: httpx.AsyncClient, url: str, auth: dict[str, str]) -> str:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "sleepy", "arguments": {"seconds": 1.5, "steps": 3}, "_meta": meta()},
    }
    headers = {
        "accept": ACCEPT,
        "mcp-protocol-version": MODERN,
        "mcp-method": "tools/call",
        "mcp-name": "sleepy",
    }
    reply = (await http.post(url, headers={**headers, **auth}, json=body)).json()
    assert reply["result"]["resultType"] == "task", reply
    return str(reply["result"]["taskId"])


async def listen(
    http: httpx.AsyncClient, url: str, auth: dict[str, str], task_id: str, seconds: float
) -> tuple[list[str], list[dict[str, Any]]]:
    """Listen for `task_id` for up to `seconds`: the acknowledged taskIds, and what was heard."""
    body = {
        "jsonrpc": "2.0",
        "id": "listen",
        "method": "subscriptions/listen",
        "params": {"notifications": {"taskIds": [task_id]}, "_meta": meta()},
    }
    headers = {"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": "subscriptions/listen", **auth}
    acknowledged: list[str] = []
    heard: list[dict[str, Any]] = []

    async def read() -> None:
        async with http.stream("POST", url, headers=headers, json=body) as stream:
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if not line.startswith("data:") or not line[5:].strip():
                    continue
                message = orjson.loads(line[5:].strip())
                if message.get("method") == "notifications/subscriptions/acknowledged":
                    acknowledged.extend(message["params"]["notifications"].get("taskIds", []))
                elif message.get("method") == "notifications/tasks":
                    heard.append(message["params"])
                    if message["params"]["status"] in {"completed", "failed", "cancelled"}:
                        return

    try:
        await asyncio.wait_for(read(), seconds)
    except TimeoutError:
        pass
    return acknowledged, heard


async def test_another_principal_cannot_listen_to_a_task(
    server: ServerProcess, http: httpx.AsyncClient
) -> None:
    url = server.url("/mcp")
    alice, bob = bearer(url, "alice"), bearer(url, "bob")
    task_id = await start_task(http, url, alice)

    (bob_ack, bob_heard), (alice_ack, alice_heard) = await asyncio.gather(
        listen(http, url, bob, task_id, 6), listen(http, url, alice, task_id, 15)
    )

    assert bob_ack == [] and bob_heard == []
    assert alice_ack == [task_id]
    assert alice_heard and alice_heard[-1]["status"] == "completed"
    assert all(n["taskId"] == task_id for n in alice_heard)
    refused = await http.post(
        url,
        headers={
            "accept": ACCEPT,
            "mcp-protocol-version": MODERN,
            "mcp-method": "tasks/get",
            "mcp-name": task_id,
            **bob,
        },
        json={
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tasks/get",
            "params": {"taskId": task_id, "_meta": meta()},
        },
    )
    assert "error" in refused.json()  # the same rule as tasks/get
