"""Where task records live. `MemoryTaskStore` is the default, for one process.

A store keeps records until their TTL passes, answers for any process sharing it, and
says whether the process that owns a record is still alive (so a task whose process
died is reported `failed`, not `working` for ever). `RedisTaskStore` (in
`.redis_tasks`) is the shared one.
"""

from __future__ import annotations

import collections
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the record type belongs to the task layer above; stores only keep it
    from ..tasks.records import TaskRecord


class TaskStore(Protocol):
    token: str  # the owner id this process writes into the records it creates

    async def save(self, record: TaskRecord) -> None: ...
    async def get(self, task_id: str) -> TaskRecord | None: ...
    async def list(self, scope: str) -> list[TaskRecord]: ...
    async def alive(self, owner: str) -> bool: ...
    async def signal(self, owner: str, message: dict[str, Any]) -> None: ...


class MemoryTaskStore:
    """Records in a dict, bounded in count (expired ones go first, then the oldest)."""

    token = "local"

    def __init__(self, *, max_records: int = 10_000) -> None:
        self.max_records = max_records
        self._records: collections.OrderedDict[str, TaskRecord] = collections.OrderedDict()

    async def save(self, record: TaskRecord) -> None:
        if record.id not in self._records:
            self._evict()
        self._records[record.id] = record

    async def get(self, task_id: str) -> TaskRecord | None:
        record = self._records.get(task_id)
        if record is not None and record.expires_at < time.time():
            del self._records[task_id]
            return None
        return record

    async def list(self, scope: str) -> list[TaskRecord]:
        now = time.time()
        return [r for r in self._records.values() if r.scope == scope and r.expires_at >= now]

    async def alive(self, owner: str) -> bool:
        return True  # one process: its owner is this process

    async def signal(self, owner: str, message: dict[str, Any]) -> None:
        raise RuntimeError("a memory task store has no other process to signal")

    def __len__(self) -> int:
        return len(self._records)

    def _evict(self) -> None:
        now = time.time()
        for task_id in [k for k, r in self._records.items() if r.expires_at < now]:
            del self._records[task_id]
        while len(self._records) >= self.max_records:
            oldest = next((k for k, r in self._records.items() if r.terminal), None)
            self._records.pop(oldest if oldest is not None else next(iter(self._records)))
