"""`tasks/list` pages (2025-11-25): the stores' ordered listing and the opaque cursor.

Both stores list a scope's records in (expires_at, id) order after a position, so a page
ends where the next begins even when records are created or expire in between. The
Redis store is exercised on a real `redis-server` through its scope index; the cursor
is checked for round trips and for what a client could send instead of one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mcp_use import MCPError
from mcp_use.server.state.redis_tasks import RedisTaskStore
from mcp_use.server.state.tasks import MemoryTaskStore, position
from mcp_use.server.tasks import cursor
from mcp_use.server.tasks.records import TaskRecord
from tests.server.test_tasks_redis import redis_url  # noqa: F401  (the real redis-server fixture)


class Shared:
    """What `RedisTaskStore` uses of `RedisState` (its `SharedRedis` protocol), on a real client."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.token = "proc-1"
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryTaskStore()
        return
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(request.getfixturevalue("redis_url"))
    shared = RedisTaskStore(Shared(client, f"pages{time.monotonic_ns()}"))
    shared.decode = TaskRecord.from_dict
    yield shared
    await client.aclose()


def _record(task_id: str, created: float, scope: str = "s:one", ttl_ms: int = 60_000) -> TaskRecord:
    return TaskRecord(
        id=task_id, tool="t", owner="proc-1", scope=scope, ttl_ms=ttl_ms, poll_ms=100, created=created
    )


async def _pages(store: Any, scope: str, size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        records = await store.list(scope, after=after, limit=size)
        if records:
            pages.append([r.id for r in records])
        if len(records) < size:
            return pages
        after = position(records[-1])


async def test_pages_follow_expiry_order_and_do_not_repeat(store: Any) -> None:
    """With one TTL for all (the default), expiry order is creation order."""
    now = time.time()
    ids = [f"task-{n}" for n in range(7)]
    for n, task_id in enumerate(reversed(ids)):  # saved newest first: the order is by creation
        await store.save(_record(task_id, now - 30 + (6 - n)))
    await store.save(_record("tie-b", now - 20))  # two at the same instant: the id breaks the tie
    await store.save(_record("tie-a", now - 20))
    await store.save(_record("elsewhere", now - 29, scope="s:two"))
    expected = [*ids, "tie-a", "tie-b"]
    assert await _pages(store, "s:one", 3) == [expected[0:3], expected[3:6], expected[6:9]]
    assert await _pages(store, "s:one", 4) == [expected[0:4], expected[4:8], expected[8:9]]
    assert [r.id for r in await store.list("s:one")] == expected
    assert [r.id for r in await store.list("s:two")] == ["elsewhere"]

    # Between two pages: one listed task goes away, a new one arrives; the next page
    # starts right after the last task shown, skipping nothing that is still there.
    first = await store.list("s:one", limit=3)
    await _expire(store, "task-4")
    await store.save(_record("newest", now))
    rest = await store.list("s:one", after=position(first[-1]))
    assert [r.id for r in rest] == ["task-3", "task-5", "task-6", "tie-a", "tie-b", "newest"]


async def _expire(store: Any, task_id: str) -> None:
    if isinstance(store, MemoryTaskStore):
        record = await store.get(task_id)
        assert record is not None
        record.ttl_ms = 1  # created long ago: past its TTL now
        return
    await store.state.client.delete(store.state.key("t", task_id))  # as Redis expiry does


async def test_redis_index_drops_expired_ids_and_expires_with_its_records(
    redis_url: str,  # noqa: F811
) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    shared = RedisTaskStore(Shared(client, f"idx{time.monotonic_ns()}"))
    shared.decode = TaskRecord.from_dict
    try:
        await shared.save(_record("short", time.time() - 1, ttl_ms=1500))
        await shared.save(_record("long", time.time(), ttl_ms=4000))
        index = shared.state.key("ts", "s:one")
        assert await client.zcard(index) == 2
        assert 3000 < await client.pttl(index) <= 4000  # as long as the longest-lived record
        await client.delete(shared.state.key("t", "short"))
        assert [r.id for r in await shared.list("s:one")] == ["long"]
        assert await client.zrange(index, 0, -1) == [b"long"]  # the expired id left the index
        # A scope nobody lists: each save drops the ids already past their expiry.
        await shared.save(_record("gone", time.time() - 10, scope="", ttl_ms=1000))
        await shared.save(_record("live", time.time(), scope=""))
        assert await client.zrange(shared.state.key("ts", ""), 0, -1) == [b"live"]
    finally:
        await client.aclose()


def test_cursor_round_trip_and_refusals() -> None:
    record = _record("abc", 1_764_600_000.123456)
    token = cursor.encode(record)
    assert cursor.decode(token) == position(record) == (1_764_600_060.123456, "abc")
    assert cursor.decode(None) is None
    for bad in ["", "not a cursor!", "W10", "bnVsbA", 42, ["x"], "A" * 600, cursor.encode(record)[:-3]]:
        with pytest.raises(MCPError) as info:
            cursor.decode(bad)
        assert info.value.code == -32602 and "Invalid cursor" in str(info.value)
