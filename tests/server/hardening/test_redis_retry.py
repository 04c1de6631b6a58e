"""What a process keeps while Redis does not answer, with three processes on a real
`redis-server` stopped (SIGSTOP) or killed and restarted empty during an SSE response.

Stream events written during the fault reach Redis once it answers, in order and
before newer ones, so a `Last-Event-ID` resume on another process sees every event.
Beyond the retry buffer the stream is given up for the other processes, counted, and
a resume elsewhere is refused with 410 (the writing process still resumes it). A
client's answer forwarded through another process is retried until its request's
own deadline (carried in the request id), not `input_timeout` after it arrived.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import ServerProcess
from tests.helpers.redis import RestartableRedis as Redis
from tests.helpers.sse import sse_events

from .asgi import open_session
from .redis_processes import TIMEOUT, call, processes

# A short socket timeout, so writes to a stopped Redis fail (and are retried) within
# the test instead of just waiting for it.
FAST = {"SOCKET_TIMEOUT": "0.4"}
Item = tuple[str | None, dict[str, Any] | None]


async def metric(client: httpx.AsyncClient, server: ServerProcess, name: str) -> int:
    text = (await client.get(server.url("/metrics"))).text
    found = re.search(rf"^mcp_use_{name} (\d+)$", text, re.M)
    assert found is not None, text
    return int(found.group(1))


async def until_metric(client: httpx.AsyncClient, server: ServerProcess, name: str, want: int) -> None:
    """Poll `/metrics` (another process's counter: no event to wait on) for up to 20 s."""
    for _ in range(100):
        if await metric(client, server, name) == want:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{name} never became {want}")


async def session_on(client: httpx.AsyncClient, a: ServerProcess, c: ServerProcess) -> dict[str, str]:
    """A session opened on `a` and cached on `c` (so `c` needs no Redis to find it)."""
    headers = await open_session(client, a.url("/mcp"))
    assert (await client.post(c.url("/mcp"), headers=headers, json=call(2, "whoami"))).status_code == 200
    return headers


async def first_part(client: httpx.AsyncClient, url: str, headers: dict[str, str], fault: Any) -> list[Item]:
    """A countdown whose stream the server closes after step 2; `fault()` after step 1."""
    items: list[Item] = []
    arguments = {"steps": 16, "close_after": 2, "pause": 0.15}
    body = call(1, "countdown", arguments)
    body["params"]["_meta"] = {"progressToken": "p"}
    async with client.stream("POST", url, headers=headers, json=body) as response:
        async for item in sse_events(response):
            items.append(item)
            if item[1] is not None and item[1].get("params", {}).get("progress") == 1:
                await fault()
    assert items[-1][1] is not None and items[-1][1]["params"]["progress"] == 2, items
    return items


async def resume(client: httpx.AsyncClient, url: str, headers: dict[str, str], last: str) -> list[Item]:
    async with asyncio.timeout(20):
        async with client.stream("GET", url, headers={**headers, "last-event-id": last}) as response:
            assert response.status_code == 200
            return [item async for item in sse_events(response)]


def assert_complete(items: list[Item]) -> None:
    """Every event once, in order: priming 0, progress 1..16, then the answer."""
    seqs = [int(i.rpartition("_")[2]) for i, _ in items if i is not None]
    assert seqs == list(range(len(seqs))), seqs
    messages = [m for _, m in items if m is not None]
    assert [m["params"]["progress"] for m in messages[:-1]] == list(range(1, 17))
    assert messages[-1]["result"]["content"][0]["text"] == "done after 16 steps"


async def test_events_written_while_redis_is_stopped_resume_elsewhere(redis: Redis, tmp_path: Path) -> None:
    with processes(redis, tmp_path, **FAST) as (a, _b, c):
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            headers = await session_on(client, a, c)

            async def stop() -> None:
                redis.signal(signal.SIGSTOP)
                asyncio.get_running_loop().call_later(3.0, redis.signal, signal.SIGCONT)

            first = await first_part(client, a.url("/mcp"), headers, stop)
            await asyncio.sleep(3.5)  # the countdown ended while Redis was stopped
            await until_metric(client, a, "event_writes_waiting", 0)
            assert await metric(client, a, "event_write_failures_total") > 0  # the fault hit the writes
            rest = await resume(client, c.url("/mcp"), headers, first[-1][0])  # type: ignore[arg-type]
            assert_complete(first + rest)
            assert await metric(client, a, "events_lost_total") == 0


async def test_events_survive_a_killed_and_restarted_redis(redis: Redis, tmp_path: Path) -> None:
    with processes(redis, tmp_path, **FAST) as (a, _b, c):
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            headers = await session_on(client, a, c)

            async def kill() -> None:
                redis.kill()
                asyncio.get_running_loop().call_later(1.5, redis.start)  # empty

            first = await first_part(client, a.url("/mcp"), headers, kill)
            await asyncio.sleep(3.0)
            await until_metric(client, a, "event_writes_waiting", 0)
            assert await metric(client, a, "event_write_failures_total") > 0
            rest = await resume(client, c.url("/mcp"), headers, first[-1][0])  # type: ignore[arg-type]
            assert_complete(first + rest)


async def test_a_full_retry_buffer_loses_the_stream_loudly(redis: Redis, tmp_path: Path) -> None:
    with processes(redis, tmp_path, **FAST, RETRY_BYTES="1500") as (a, _b, c):
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            headers = await session_on(client, a, c)

            async def stop() -> None:
                redis.signal(signal.SIGSTOP)
                asyncio.get_running_loop().call_later(3.5, redis.signal, signal.SIGCONT)

            first = await first_part(client, a.url("/mcp"), headers, stop)
            await asyncio.sleep(4.0)
            await until_metric(client, a, "event_writes_waiting", 0)
            assert await metric(client, a, "streams_lost_total") == 1
            assert await metric(client, a, "events_lost_total") > 0
            last = first[-1][0]
            assert last is not None
            refused = await client.get(c.url("/mcp"), headers={**headers, "last-event-id": last})
            assert refused.status_code == 410, refused.text
            error = refused.json()["error"]
            assert "not all stored" in error["message"] and "send the request again" in error["message"]
            # The process that wrote it still has every event.
            assert_complete(first + await resume(client, a.url("/mcp"), headers, last))
            assert "is lost for the other processes" in (tmp_path / f"{a.name}.stderr.log").read_text()


async def ask_across_a_stall(
    client: httpx.AsyncClient, redis: Redis, servers: list[ServerProcess], answer_after: float, stall: float
) -> tuple[dict[str, Any], str, float]:
    """`ask` on the first process; when the elicitation arrives stop Redis for `stall`
    seconds and answer through the second `answer_after` seconds after it was sent.
    Returns the call's answer, the elicitation's request id and when it arrived (Unix)."""
    holder, other = (s.url("/mcp") for s in servers[:2])
    headers = await open_session(client, holder, {"elicitation": {}})
    assert (await client.post(other, headers=headers, json=call(2, "whoami"))).status_code == 200
    asked, received = "", 0.0
    async with client.stream(
        "POST", holder, headers=headers, json=call(1, "ask", {"question": "?"})
    ) as response:
        async for _id, message in sse_events(response):
            if message is not None and message.get("method") == "elicitation/create":
                received = time.time()
                redis.signal(signal.SIGSTOP)
                asyncio.get_running_loop().call_later(stall, redis.signal, signal.SIGCONT)
                asked = message["id"]
                reply = {
                    "jsonrpc": "2.0",
                    "id": asked,
                    "result": {"action": "accept", "content": {"answer": "42"}},
                }
                await asyncio.sleep(answer_after)
                posted = await client.post(other, headers=headers, json=reply)
                assert posted.status_code == 202, posted.text
            elif message is not None and message.get("id") == 1:
                return message, asked, received
    raise AssertionError("the call's stream ended without its answer")


async def test_an_answer_in_time_is_delivered_across_a_redis_stall(redis: Redis, tmp_path: Path) -> None:
    with processes(redis, tmp_path, **FAST, INPUT_TIMEOUT="10") as servers:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer, asked, received = await ask_across_a_stall(client, redis, servers, 0.3, stall=3.0)
            assert answer["result"]["content"][0]["text"] == f"accept:42:{servers[0].pid}"
            _token, n, deadline_ms = asked.split("-")  # the id carries the request's deadline
            assert n.isdigit() and 9 < int(deadline_ms) / 1000 - received <= 10
            # The answer may reach the holder from a try cut off during the stall (Redis
            # reads it from the socket when it continues); the retries go on until one succeeds.
            await until_metric(client, servers[1], "responses_forwarded_late_total", 1)
            assert await metric(client, servers[1], "responses_dropped_total") == 0


async def test_an_answer_is_dropped_at_its_requests_deadline(redis: Redis, tmp_path: Path) -> None:
    """Sent at 0 with a 3 s deadline, answered at 2 s, Redis back at 4 s: the forward is
    given up at 3 s (counting `input_timeout` from the answer would retry until 5 s and
    publish it at 4 s)."""
    with processes(redis, tmp_path, **FAST, INPUT_TIMEOUT="3") as servers:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer, asked, received = await ask_across_a_stall(client, redis, servers, 2.0, stall=4.0)
            assert answer["result"]["isError"] is True
            holder_log = (tmp_path / f"{servers[0].name}.stderr.log").read_text()
            assert "did not answer elicitation/create within 3s" in holder_log  # masked for the client
            assert time.time() - received < 6
            # Past the moment Redis answers again (4 s after the ask): a forward still being
            # retried would land now and count as late, so a drop is the deadline's doing.
            # The holder's timeout and the other process's drop fall due together; poll.
            await asyncio.sleep(max(0.0, received + 4.5 - time.time()))
            await until_metric(client, servers[1], "responses_dropped_total", 1)
            assert await metric(client, servers[1], "responses_forwarded_late_total") == 0
            log_text = (tmp_path / f"{servers[1].name}.stderr.log").read_text()
            assert "not forwarded before its request's deadline" in log_text
            # An answer arriving after the deadline is not forwarded at all.
            late = {"jsonrpc": "2.0", "id": asked, "result": {"action": "decline"}}
            headers = await open_session(client, servers[1].url("/mcp"))
            assert (await client.post(servers[1].url("/mcp"), headers=headers, json=late)).status_code == 202
            await until_metric(client, servers[1], "responses_dropped_total", 2)
            assert (
                "arrived after its request's deadline"
                in (tmp_path / f"{servers[1].name}.stderr.log").read_text()
            )
