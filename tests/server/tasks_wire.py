"""Raw-HTTP helpers for the task tests: 2026-07-28 requests with the tasks extension, and
2025-11-25 sessions, against our server processes (no client library in between)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.helpers import ServerProcess, build_env, free_port, python_cmd
from tests.server.test_redis_state import open_session

EXT = "io.modelcontextprotocol/tasks"
MODERN = "2026-07-28"
LEGACY = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
TASK_CAPS = {"elicitation": {}, "extensions": {EXT: {}}}
SERVER = Path(__file__).parent / "servers" / "tasks_server.py"
TERMINAL = {"completed", "failed", "cancelled"}


def start_tasks_server(log_dir: Path, **env: str | None) -> ServerProcess:
    port = free_port()
    overrides: dict[str, str | None] = {"MCP_USE_REDIS_URL": None, "DEBUG": None, **env}
    overrides["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    cmd = python_cmd(SERVER, port)
    return ServerProcess(cmd, port=port, env=build_env(overrides), log_dir=log_dir).start()


def _decode(response: httpx.Response) -> dict[str, Any]:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        for line in response.text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                message = orjson.loads(line[5:].strip())
                if "id" in message and ("result" in message or "error" in message):
                    return message  # type: ignore[no-any-return]
        raise AssertionError(f"no response in the SSE body: {response.text!r}")
    return response.json()  # type: ignore[no-any-return]


async def modern(
    client: httpx.AsyncClient,
    url: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    caps: dict[str, Any] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """One 2026-07-28 request; the whole JSON-RPC response (result or error)."""
    params = dict(params or {})
    params["_meta"] = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": TASK_CAPS if caps is None else caps,
    }
    headers = {"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": method}
    routed = name if name is not None else params.get("name", params.get("taskId"))
    if routed is not None:
        headers["mcp-name"] = str(routed)
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return _decode(await client.post(url, headers=headers, json=body))


async def wait_status(
    client: httpx.AsyncClient, url: str, task_id: str, statuses: set[str], timeout: float = 15.0
) -> dict[str, Any]:
    """Poll `tasks/get` (2026-07-28) until the task's status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        reply = await modern(client, url, "tasks/get", {"taskId": task_id})
        result = reply["result"]
        if result["status"] in statuses or time.monotonic() > deadline:
            return result  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)


async def listen_for_task(client: httpx.AsyncClient, url: str, task_id: str) -> list[dict[str, Any]]:
    """Open `subscriptions/listen` for one task; its `notifications/tasks` params until terminal."""
    body = {
        "jsonrpc": "2.0",
        "id": f"listen-{task_id}",
        "method": "subscriptions/listen",
        "params": {
            "notifications": {"taskIds": [task_id]},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": TASK_CAPS,
            },
        },
    }
    headers = {"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": "subscriptions/listen"}
    seen: list[dict[str, Any]] = []
    async with client.stream("POST", url, headers=headers, json=body) as stream:
        async for line in stream.aiter_lines():
            if not line.startswith("data:") or not line[5:].strip():
                continue
            message = orjson.loads(line[5:].strip())
            if message.get("method") == "notifications/subscriptions/acknowledged":
                assert message["params"]["notifications"]["taskIds"] == [task_id]
            elif message.get("method") == "notifications/tasks":
                assert message["params"]["taskId"] == task_id
                seen.append(message["params"])
                if message["params"]["status"] in TERMINAL:
                    break
    return seen


class LegacySession:
    """A 2025-11-25 session over raw HTTP."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url
        self.headers: dict[str, str] = {}
        self.next_id = 1

    async def open(self, capabilities: dict[str, Any] | None = None) -> None:
        self.headers = await open_session(self.client, self.url, capabilities)
        await self.client.post(
            self.url, headers=self.headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        return _decode(await self.client.post(self.url, headers=self.headers, json=body))

    async def answer(self, request_id: Any, result: dict[str, Any]) -> None:
        sent = await self.client.post(
            self.url, headers=self.headers, json={"jsonrpc": "2.0", "id": request_id, "result": result}
        )
        assert sent.status_code == 202, sent.text
