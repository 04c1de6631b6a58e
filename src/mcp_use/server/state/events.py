"""Event logs that make legacy-era SSE streams resumable with `Last-Event-ID`.

Each SSE stream (a POST answered as a stream, or a session's GET stream) writes its
events to a `StreamLog`. When the connection drops, or the server closes it on purpose
(`ctx.close_sse_stream()`), events keep going to the log; a client that reconnects
with the last id it saw gets the rest, then the live tail until the stream finishes.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from ...protocol import jsonrpc

Forward = Callable[[bytes], Awaitable[None]]
# Frames one message as an SSE event with the given id (the transport's `sse_event`):
# passed in, so the state layer needs nothing of the transports.
Frame = Callable[[jsonrpc.Message, str], bytes]


class StreamLost(RuntimeError):
    """A stream's events did not all reach the shared state (see `redis_events.py`):
    resuming it on another process would skip some, so the resume is refused instead."""


class StreamLog:
    __slots__ = (
        "created",
        "events",
        "finished",
        "key",
        "live",
        "next_seq",
        "on_size",
        "session_id",
        "size",
        "standalone",
    )

    def __init__(self, key: str, session_id: str | None, *, standalone: bool, size: int) -> None:
        self.key = key
        self.session_id = session_id
        self.standalone = standalone
        self.events: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=size)
        self.next_seq = 1
        self.finished = False
        self.live: Forward | None = None
        self.created = time.monotonic()
        self.size = 0  # bytes held, so the store can bound its total
        self.on_size: Callable[[int], None] | None = None  # the store's byte counter

    def event_id(self, seq: int) -> str:
        return f"{self.key}_{seq}"

    def append(self, message: jsonrpc.Message, frame: Frame) -> bytes:
        """Frame `message` as the next event, keep it, and return the bytes to send."""
        seq = self.next_seq
        self.next_seq += 1
        chunk = frame(message, self.event_id(seq))
        events = self.events
        delta = len(chunk)
        if events.maxlen is not None and len(events) == events.maxlen:
            delta -= len(events[0][1])  # the oldest event falls off
        events.append((seq, chunk))
        self.size += delta
        if self.on_size is not None:
            self.on_size(delta)
        return chunk

    def finish(self) -> None:
        """No more events; a resumed client's stream ends after the last one."""
        self.finished = True

    def priming(self, retry_ms: int) -> bytes:
        """The first event: an id and no data, so the client can resume from the start."""
        return f"id: {self.event_id(0)}\nretry: {retry_ms}\ndata: \n\n".encode()

    def after(self, seq: int) -> list[bytes]:
        return [chunk for s, chunk in self.events if s > seq]


def parse_event_id(event_id: str) -> tuple[str, int] | None:
    key, sep, seq = event_id.strip().rpartition("_")
    if not sep or not seq.isdigit():
        return None
    return key, int(seq)


class EventStore(Protocol):
    """Holds stream logs; the memory store serves one process, a shared one many."""

    def open(self, session_id: str | None, *, standalone: bool = False) -> StreamLog: ...

    def get(self, key: str) -> StreamLog | None: ...

    def discard(self, key: str) -> None: ...
