"""Where task records live. `MemoryTaskStore` is the default, for one process.

A store keeps records until their TTL passes, answers for any process sharing it, and
says whether the process that owns a record is still alive (so a task whose process
died is reported `failed`, not `working` for ever). `RedisTaskStore` (in
`.redis_tasks`) is the shared one.

Input requests of 2025-11-25 tasks are asked of the client by whichever process holds a
stream for it, so a store also keeps claims per (task, input key): `claim` grants the
right to ask to one asker at a time (until it `release`s it or the claim's TTL passes),
and `answered` makes it final, so a key answered anywhere is never asked again, and
`save` drops it from a record written afterwards (an owner's older copy cannot re-add it)
until the owner asks that key again (`reopen`).

Listing is paged: `list(scope, after=, limit=)` gives a scope's records ordered by
`(expires_at, id)` (a total order; with one TTL for all, creation order), those
strictly after the `after` position, at most `limit` of them, so `tasks/list` can hand
out a cursor that stays right when records are added or expire between pages. Expiry
rather than creation orders them so the Redis index can drop expired ids by score.
"""

from __future__ import annotations

import collections
import time
from typing import Any, Protocol

import orjson

DONE = "done"  # a claim's value once its input key is answered
Position = tuple[float, str]  # (expires_at, id): where a page of a listing ended


class StoredTask(Protocol):
    """What a store needs of a task record; the record type itself (`tasks.records`)
    belongs to the task layer above this one, which stores only keep."""

    id: str
    scope: str
    created: float
    result: dict[str, Any] | None
    input_requests: dict[str, Any]

    @property
    def expires_at(self) -> float: ...

    @property
    def terminal(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


class TaskStore(Protocol):
    token: str  # the owner id this process writes into the records it creates

    async def save(self, record: StoredTask) -> bool: ...  # False: the stored one is terminal
    async def get(self, task_id: str) -> StoredTask | None: ...
    async def list(
        self, scope: str, *, after: Position | None = None, limit: int | None = None
    ) -> list[StoredTask]: ...
    async def alive(self, owner: str) -> bool: ...
    async def signal(self, owner: str, message: dict[str, Any]) -> None: ...
    async def claim(self, task_id: str, key: str, holder: str, ttl: float) -> bool: ...
    async def release(self, task_id: str, key: str, holder: str) -> None: ...
    async def answered(self, task_id: str, key: str, ttl: float) -> None: ...
    async def reopen(self, task_id: str, key: str) -> None: ...


def position(record: StoredTask) -> Position:
    return (record.expires_at, record.id)


class MemoryTaskStore:
    """Records in a dict, bounded in count and in stored result bytes (expired records go
    first, then the oldest finished ones)."""

    token = "local"

    def __init__(self, *, max_records: int = 10_000, max_bytes: int = 256 << 20) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.bytes = 0
        self._records: collections.OrderedDict[str, StoredTask] = collections.OrderedDict()
        self._sizes: dict[str, int] = {}
        self._claims: dict[tuple[str, str], tuple[str, float]] = {}  # -> (holder or DONE, until)

    async def save(self, record: StoredTask) -> bool:
        for key in [k for k in record.input_requests if self._claimed(record.id, k) == DONE]:
            record.input_requests.pop(key, None)  # answered already: never re-added
        if record.id not in self._records:
            self._evict()
        self._records[record.id] = record
        if record.result is not None and record.id not in self._sizes:
            size = len(orjson.dumps(record.result))
            self._sizes[record.id] = size
            self.bytes += size
            while self.bytes > self.max_bytes and self._drop_oldest_finished(keep=record.id):
                pass
        return True  # one process holds the one copy: there is no other writer to lose to

    async def get(self, task_id: str) -> StoredTask | None:
        record = self._records.get(task_id)
        if record is not None and record.expires_at < time.time():
            self._drop(task_id)
            return None
        return record

    async def list(
        self, scope: str, *, after: Position | None = None, limit: int | None = None
    ) -> list[StoredTask]:
        now = time.time()
        found = sorted(
            (r for r in self._records.values() if r.scope == scope and r.expires_at >= now),
            key=position,
        )
        if after is not None:
            found = [r for r in found if position(r) > after]
        return found if limit is None else found[:limit]

    async def alive(self, owner: str) -> bool:
        return True  # one process: its owner is this process

    async def signal(self, owner: str, message: dict[str, Any]) -> None:
        raise RuntimeError("a memory task store has no other process to signal")

    async def claim(self, task_id: str, key: str, holder: str, ttl: float) -> bool:
        if self._claimed(task_id, key) is not None:
            return False
        if len(self._claims) >= self.max_records:
            now = time.monotonic()
            self._claims = {k: v for k, v in self._claims.items() if v[1] > now}
        self._claims[(task_id, key)] = (holder, time.monotonic() + ttl)
        return True

    async def release(self, task_id: str, key: str, holder: str) -> None:
        if self._claimed(task_id, key) == holder:
            del self._claims[(task_id, key)]

    async def answered(self, task_id: str, key: str, ttl: float) -> None:
        self._claims[(task_id, key)] = (DONE, time.monotonic() + ttl)

    async def reopen(self, task_id: str, key: str) -> None:
        self._claims.pop((task_id, key), None)

    def _claimed(self, task_id: str, key: str) -> str | None:
        found = self._claims.get((task_id, key))
        if found is None or found[1] <= time.monotonic():
            self._claims.pop((task_id, key), None)
            return None
        return found[0]

    def __len__(self) -> int:
        return len(self._records)

    def _evict(self) -> None:
        now = time.time()
        for task_id in [k for k, r in self._records.items() if r.expires_at < now]:
            self._drop(task_id)
        while len(self._records) >= self.max_records:
            if not self._drop_oldest_finished():
                self._drop(next(iter(self._records)))

    def _drop_oldest_finished(self, keep: str | None = None) -> bool:
        oldest = next((k for k, r in self._records.items() if r.terminal and k != keep), None)
        if oldest is None:
            return False
        self._drop(oldest)
        return True

    def _drop(self, task_id: str) -> None:
        self._records.pop(task_id, None)
        self.bytes -= self._sizes.pop(task_id, 0)
