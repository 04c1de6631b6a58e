"""Several server processes sharing one real Redis: legacy sessions work whichever serves.

Two processes (A and B) of `servers/redis_server.py` share a `redis-server` started for
this module. Requests for one session are sent to both ports, as a load balancer would.
Also: a stream resumed after its process is killed, `workers=2`, refusing a differing
secret or name, health and metrics routes, SIGTERM. gunicorn and nginx (running
examples/deploy/nginx.conf): test_load_balancing.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import orjson
import pytest

from tests.helpers import ServerProcess, ServerStartError, build_env, free_port, python_cmd
from tests.helpers.redis import redis_available, redis_server
from tests.helpers.sse import sse_events

pytestmark = pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
SERVER = "tests/server/servers/redis_server.py"
TIMEOUT = 20.0


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def start_server(redis_url: str | None, log_dir: Path, **env: str) -> ServerProcess:
    port = free_port()
    overrides = {"PYTHONPATH": "src", "REDIS_URL": redis_url, "MCP_USE_REDIS_URL": None, **env}
    return ServerProcess(
        python_cmd(SERVER, port), port=port, env=build_env(overrides), log_dir=log_dir
    ).start()


@pytest.fixture(scope="module")
def pair(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    log_dir = tmp_path_factory.mktemp("pair")
    env = {"REDIS_PREFIX": "pair", "STATE_SECRET": "shared-secret"}
    servers = [start_server(redis_url, log_dir, **env) for _ in range(2)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


async def open_session(
    client: httpx.AsyncClient, url: str, capabilities: dict | None = None
) -> dict[str, str]:
    init = await client.post(
        url,
        headers={"accept": ACCEPT},
        json={
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": capabilities or {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
    )
    assert init.status_code == 200, init.text
    return {
        "mcp-session-id": init.headers["mcp-session-id"],
        "mcp-protocol-version": LEGACY,
        "accept": ACCEPT,
    }


def call(id_: int, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments or {}, "_meta": {"progressToken": f"p{id_}"}}
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params}


async def whoami(client: httpx.AsyncClient, url: str, headers: dict[str, str], id_: int = 1) -> int:
    response = await client.post(url, headers=headers, json=call(id_, "whoami"))
    assert response.status_code == 200, response.text
    return int(json.loads(response.json()["result"]["content"][0]["text"]))


async def test_session_opened_on_one_process_is_served_by_the_other(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a)
        sent = await client.post(
            b, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )
        assert sent.status_code == 202, sent.text
        assert await whoami(client, b, headers) == pair[1].pid
        assert await whoami(client, a, headers, 2) == pair[0].pid
        tools = await client.post(
            b, headers=headers, json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
        )
        assert {t["name"] for t in tools.json()["result"]["tools"]} >= {"whoami", "ask"}
        # An unknown session is still unknown everywhere.
        missing = await client.post(b, headers={**headers, "mcp-session-id": "nope"}, json=call(4, "whoami"))
        assert missing.status_code == 404


async def test_health_and_metrics_routes(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a)
        await whoami(client, b, headers)
        assert (await client.get(pair[1].url("/healthz"))).json() == {"status": "ok"}
        ready = await client.get(pair[1].url("/readyz"))
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        metrics = (await client.get(pair[1].url("/metrics"))).text
        values = dict(line.split() for line in metrics.splitlines() if not line.startswith("#"))
        assert int(values["mcp_use_sessions_loaded_total"]) >= 1
        assert int(values["mcp_use_sessions_open"]) >= 1
        assert values["mcp_use_shared_state_up"] == "1"
        assert "mcp_use_sessions_rejected_total 0" in metrics


async def test_not_ready_while_redis_is_unreachable() -> None:
    from mcp_use import MCPServer
    from mcp_use.server.state import RedisState

    server = MCPServer("down", state=RedisState(f"redis://127.0.0.1:{free_port()}/0"))
    server.add_health_routes()
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json() == {"status": "unavailable"}
        init = await client.post(
            "/mcp",
            headers={"accept": ACCEPT},
            json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}},
        )
        assert init.status_code == 503 and "shared state unavailable" in init.text


async def test_elicitation_answer_lands_on_the_other_process(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a, {"elicitation": {}})
        answered = None
        async with client.stream(
            "POST", a, headers=headers, json=call(1, "ask", {"question": "?"})
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for _id, message in sse_events(response):
                if message is None:
                    continue
                if message.get("method") == "elicitation/create":
                    reply = {
                        "jsonrpc": "2.0",
                        "id": message["id"],
                        "result": {"action": "accept", "content": {"answer": "42"}},
                    }
                    posted = await client.post(b, headers=headers, json=reply)
                    assert posted.status_code == 202
                elif message.get("id") == 1:
                    answered = message
                    break
        assert answered is not None
        assert answered["result"]["content"][0]["text"] == f"accept:42:{pair[0].pid}"


async def test_stream_resumed_on_the_other_process_loses_no_event(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a)
        first: list[tuple[str | None, dict | None]] = []
        arguments = {"steps": 6, "close_after": 2, "pause": 0.15}
        async with client.stream(
            "POST", a, headers=headers, json=call(1, "countdown", arguments)
        ) as response:
            async for item in sse_events(response):
                first.append(item)
        last_id = first[-1][0]
        assert last_id is not None and first[-1][1]["params"]["progress"] == 2  # type: ignore[index]
        rest: list[tuple[str | None, dict | None]] = []
        async with client.stream("GET", b, headers={**headers, "last-event-id": last_id}) as response:
            assert response.status_code == 200
            async for item in sse_events(response):
                rest.append(item)
        messages = [m for _, m in first + rest if m is not None]
        progress = [m["params"]["progress"] for m in messages if m.get("method") == "notifications/progress"]
        assert progress == [1, 2, 3, 4, 5, 6]
        assert messages[-1]["result"]["content"][0]["text"] == "done after 6 steps"
        seqs = [int(i.rpartition("_")[2]) for i, _ in first + rest if i is not None]
        assert seqs == list(range(len(seqs)))  # priming event 0, then every event once, in order


async def test_stream_resumed_after_its_process_is_killed(redis_url: str, tmp_path: Path) -> None:
    env = {"REDIS_PREFIX": f"kill-{uuid.uuid4().hex[:6]}", "STATE_SECRET": "k", "HEARTBEAT": "0.5"}
    holder, other = (start_server(redis_url, tmp_path, **env) for _ in range(2))
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            headers = await open_session(client, holder.url("/mcp"))
            first: list[tuple[str | None, dict | None]] = []
            arguments = {"steps": 100, "close_after": 3, "pause": 0.05}
            async with client.stream(
                "POST", holder.url("/mcp"), headers=headers, json=call(1, "countdown", arguments)
            ) as response:
                async for item in sse_events(response):
                    first.append(item)
            await asyncio.sleep(0.5)  # a few more events go to the log, then the holder dies
            os.kill(holder.pid, signal.SIGKILL)
            holder.stop()
            rest: list[tuple[str | None, dict | None]] = []
            async with asyncio.timeout(15):  # ends once the holder's heartbeat expires
                async with client.stream(
                    "GET", other.url("/mcp"), headers={**headers, "last-event-id": first[-1][0]}
                ) as response:
                    assert response.status_code == 200
                    async for item in sse_events(response):
                        rest.append(item)
        assert len(rest) >= 3, rest  # events written after the client lost the stream
        seqs = [int(i.rpartition("_")[2]) for i, _ in first + rest if i is not None]
        assert seqs == list(range(len(seqs)))  # none lost, none twice
        progress = [m["params"]["progress"] for _, m in first + rest if m is not None]
        assert progress == list(range(1, len(progress) + 1))
    finally:
        holder.stop()
        other.stop()


async def test_cancellation_sent_to_the_other_process(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a)
        seen: list[dict] = []
        async with asyncio.timeout(10):
            async with client.stream("POST", a, headers=headers, json=call(7, "wait_forever")) as response:
                async for _id, message in sse_events(response):
                    if message is None:
                        continue
                    seen.append(message)
                    if message.get("method") == "notifications/progress":
                        cancel = {
                            "jsonrpc": "2.0",
                            "method": "notifications/cancelled",
                            "params": {"requestId": 7},
                        }
                        posted = await client.post(b, headers=headers, json=cancel)
                        assert posted.status_code == 202
        assert not any(m.get("id") == 7 for m in seen)  # cancelled: no response, and the stream ended


async def test_notification_reaches_the_stream_held_by_the_other_process(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a)
        sub = {"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe", "params": {"uri": "data://thing"}}
        assert (await client.post(a, headers=headers, json=sub)).status_code == 200
        async with asyncio.timeout(10):
            async with client.stream("GET", b, headers=headers) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                assert (await anext(lines)).startswith(": stream open")
                touched = await client.post(
                    a, headers=headers, json=call(2, "touch_resource", {"uri": "data://thing"})
                )
                assert touched.status_code == 200
                async for line in lines:
                    if line.startswith("data:"):
                        message = orjson.loads(line[5:])
                        assert message["method"] == "notifications/resources/updated"
                        assert message["params"]["uri"] == "data://thing"
                        break


def modern(method: str, params: dict[str, Any], id_: int = 1) -> tuple[dict[str, str], dict[str, Any]]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    headers = {"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": method}
    if "name" in params:
        headers["mcp-name"] = params["name"]
    return headers, {"jsonrpc": "2.0", "id": id_, "method": method, "params": {**params, "_meta": meta}}


async def test_modern_listen_stream_hears_a_change_made_by_the_other_process(
    pair: list[ServerProcess],
) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        listen = modern(
            "subscriptions/listen", {"notifications": {"resourceSubscriptions": ["data://thing"]}}
        )
        async with asyncio.timeout(10):
            async with client.stream("POST", b, headers=listen[0], json=listen[1]) as response:
                assert response.status_code == 200
                seen = sse_events(response)
                _, ack = await anext(seen)
                assert ack is not None and ack["method"] == "notifications/subscriptions/acknowledged"
                touch = modern(
                    "tools/call", {"name": "touch_resource", "arguments": {"uri": "data://thing"}}, 2
                )
                touched = await client.post(a, headers=touch[0], json=touch[1])
                assert touched.status_code == 200, touched.text
                async for _id, message in seen:
                    if message is not None:
                        assert message["method"] == "notifications/resources/updated"
                        assert message["params"]["uri"] == "data://thing"
                        break


async def test_delete_on_one_process_ends_the_session_everywhere(pair: list[ServerProcess]) -> None:
    a, b = (s.url("/mcp") for s in pair)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a)
        assert await whoami(client, a, headers) == pair[0].pid
        assert await whoami(client, b, headers) == pair[1].pid
        deleted = await client.delete(b, headers=headers)
        assert deleted.status_code == 200
        for url in (a, b):
            for _ in range(50):  # the end reaches the other process over pub/sub
                gone = await client.post(url, headers=headers, json=call(9, "whoami"))
                if gone.status_code == 404:
                    break
                await asyncio.sleep(0.05)
            assert gone.status_code == 404, (url, gone.text)
        again = await client.delete(a, headers=headers)
        assert again.status_code == 404


class Spread(httpx2.AsyncBaseTransport):
    """Sends each request to the next port, as a load balancer would (for the SDK's httpx2)."""

    def __init__(self, ports: list[int]) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.ports = ports
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[self.sent % len(self.ports)]
        self.sent += 1
        request.url = request.url.copy_with(port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_official_sdk_client_spread_over_two_processes(pair: list[ServerProcess]) -> None:
    import mcp_types as types
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    transport = Spread([s.port for s in pair])  # type: ignore[misc]
    asked = 0

    async def elicitation(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        nonlocal asked
        asked += 1
        return types.ElicitResult(action="accept", content={"answer": "yes"})

    async with httpx2.AsyncClient(transport=transport, timeout=TIMEOUT) as http:
        async with asyncio.timeout(60):
            async with Client(
                streamable_http_client(pair[0].url("/mcp"), http_client=http),
                mode="legacy",
                elicitation_callback=elicitation,
                read_timeout_seconds=TIMEOUT,
            ) as client:
                assert client.protocol_version == LEGACY
                pids = Counter()
                for _ in range(20):
                    result = await client.call_tool("whoami", {})
                    assert result.is_error is False, result
                    pids[int(json.loads(result.content[0].text))] += 1
                assert set(pids) == {pair[0].pid, pair[1].pid}, pids
                for _ in range(4):  # the answer POST goes to the other port half the time
                    result = await client.call_tool("ask", {"question": "ok?"})
                    assert result.is_error is False, result
                    assert result.content[0].text.startswith("accept:yes:")
    assert asked == 4


async def test_processes_with_different_secrets_refuse(redis_url: str, tmp_path: Path) -> None:
    prefix = f"conflict-{uuid.uuid4().hex[:6]}"
    first = start_server(redis_url, tmp_path, REDIS_PREFIX=prefix, STATE_SECRET="one")
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            await open_session(client, first.url("/mcp"))  # the first request registers it
        with pytest.raises(ServerStartError) as refused:
            start_server(redis_url, tmp_path, REDIS_PREFIX=prefix, STATE_SECRET="two")
        text = str(refused.value)
        assert "refusing to serve" in text and "state secret" in text, text
        with pytest.raises(ServerStartError) as renamed:
            start_server(redis_url, tmp_path, REDIS_PREFIX=prefix, STATE_SECRET="one", NAME="other")
        text = str(renamed.value)
        assert "server name 'shared'" in text and "state secret" not in text, text
    finally:
        first.stop()


async def test_uvicorn_workers_share_sessions(redis_url: str, tmp_path: Path) -> None:
    """`server.run(workers=2)` with Redis: one port, two processes, one legacy session."""
    env = {"REDIS_PREFIX": f"workers-{uuid.uuid4().hex[:6]}", "WORKERS": "2"}  # no secret: shared via Redis
    server = start_server(redis_url, tmp_path, **env)
    try:
        url = server.url("/mcp")
        fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection, so any worker, each time
        async with httpx.AsyncClient(timeout=TIMEOUT, limits=fresh) as client:
            headers = await open_session(client, url)
            pids = Counter([await whoami(client, url, headers, i) for i in range(1, 61)])
        assert len(pids) == 2 and server.pid not in pids, pids
    finally:
        server.stop()


async def test_sigterm_lets_calls_finish_and_closes_streams_with_a_retry_hint(tmp_path: Path) -> None:
    server = start_server(None, tmp_path)
    try:
        url = server.url("/mcp")
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            headers = await open_session(client, url)
            async with asyncio.timeout(15):
                async with client.stream("GET", url, headers=headers) as stream:
                    lines = stream.aiter_lines()
                    assert (await anext(lines)).startswith(": stream open")
                    call_task = asyncio.ensure_future(whoami_slow(client, url, headers))
                    await asyncio.sleep(0.3)  # the call is in flight
                    os.kill(server.pid, signal.SIGTERM)
                    rest = [line async for line in lines]
                assert any(line.startswith("retry:") for line in rest), rest
                assert await call_task == server.pid  # finished within the grace period
        # It exits promptly (uvicorn re-raises SIGTERM once it has shut down cleanly).
        assert server.proc is not None and server.proc.wait(timeout=10) in (0, -signal.SIGTERM)
    finally:
        server.stop()


async def whoami_slow(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    response = await client.post(url, headers=headers, json=call(5, "whoami", {"delay": 1.0}))
    assert response.status_code == 200, response.text
    return int(json.loads(response.json()["result"]["content"][0]["text"]))


def test_workers_without_shared_state_warn(tmp_path: Path) -> None:
    server = start_server(None, tmp_path, WORKERS="2")
    try:
        assert "no shared state: legacy-era" in server.stderr_tail(80)
    finally:
        server.stop()
