"""Task records on Redis, so any process answers `tasks/get` for any task.

Keys (under the `RedisState` prefix): `{p}:t:{id}` one record as JSON, expiring with
its TTL; `{p}:ts:{scope}` a sorted set of the scope's task ids scored by expiry time,
so a page of `tasks/list` costs one range read and one MGET, not a scan of every
task. Every save drops the ids already past their expiry (so the set holds live tasks
only, also for scopes nobody lists), and the set itself expires with its
longest-lived record. `{p}:tc:{id}:{key}` claims an input request (`SET NX` with a
TTL: one asker at a time), and holds `done` once it is answered. A record names its owner process; `{p}:proc:{owner}` is that process's
heartbeat key (refreshed by `RedisState`), so its absence means the owner died.
Cancellations and input answers for a task run elsewhere travel to the owner on its
own channel `{p}:p:{owner}` (the `task` messages of `bus.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from .tasks import Position, StoredTask


class SharedRedis(Protocol):
    """What the store uses of `RedisState` (not imported: it builds this store)."""

    client: Any
    token: str

    def key(self, *parts: str) -> str: ...


# Write a record unless the stored one is already terminal: a terminal status is final
# for every process (a late "working" from the owner cannot undo another's cancel).
# Nor unless one of its input requests (KEYS[3..], their claims) was answered: those
# keys come back (a table) for the caller to drop and write again, so an older copy
# cannot re-add an answered key. The scope's index gets the id (once) and lives at
# least as long as the record.
_SAVE = """
local answered = {}
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) == 'done' then answered[#answered + 1] = ARGV[i + 2] end
end
if #answered > 0 then return answered end
local current = redis.call('GET', KEYS[1])
if current then
  local status = cjson.decode(current)['status']
  if status == 'completed' or status == 'failed' or status == 'cancelled' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[4])
local now = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(now[1]) + tonumber(now[2]) / 1000000))
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
"""
# Give up a claim only if this asker still holds it (it may have expired and moved on).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
LIST_BATCH = 200


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
        while True:
            ttl_ms = max(1, int((record.expires_at - time.time()) * 1000))
            body = orjson.dumps(record.to_dict())
            asked = list(record.input_requests)
            keys = (
                self._key(record.id),
                self._index(record.scope),
                *(self._claim(record.id, k) for k in asked),
            )
            args = (body, ttl_ms, repr(record.expires_at), record.id, *asked)
            outcome = await self.state.client.eval(_SAVE, len(keys), *keys, *args)
            if not isinstance(outcome, list):
                return bool(outcome)
            for key in outcome:  # answered elsewhere meanwhile: not to be asked again
                record.input_requests.pop(_text(key), None)

    async def claim(self, task_id: str, key: str, holder: str, ttl: float) -> bool:
        """The right to ask the client input `key` of `task_id`, for `ttl` seconds at most."""
        ttl_ms = max(1, int(ttl * 1000))
        return bool(await self.state.client.set(self._claim(task_id, key), holder, nx=True, px=ttl_ms))

    async def release(self, task_id: str, key: str, holder: str) -> None:
        await self.state.client.eval(_RELEASE, 1, self._claim(task_id, key), holder)

    async def answered(self, task_id: str, key: str, ttl: float) -> None:
        """Final: nobody asks `key` again, and no save re-adds it, while the task lives."""
        await self.state.client.set(self._claim(task_id, key), "done", px=max(1, int(ttl * 1000)))

    async def get(self, task_id: str) -> StoredTask | None:
        raw = await self.state.client.get(self._key(task_id))
        return self._decode(orjson.loads(raw)) if raw else None

    async def list(
        self, scope: str, *, after: Position | None = None, limit: int | None = None
    ) -> list[StoredTask]:
        """The scope's records in (expires_at, id) order, strictly after `after`, at most `limit`."""
        client, index = self.state.client, self._index(scope)
        low = "-inf" if after is None else repr(after[0])  # inclusive: ties are skipped below
        found: list[StoredTask] = []
        offset = 0
        while limit is None or len(found) < limit:
            rows = await client.zrangebyscore(
                index, low, "+inf", start=offset, num=LIST_BATCH, withscores=True
            )
            offset += len(rows)
            ids = [_text(member) for member, score in rows if after is None or (score, _text(member)) > after]
            gone = []
            for task_id, raw in zip(
                ids, await client.mget([self._key(i) for i in ids]) if ids else [], strict=True
            ):
                if not raw:
                    gone.append(task_id)  # expired: its id goes too
                    continue
                record = self._decode(orjson.loads(raw))
                if record.scope == scope:
                    found.append(record)
            if gone:
                await client.zrem(index, *gone)
                offset -= len(gone)
            if len(rows) < LIST_BATCH:
                break
        return found if limit is None else found[:limit]

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

    async def reopen(self, task_id: str, key: str) -> None:
        """The owner asks `key` again: its claim (and `done`) from a previous ask goes."""
        await self.state.client.delete(self._claim(task_id, key))

    def _claim(self, task_id: str, key: str) -> str:
        return self.state.key("tc", task_id, key)

    def _index(self, scope: str) -> str:
        return self.state.key("ts", scope)


def _text(member: Any) -> str:
    return member.decode() if isinstance(member, bytes) else str(member)
