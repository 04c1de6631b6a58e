"""stdin as a pipe, read in the pipe's data callback: the server side of stdio's input.

A reader task awaiting each line costs a loop turn per message (the callback wakes the
task, the task takes the line). Here the callback takes each line itself: a request
starts its task right there, a response settles its waiter. What must await (a
notification's handlers, an error to write) goes through one drain task, in order; the
lines behind it wait their turn, and when too many wait, the pipe stops being read
until the drain catches up, as a reader that awaited each message would.

A line longer than the limit is skipped whole (through its newline, so the message
behind it is not lost) and answered with one error, where its newline arrives.
"""

from __future__ import annotations

import asyncio
import collections
import os
import stat
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

TOO_LONG = b"\x00too-long"  # the thread reader's mark for a line over the limit
BACKLOG_PAUSE = 64  # lines waiting for the drain task before stdin is paused
BACKLOG_RESUME = 16


class LineTaker(Protocol):
    def accept(self, line: bytes) -> Awaitable[None] | None: ...

    def write(self, message: dict[str, Any]) -> Awaitable[None]: ...


class StdinFeed(asyncio.Protocol):
    """Splits stdin into lines and hands each to `taker.accept`, in order."""

    def __init__(self, taker: LineTaker, limit: int, too_long: dict[str, Any]) -> None:
        self.taker = taker
        self.limit = limit
        self.too_long = too_long
        self.parts: list[bytes] = []  # the line begun in earlier chunks
        self.size = 0
        self.skipping = False  # inside a line over the limit, until its newline
        self.backlog: collections.deque[bytes | Awaitable[None]] = collections.deque()
        self.drainer: asyncio.Task[None] | None = None
        self.transport: asyncio.ReadTransport | None = None
        self.paused = False
        self.error: Exception | None = None
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        end = data.find(b"\n")
        if end < 0:  # the middle of a line: kept in pieces (no copy per chunk)
            if not self.skipping:
                self.parts.append(data)
                self.size += len(data)
                if self.size > self.limit:
                    self._skip()
            return
        if self.parts:  # the end of a line begun in earlier chunks
            self.parts.append(data[: end + 1])
            line = b"".join(self.parts)
            self.parts.clear()
            self.size = 0
            self._line(TOO_LONG if len(line) - 1 > self.limit else line)
        else:
            self._line(TOO_LONG if self.skipping or end > self.limit else data[: end + 1])
        self.skipping = False
        start = end + 1
        end = data.find(b"\n", start)
        while end >= 0:
            self._line(TOO_LONG if end - start > self.limit else data[start : end + 1])
            start = end + 1
            end = data.find(b"\n", start)
        if start < len(data):
            self.data_received(data[start:])  # a line begun here: kept as above

    def _skip(self) -> None:
        self.skipping = True
        self.parts.clear()
        self.size = 0

    def eof_received(self) -> bool:
        self._end()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        if self.ended.done():
            return
        if self.skipping:
            self._line(TOO_LONG)
        elif self.parts:
            self._line(b"".join(self.parts))  # a last line without its newline still counts
        self.parts.clear()
        self.ended.set_result(None)

    def _line(self, line: bytes) -> None:
        if self.backlog:
            self.backlog.append(line)
            if len(self.backlog) > BACKLOG_PAUSE and not self.paused and self.transport is not None:
                self.paused = True
                self.transport.pause_reading()
            return
        pending = self._take(line)
        if pending is not None:
            self.backlog.append(pending)
            self.drainer = asyncio.ensure_future(self._drain())

    def _take(self, line: bytes) -> Awaitable[None] | None:
        return self.taker.write(self.too_long) if line == TOO_LONG else self.taker.accept(line)

    async def _drain(self) -> None:
        """Await the backlog's head, then take the lines behind it, until none waits."""
        backlog = self.backlog
        while backlog:
            item = backlog[0]
            pending = self._take(item) if isinstance(item, bytes) else item
            try:
                if pending is not None:
                    await pending
            except Exception as exc:  # a handler raised: the server stops, as it did when
                self.error = exc  # the reader awaited it itself
                if not self.ended.done():
                    self.ended.set_result(None)
                return
            backlog.popleft()
            if self.paused and len(backlog) < BACKLOG_RESUME and self.transport is not None:
                self.paused = False
                self.transport.resume_reading()

    async def finished(self) -> None:
        """Until stdin ends and every line taken has been dealt with (re-raising what a
        handler raised)."""
        await self.ended
        while self.drainer is not None and not self.drainer.done():
            await asyncio.shield(self.drainer)
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        if self.drainer is not None:
            self.drainer.cancel()
        for item in self.backlog:
            if not isinstance(item, bytes):
                close: Callable[[], None] | None = getattr(item, "close", None)
                if close is not None:
                    close()  # a coroutine never started: no "never awaited" warning
        self.backlog.clear()
        if self.transport is not None:
            self.transport.close()


async def open_stdin_feed(taker: LineTaker, limit: int, too_long: dict[str, Any]) -> StdinFeed | None:
    """The feed on stdin when it is a pipe, socket or terminal device, else None (a
    regular file: event loops cannot poll it; the caller reads it through a thread)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)):
        return None
    loop = asyncio.get_running_loop()
    feed = StdinFeed(taker, limit, too_long)
    try:
        await loop.connect_read_pipe(lambda: feed, sys.stdin)
    except (ValueError, OSError):
        return None  # something else: fall back to a thread
    return feed
