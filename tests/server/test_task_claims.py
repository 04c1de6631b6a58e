"""Claims on task input requests (`state.tasks`): one asker at a time per (task, key),
given back only by its holder, final once answered, and an answered key dropped from
any later save of the record until the owner asks it again. The same contract on the
memory store and on `RedisTaskStore` over a real redis-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from mcp_use.server.state.redis_tasks import RedisTaskStore
from mcp_use.server.state.tasks import MemoryTaskStore
from mcp_use.server.tasks.records import TaskRecord
from tests.helpers.redis import redis_server

pytestmark = pytest.mark.timeout(60)


class _Shared:
    """What `RedisTaskStore` uses of `RedisState`: a real client, a token and key names."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = "proc1"
        self.prefix = f"c{uuid.uuid4().hex[:6]}"

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryTaskStore()
        return
    with redis_server(tmp_path) as url:
        client = aioredis.Redis.from_url(url)
        shared = RedisTaskStore(_Shared(client))
        shared.decode = TaskRecord.from_dict
        try:
            yield shared
        finally:
            await client.aclose()


def _asking(task_id: str, *keys: str) -> TaskRecord:
    record = TaskRecord(id=task_id, tool="t", owner="proc1", scope="s:1", ttl_ms=60_000, poll_ms=100)
    record.move("input_required")
    for key in keys:
        record.input_requests[key] = {"method": "elicitation/create", "params": {"message": key}}
    return record


async def test_one_asker_at_a_time_and_only_the_holder_releases(store: Any) -> None:
    assert await store.claim("t1", "k", "b:1", 30) is True
    assert await store.claim("t1", "k", "c:1", 30) is False  # B asks it: C does not
    assert await store.claim("t1", "other", "c:1", 30) is True  # another key is free
    await store.release("t1", "k", "c:1")  # not C's to give back
    assert await store.claim("t1", "k", "c:2", 30) is False
    await store.release("t1", "k", "b:1")  # B's ask failed: someone else may ask
    assert await store.claim("t1", "k", "c:2", 30) is True


async def test_a_claim_lapses_after_its_ttl(store: Any) -> None:
    assert await store.claim("t2", "k", "b:1", 0.2)
    await asyncio.sleep(0.4)
    assert await store.claim("t2", "k", "c:1", 30)  # B went silent: the claim expired


async def test_an_answered_key_is_never_asked_again_nor_re_added(store: Any) -> None:
    record = _asking("t3", "name", "age")
    assert await store.save(record)
    await store.answered("t3", "name", 60)  # answered through another process
    assert await store.claim("t3", "name", "c:1", 30) is False
    stale = _asking("t3", "name", "age")  # the owner's older copy, still asking both
    assert await store.save(stale)
    assert list(stale.input_requests) == ["age"]
    stored = await store.get("t3")
    assert list(stored.input_requests) == ["age"]
    await store.reopen("t3", "name")  # the owner asks that key anew
    again = _asking("t3", "name", "age")
    assert await store.save(again)
    assert sorted((await store.get("t3")).input_requests) == ["age", "name"]
    assert await store.claim("t3", "name", "b:2", 30) is True
