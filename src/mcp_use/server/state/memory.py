"""The default, in-process event store: bounded in streams, events per stream, bytes and age.

A log is purged when its session ends (`forget_session`), when it is the oldest and the
store is over `max_bytes` or `max_streams`, and when it finished longer than `ttl` ago
(`sweep`, which the server runs on a timer, not only when a new stream opens).
"""

from __future__ import annotations

import collections
import secrets
import time

from .events import StreamLog

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class MemoryEventStore:
    def __init__(
        self,
        *,
        max_streams: int = 4096,
        events_per_stream: int = 1024,
        ttl: float = 600.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ):
        self.max_streams = max_streams
        self.events_per_stream = events_per_stream
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.bytes = 0
        self.purged = 0  # logs dropped before their time (bytes, count or session end)
        self._logs: collections.OrderedDict[str, StreamLog] = collections.OrderedDict()
        self._by_session: dict[str, set[str]] = {}

    def open(self, session_id: str | None, *, standalone: bool = False) -> StreamLog:
        return self._hold(
            StreamLog(secrets.token_hex(8), session_id, standalone=standalone, size=self.events_per_stream)
        )

    def _hold(self, log: StreamLog) -> StreamLog:
        self._evict()
        log.on_size = self._grew
        self._logs[log.key] = log
        if log.session_id is not None:
            self._by_session.setdefault(log.session_id, set()).add(log.key)
        return log

    def get(self, key: str) -> StreamLog | None:
        log = self._logs.get(key)
        if log is not None and time.monotonic() - log.created > self.ttl and log.finished:
            self.discard(key)
            return None
        return log

    def discard(self, key: str) -> None:
        log = self._logs.pop(key, None)
        if log is None:
            return
        log.on_size = None
        self.bytes -= log.size
        if log.session_id is not None:
            keys = self._by_session.get(log.session_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_session[log.session_id]

    def forget_session(self, session_id: str) -> None:
        """The session ended: nobody can resume its streams any more."""
        for key in list(self._by_session.get(session_id, ())):
            self.discard(key)
            self.purged += 1

    def sweep(self) -> None:
        """Drop logs past their age (the server's timer calls this)."""
        self._evict()

    def __len__(self) -> int:
        return len(self._logs)

    def _grew(self, delta: int) -> None:
        self.bytes += delta
        if self.bytes > self.max_bytes:
            self._evict()

    def _evict(self) -> None:
        now = time.monotonic()
        logs = self._logs
        while logs:
            oldest = next(iter(logs.values()))
            full = len(logs) >= self.max_streams or self.bytes > self.max_bytes
            if full or (oldest.finished and now - oldest.created > self.ttl):
                self.discard(oldest.key)
                if full:
                    self.purged += 1
            else:
                break
