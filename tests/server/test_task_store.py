"""The in-memory task store's bounds and the record lifecycle, on real objects."""

from __future__ import annotations

import time

import pytest

from mcp_use.server.state.tasks import MemoryTaskStore
from mcp_use.server.tasks.records import TaskRecord, TransitionError


def _record(task_id: str, *, ttl_ms: int = 60_000, created: float | None = None) -> TaskRecord:
    return TaskRecord(
        id=task_id,
        tool="t",
        owner="local",
        scope="",
        ttl_ms=ttl_ms,
        poll_ms=100,
        created=created or time.time(),
    )


def _finished(task_id: str, size: int) -> TaskRecord:
    record = _record(task_id)
    record.move("completed")
    record.result = {"content": [{"type": "text", "text": "x" * size}]}
    return record


async def test_result_bytes_budget_drops_the_oldest_finished_records() -> None:
    store = MemoryTaskStore(max_bytes=3000)
    running = _record("running")
    await store.save(running)
    for n in range(4):
        await store.save(_finished(f"done-{n}", 900))
    assert store.bytes <= 3000
    assert await store.get("done-0") is None  # the oldest finished one went
    assert await store.get("done-3") is not None
    assert await store.get("running") is running  # a running task is never dropped for bytes


async def test_count_bound_and_expiry() -> None:
    store = MemoryTaskStore(max_records=3)
    for n in range(3):
        await store.save(_finished(f"f{n}", 10))
    await store.save(_record("new"))
    assert len(store) == 3 and await store.get("f0") is None
    old = _record("old", ttl_ms=1000, created=time.time() - 5)
    await store.save(old)
    assert await store.get("old") is None  # past its TTL: gone
    assert [r.id for r in await store.list("")] == ["f2", "new"]


def test_terminal_records_never_change_and_wire_shapes() -> None:
    record = _record("r1")
    record.move("input_required")
    record.input_requests["k"] = {"method": "elicitation/create", "params": {}}
    assert record.modern_wire(detailed=True)["inputRequests"] == {
        "k": {"method": "elicitation/create", "params": {}}
    }
    record.move("working")
    assert record.input_requests == {}
    record.move("cancelled")
    with pytest.raises(TransitionError):
        record.move("completed")
    with pytest.raises(TransitionError):
        _record("r2").move("paused")
    legacy = record.legacy_wire()
    assert legacy["ttl"] == 60_000 and "ttlMs" not in legacy and legacy["createdAt"].endswith("Z")
    assert TaskRecord.from_dict(record.to_dict()) == record
