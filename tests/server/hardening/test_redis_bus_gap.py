"""A session ended anywhere is never served afterwards, even by a process whose pub/sub
connection broke and so missed the `end` message (three processes, real redis-server).

The gap is made on purpose and held open: `maxclients` is lowered to the connections
open now, then every pub/sub connection is killed (`CLIENT KILL TYPE pubsub`), so no
process can resubscribe until the test raises the limit again. A DELETE on C during the
gap must still be a 404 on A and B (they check the session's tombstone per request while
their bus is down), and a session deleted during the gap but not asked for is ended by
the re-check once the bus is back.
"""

from __future__ import annotations

import asyncio

import httpx
import redis

from tests.helpers import ServerProcess
from tests.helpers.redis import RestartableRedis as Redis

from .asgi import open_session
from .redis_processes import TIMEOUT, call
from .test_redis_retry import metric, until_metric


async def cached_everywhere(client: httpx.AsyncClient, trio: list[ServerProcess]) -> dict[str, str]:
    headers = await open_session(client, trio[0].url("/mcp"))
    for server in trio[1:]:
        assert (
            await client.post(server.url("/mcp"), headers=headers, json=call(2, "whoami"))
        ).status_code == 200
    return headers


async def test_delete_during_a_bus_gap_is_not_served_by_any_process(
    redis: Redis, trio: list[ServerProcess]
) -> None:
    a, b, c = trio
    admin = redis_client(redis)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        asked = await cached_everywhere(client, trio)
        unasked = await cached_everywhere(client, trio)
        alive = await cached_everywhere(client, trio)
        held = await metric(client, a, "sessions_open")
        try:
            connected = len(admin.client_list())
            pubsubs = len(admin.client_list(_type="pubsub"))
            assert pubsubs == 3, admin.client_list(_type="pubsub")
            admin.config_set("maxclients", connected - pubsubs)  # no process can resubscribe
            admin.client_kill_filter(_type="pubsub")
            for server in (a, b):
                await until_metric(client, server, "bus_gap", 1)
            for session in (asked, unasked):
                assert (await client.delete(c.url("/mcp"), headers=session)).status_code == 200
            for server in (a, b):  # the `end` never reached them: the tombstone did
                refused = await client.post(server.url("/mcp"), headers=asked, json=call(3, "whoami"))
                assert refused.status_code == 404, refused.text
            served = await client.post(a.url("/mcp"), headers=alive, json=call(4, "whoami"))
            assert served.status_code == 200, served.text  # a live session is still served
            assert await metric(client, a, "bus_gap") == 1  # still cut off
        finally:
            admin.config_set("maxclients", 10000)
        for server in (a, b):
            await until_metric(client, server, "bus_gap", 0)
            assert await metric(client, server, "sessions_ended_on_recheck_total") == 1  # `unasked`
        assert await metric(client, a, "sessions_open") == held - 2
        # Back on the fast path (no check per request), the re-check already ended it.
        gone = await client.post(a.url("/mcp"), headers=unasked, json=call(5, "whoami"))
        assert gone.status_code == 404
        assert (await client.post(b.url("/mcp"), headers=alive, json=call(6, "whoami"))).status_code == 200
        assert await metric(client, a, "bus_gaps_total") == 1


def redis_client(server: Redis) -> redis.Redis:
    return redis.Redis.from_url(server.url, socket_timeout=5)


async def test_end_reaches_every_process_before_delete_answers(
    redis: Redis, trio: list[ServerProcess]
) -> None:
    """Without a fault: right after the DELETE's 200, no process serves the session (the
    DELETE waits for the others to acknowledge the `end`), many times over."""
    a, b, c = trio
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        for i in range(15):
            headers = await cached_everywhere(client, trio)
            assert (await client.delete(c.url("/mcp"), headers=headers)).status_code == 200
            answers = await asyncio.gather(
                *(client.post(s.url("/mcp"), headers=headers, json=call(10 + i, "whoami")) for s in (a, b))
            )
            assert [r.status_code for r in answers] == [404, 404]
