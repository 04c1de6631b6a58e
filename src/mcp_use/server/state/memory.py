"""The default, in-process event store: bounded in streams, events per stream and age."""

from __future__ import annotations

import collections
import secrets
import time

from .events import StreamLog


class MemoryEventStore:
    def __init__(self, *, max_streams: int = 4096, events_per_stream: int = 1024, ttl: float = 600.0):
        self.max_streams = max_streams
        self.events_per_stream = events_per_stream
        self.ttl = ttl
        self._logs: collections.OrderedDict[str, StreamLog] = collections.OrderedDict()

    def open(self, session_id: str | None, *, standalone: bool = False) -> StreamLog:
        self._evict()
        key = secrets.token_hex(8)
        log = StreamLog(key, session_id, standalone=standalone, size=self.events_per_stream)
        self._logs[key] = log
        return log

    def get(self, key: str) -> StreamLog | None:
        log = self._logs.get(key)
        if log is not None and time.monotonic() - log.created > self.ttl and log.finished:
            self.discard(key)
            return None
        return log

    def discard(self, key: str) -> None:
        self._logs.pop(key, None)

    def __len__(self) -> int:
        return len(self._logs)

    def _evict(self) -> None:
        now = time.monotonic()
        logs = self._logs
        while logs:
            oldest = next(iter(logs.values()))
            if len(logs) >= self.max_streams or (oldest.finished and now - oldest.created > self.ttl):
                logs.popitem(last=False)
            else:
                break
