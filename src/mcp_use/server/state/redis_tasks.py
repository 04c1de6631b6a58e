"""Task records on Redis, so any process answers `tasks/get` for any task.

Keys (under the `RedisState` prefix): `{p}:t:{id}` one record as JSON, expiring with
its TTL. A record names its owner process; `{p}:proc:{owner}` is that process's
heartbeat key (refreshed by `RedisState`), so its absence means the owner died.
Cancellations and input answers for a task run elsewhere travel to the owner on its
own channel `{p}:p:{owner}` (the `task` messages of `bus.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from .tasks import StoredTask


class SharedRedis(Protocol):
    """What the store uses of `RedisState` (not imported: it builds this store)."""

    client: Any
    token: str

    def key(self, *parts: str) -> str: ...


# Write a record unless the stored one is already terminal: a terminal status is final
# for every process (a late "working" from the owner cannot undo another's cancel).
_SAVE = """
local current = redis.call('GET', KEYS[1])
if current then
  local status = cjson.decode(current)['status']
  if status == 'completed' or status == 'failed' or status == 'cancelled' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


class RedisTaskStore:
    def __init__(self, state: SharedRedis) -> None:
        self.state = state
        # How a stored dict becomes a record again: set by the task runner that uses it
        # (the record type lives in the task layer, above this one).
        self.decode: Callable[[dict[str, Any]], StoredTask] | None = None

    @property
    def token(self) -> str:
        return self.state.token

    async def save(self, record: StoredTask) -> bool:
        """Store it; False (nothing written) when the stored record is already terminal."""
        ttl_ms = max(1, int((record.expires_at - time.time()) * 1000))
        body = orjson.dumps(record.to_dict())
        return bool(await self.state.client.eval(_SAVE, 1, self._key(record.id), body, ttl_ms))

    async def get(self, task_id: str) -> StoredTask | None:
        raw = await self.state.client.get(self._key(task_id))
        return self._decode(orjson.loads(raw)) if raw else None

    async def list(self, scope: str) -> list[StoredTask]:
        client = self.state.client
        keys = [k async for k in client.scan_iter(match=self._key("*"), count=500)]
        records = []
        for raw in await client.mget(keys) if keys else []:
            if raw:
                record = self._decode(orjson.loads(raw))
                if record.scope == scope:
                    records.append(record)
        return sorted(records, key=lambda r: r.created)

    async def alive(self, owner: str) -> bool:
        if owner == self.state.token:
            return True
        return bool(await self.state.client.exists(self.state.key("proc", owner)))

    async def signal(self, owner: str, message: dict[str, Any]) -> None:
        data = {**message, "o": self.state.token}
        await self.state.client.publish(self.state.key("p", owner), orjson.dumps(data))

    def _decode(self, data: dict[str, Any]) -> StoredTask:
        if self.decode is None:
            raise RuntimeError("RedisTaskStore.decode is not set: no task runner uses this store")
        return self.decode(data)

    def _key(self, task_id: str) -> str:
        return self.state.key("t", task_id)
