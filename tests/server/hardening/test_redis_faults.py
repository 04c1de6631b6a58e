"""Redis faults under load, with three server processes on one real `redis-server`.

A stopped (SIGSTOP) Redis: requests that need shared state get 503 + Retry-After and a
JSON-RPC body (never 404), DELETE fails with 503 and leaves the session alive, and a
pending elicitation answered through another process is delivered once Redis answers
again. A killed and restarted (empty) Redis: the same elicitation survives, the
sessions come back, and stale pooled connections are replaced before use.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from typing import Any

import httpx

from tests.helpers import ServerProcess
from tests.helpers.redis import RestartableRedis as Redis
from tests.helpers.sse import sse_events

from .asgi import open_session
from .redis_processes import TIMEOUT, call
from .test_redis_retry import metric, until_metric


async def load(
    client: httpx.AsyncClient, urls: list[str], headers: dict[str, str], stop: asyncio.Event
) -> Counter[str]:
    """Calls on a session every process has cached, round robin: each must be answered."""
    seen: Counter[str] = Counter()
    n = 100
    while not stop.is_set():
        n += 1
        url = urls[n % len(urls)]
        try:
            response = await client.post(url, headers=headers, json=call(n, "whoami"))
        except httpx.HTTPError as exc:
            seen[f"transport error {type(exc).__name__}"] += 1
            continue
        if response.status_code == 200 and "result" in response.text:
            seen["answered"] += 1
        else:
            seen[f"HTTP {response.status_code}"] += 1
        await asyncio.sleep(0.02)
    return seen


async def elicit_across(
    client: httpx.AsyncClient, holder: str, other: str, headers: dict[str, str], fault: Any
) -> dict[str, Any]:
    """Start `ask` on `holder`, run `fault()` once the elicitation arrives, answer it
    through `other` (retrying a 503 as a client would), and return the call's answer."""
    async with client.stream(
        "POST", holder, headers=headers, json=call(1, "ask", {"question": "?"})
    ) as response:
        async for _id, message in sse_events(response):
            if message is None:
                continue
            if message.get("method") == "elicitation/create":
                await fault()
                reply = {
                    "jsonrpc": "2.0",
                    "id": message["id"],
                    "result": {"action": "accept", "content": {"answer": "42"}},
                }
                for _ in range(40):
                    posted = await client.post(other, headers=headers, json=reply)
                    if posted.status_code == 202:
                        break
                    assert posted.status_code == 503, posted.text
                    await asyncio.sleep(0.5)
                assert posted.status_code == 202
            elif message.get("id") == 1:
                return message
    raise AssertionError("the call's stream ended without its answer")


async def test_stopped_redis_gives_503_and_loses_no_answer(redis: Redis, trio: list[ServerProcess]) -> None:
    a, b, c = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a, {"elicitation": {}})
        for url in (b, c):  # every process has the session cached
            assert (await client.post(url, headers=headers, json=call(2, "whoami"))).status_code == 200
        uncached = await open_session(client, a, {"elicitation": {}})  # only A holds this one
        stop = asyncio.Event()
        background = asyncio.create_task(load(client, [a, b, c], headers, stop))

        async def pause_redis() -> None:
            redis.signal(signal.SIGSTOP)
            started = time.monotonic()
            refused = await client.post(b, headers=uncached, json=call(3, "whoami"))
            assert time.monotonic() - started < 15
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "5"
            body = refused.json()
            assert body["jsonrpc"] == "2.0" and body["id"] == 3
            assert "shared state unavailable" in body["error"]["message"]
            deleted = await client.delete(c, headers=uncached)
            assert deleted.status_code == 503 and deleted.json()["error"]["code"] == -32600
            asyncio.get_running_loop().call_later(2.0, redis.signal, signal.SIGCONT)

        answer = await elicit_across(client, a, b, headers, pause_redis)
        assert answer["result"]["content"][0]["text"] == f"accept:42:{trio[0].pid}"
        stop.set()
        seen = await background
        assert seen["answered"] > 0
        assert set(seen) <= {"answered", "HTTP 503"}, seen  # never a 404, never a hang
        # The DELETE refused during the fault left the session alive everywhere.
        assert (await client.post(b, headers=uncached, json=call(4, "whoami"))).status_code == 200
        assert (await client.delete(c, headers=uncached)).status_code == 200
        gone = await client.post(a, headers=uncached, json=call(5, "whoami"))
        assert gone.status_code == 404
        for server in trio:  # no process is left checking every request (a stuck bus gap)
            await until_metric(client, server, "bus_gap", 0)


async def test_killed_and_restarted_redis_keeps_sessions_and_answers(
    redis: Redis, trio: list[ServerProcess]
) -> None:
    a, b, c = (s.url("/mcp") for s in trio)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        headers = await open_session(client, a, {"elicitation": {}})
        assert (await client.post(b, headers=headers, json=call(2, "whoami"))).status_code == 200

        async def restart_redis() -> None:
            redis.kill()
            down = await client.post(c, headers=headers, json=call(3, "whoami"))
            assert down.status_code == 503, down.text
            redis.start()  # empty: no session records, no subscriptions

        answer = await elicit_across(client, a, b, headers, restart_redis)
        assert answer["result"]["content"][0]["text"] == f"accept:42:{trio[0].pid}"
        # C never cached the session: it finds it again once A and B stored it anew,
        # and no request fails on a stale pooled connection.
        statuses = []
        for i in range(30):
            response = await client.post(c, headers=headers, json=call(10 + i, "whoami"))
            statuses.append(response.status_code)
            if response.status_code == 200:
                break
            await asyncio.sleep(0.3)
        assert statuses[-1] == 200, statuses
        assert 404 not in statuses
        results = [
            await client.post(u, headers=headers, json=call(50 + i, "whoami"))
            for i, u in enumerate([a, b, c] * 3)
        ]
        assert [r.status_code for r in results] == [200] * 9
        for server in trio:  # resubscribed and re-checked: the restart ended no session
            await until_metric(client, server, "bus_gap", 0)
            assert await metric(client, server, "sessions_ended_on_recheck_total") == 0
