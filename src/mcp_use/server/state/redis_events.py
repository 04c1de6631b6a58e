"""Resumable streams' events written through to Redis, kept while Redis does not answer.

Every event goes to a local log (so a resume on this process never needs Redis) and,
in order, to a Redis Stream so a `Last-Event-ID` can resume on any process. One writer
task per process sends the queue in batches. When a batch fails (Redis stopped,
restarting, unreachable), it goes back to the front of the queue and is retried with
a backoff, before anything newer: a resume on another process after the fault sees
every event, in order.

The queue is bounded in bytes (`retry_bytes`, default 8 MiB per process). When an
event would not fit, its stream is *lost* for the other processes rather than quietly
left with a hole: its buffered events are released, its later ones are no longer
written, the loss is counted (`events_lost`, `streams_lost`, in `/metrics`) and logged
at ERROR once per stream, and once Redis answers a `{p}:e:{key}:lost` marker is stored
first, so a resume of that stream on another process is refused with a clear error
(410, "send the request again") instead of replaying a stream with a gap. A resume on
the process that wrote it still works from its local log.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import secrets
from typing import Any

from .events import Frame, StreamLog
from .memory import MemoryEventStore

log = logging.getLogger("mcp_use.server.state")
DEFAULT_RETRY_BYTES = 8 * 1024 * 1024
ITEM_OVERHEAD = 64  # bytes counted per queued item besides its payload (key, id, tuple)
MAX_BACKOFF = 1.0
# ("open" | "ev" | "end", stream key, session id or sequence number, event bytes)
Item = tuple[str, str, Any, bytes]


class RedisStreamLog(StreamLog):
    """A stream log kept in memory (fast local resume) and written through to Redis."""

    __slots__ = ("store",)

    def __init__(self, key: str, session_id: str | None, *, standalone: bool, size: int, store: Any) -> None:
        super().__init__(key, session_id, standalone=standalone, size=size)
        self.store = store

    def append(self, message: Any, frame: Frame) -> bytes:
        seq = self.next_seq
        chunk = super().append(message, frame)
        self.store.enqueue(("ev", self.key, seq, chunk))
        return chunk

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.store.enqueue(("end", self.key, self.next_seq, b""))


class RedisEventStore(MemoryEventStore):
    """Local logs as in memory, each event also added to a Redis Stream in order (batched)."""

    def __init__(self, state: Any, *, retry_bytes: int = DEFAULT_RETRY_BYTES) -> None:
        """`state`: the `RedisState` that owns this store (its client, keys and token)."""
        super().__init__(events_per_stream=state.events_per_stream, ttl=state.event_ttl)
        self.state = state
        self.retry_bytes = retry_bytes
        self._queue: collections.deque[Item] = collections.deque()
        self.queued_bytes = 0  # waiting or in flight
        self._inflight = 0  # items being written now (markers stay in `_unmarked` until stored)
        self._writer: asyncio.Task[None] | None = None
        self._lost: set[str] = set()  # streams no longer written (bounded by the TTL sweep below)
        self._unmarked: set[str] = set()  # lost streams whose marker Redis does not have yet
        # Counters for /metrics.
        self.write_failures = 0  # batches that failed and were kept for a retry
        self.events_lost = 0
        self.streams_lost = 0

    def open(self, session_id: str | None, *, standalone: bool = False) -> StreamLog:
        key = secrets.token_hex(8)
        log_ = RedisStreamLog(key, session_id, standalone=standalone, size=self.events_per_stream, store=self)
        self._hold(log_)
        if session_id is not None and not standalone:
            self.enqueue(("open", key, session_id, b""))
        return log_

    def enqueue(self, item: Item) -> None:
        key = item[1]
        if key in self._lost:
            self.events_lost += item[0] == "ev"
            return
        size = len(item[3]) + ITEM_OVERHEAD
        if self.queued_bytes + size > self.retry_bytes:
            self._lose(key)
            self.events_lost += item[0] == "ev"
            return
        self._queue.append(item)
        self.queued_bytes += size
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._flush())

    def _lose(self, key: str) -> None:
        """The queue is full: stream `key` is given up for the other processes (see above)."""
        self._lost.add(key)
        self._unmarked.add(key)
        self.streams_lost += 1
        kept: collections.deque[Item] = collections.deque()
        for item in self._queue:
            if item[1] == key:
                self.queued_bytes -= len(item[3]) + ITEM_OVERHEAD
                self.events_lost += item[0] == "ev"
            else:
                kept.append(item)
        self._queue = kept
        log.error(
            "Shared state: stream %s is lost for the other processes: Redis has not answered "
            "and this process's retry buffer (%d bytes) is full; a resume elsewhere is refused",
            key,
            self.retry_bytes,
        )

    async def _flush(self) -> None:
        """Send the queue in order; a failed batch goes back to its front and is retried."""
        pause = 0.05
        while self._queue or self._unmarked:
            batch = list(self._queue)
            self._queue.clear()
            marks = set(self._unmarked)
            self._inflight = len(batch)
            try:
                await self._write(batch, marks)
            except Exception as exc:
                self._inflight = 0
                self.write_failures += 1
                log.warning(
                    "Shared state: could not store %d stream event(s) yet (%s); retrying", len(batch), exc
                )
                kept = [item for item in batch if item[1] not in self._lost]  # lost meanwhile: released
                for item in batch:
                    if item[1] in self._lost:
                        self.queued_bytes -= len(item[3]) + ITEM_OVERHEAD
                        self.events_lost += item[0] == "ev"
                self._queue.extendleft(reversed(kept))
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_BACKOFF)
                continue
            pause = 0.05
            self._inflight = 0
            self.queued_bytes -= sum(len(item[3]) + ITEM_OVERHEAD for item in batch)
            self._unmarked -= marks
            # A lost stream stays lost while this process may still write to it.
            self._lost = {key for key in self._lost if key in self._unmarked or self._still_open(key)}

    @property
    def waiting(self) -> int:
        """Items and lost-stream markers not in Redis yet (queued or being written)."""
        return len(self._queue) + self._inflight + len(self._unmarked)

    def _still_open(self, key: str) -> bool:
        found = self._logs.get(key)
        return found is not None and not found.finished

    def reshare(self) -> None:
        """Redis restarted empty: write again every stream this process holds, from its
        local log (lost streams get their marker again), ahead of nothing it needs."""
        self._unmarked |= self._lost
        for key, held in self._logs.items():
            if held.session_id is not None and not held.standalone and key not in self._lost:
                self.enqueue(("reset", key, held.session_id, b""))
        if self._unmarked and (self._writer is None or self._writer.done()):
            self._writer = asyncio.get_running_loop().create_task(self._flush())

    async def _write(self, batch: list[Item], marks: set[str]) -> None:
        """One pipeline, not a transaction. A batch may be sent again after it reached
        Redis (a reply lost to a stall or a timeout): an entry already there is refused
        by its id (`0-{seq}` not above the top) and that refusal is what it means."""
        state = self.state
        ttl = state.event_ttl
        keys: set[str] = set()
        async with state.client.pipeline(transaction=False) as pipe:
            for key in marks:  # first: a resume elsewhere must not replay a stream with a gap
                pipe.set(state.key("e", key, "lost"), b"1", ex=ttl)
            for kind, key, value, chunk in batch:
                skey = state.key("e", key)
                if kind in ("open", "reset"):
                    pipe.set(state.key("e", key, "o"), f"{value} {state.token}", ex=ttl)
                    if kind == "reset":
                        self._rewrite(pipe, key, skey)
                        keys.add(skey)
                    continue
                fields = {"c": chunk} if kind == "ev" else {"end": b"1"}
                pipe.xadd(skey, fields, id=f"0-{value}", maxlen=self.events_per_stream, approximate=True)
                keys.add(skey)
            for skey in keys:
                pipe.expire(skey, ttl)
            results = await pipe.execute(raise_on_error=False)
        for result in results:
            if isinstance(result, Exception) and not _already_stored(result):
                raise result

    def _rewrite(self, pipe: Any, key: str, skey: str) -> None:
        """The whole local log of stream `key` into a fresh Redis Stream."""
        pipe.delete(skey)
        held = self._logs.get(key)
        if held is None:
            return
        for seq, chunk in held.events:
            pipe.xadd(skey, {"c": chunk}, id=f"0-{seq}", maxlen=self.events_per_stream, approximate=True)
        if held.finished:
            pipe.xadd(skey, {"end": b"1"}, id=f"0-{held.next_seq}")


def _already_stored(error: Exception) -> bool:
    """XADD refused an id not above the stream's top: that entry is already there."""
    return "equal or smaller" in str(error)
