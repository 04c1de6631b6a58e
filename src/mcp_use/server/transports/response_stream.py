"""The answer to one Streamable HTTP request, as JSON or as an SSE stream, and how an
SSE stream is held open (keep-alives, disconnects, shutdown).

A POST is answered as JSON when its result is the first thing the handler produces,
and switches to an SSE stream as soon as something (a progress or log notification, a
server-to-client request) has to go out before it. Most calls never pay for SSE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ...protocol import jsonrpc
from ..state.events import StreamLog
from .asgi import SSE_HEADERS, Receive, Send, respond, respond_json, sse_event

KEEPALIVE_SECONDS = 15.0
EXPIRED = b": the token that opened this stream expired\n\n"
log = logging.getLogger("mcp_use.server.http")


class ResponseStream:
    """The answer to one POST: JSON if the result comes first, else an SSE stream.

    On the legacy era a stream gets a `StreamLog`: every event carries an id and is
    kept, so after a drop or `close()` the client resumes with `Last-Event-ID`.
    """

    __slots__ = ("closed", "done", "extra_headers", "log", "open_log", "retry_ms", "send", "started")

    def __init__(
        self,
        send: Send,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
        open_log: Any = None,
        retry_ms: int = 1000,
    ) -> None:
        self.send = send
        self.extra_headers = extra_headers or []
        self.started = False
        self.closed = False  # the HTTP response has ended
        self.done = False  # the final response went out
        self.open_log = open_log
        self.log: StreamLog | None = None
        self.retry_ms = retry_ms

    async def _start(self) -> None:
        self.started = True
        await self.send(
            {"type": "http.response.start", "status": 200, "headers": SSE_HEADERS + self.extra_headers}
        )
        if self.open_log is not None:
            self.log = self.open_log()
            await self.send(
                {"type": "http.response.body", "body": self.log.priming(self.retry_ms), "more_body": True}
            )

    async def _emit(self, message: jsonrpc.Message, last: bool) -> None:
        if not self.started and not self.closed:
            await self._start()
        chunk = self.log.append(message, sse_event) if self.log is not None else sse_event(message)
        if last and self.log is not None:
            self.log.finish()
        if self.log is not None and self.log.live is not None:
            # A client resumed this stream elsewhere, so this connection is gone.
            with contextlib.suppress(Exception):
                await self.log.live(chunk)
            if last and not self.closed:
                self.closed = True
                with contextlib.suppress(Exception):
                    await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        elif not self.closed:
            try:
                await self.send({"type": "http.response.body", "body": chunk, "more_body": not last})
            except OSError:
                self.closed = True
            if last:
                self.closed = True

    async def message(self, message: jsonrpc.Message) -> None:
        if self.done or (self.closed and self.log is None):
            return
        await self._emit(message, last=False)

    async def finish(self, response: jsonrpc.Message | None) -> None:
        if self.done:
            return
        self.done = True
        if self.started:
            if response is not None:
                await self._emit(response, last=True)
            elif not self.closed:
                self.closed = True
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})
            if self.log is not None:
                self.log.finish()
        elif response is None:
            self.closed = True
            await respond(self.send, 202, b"", self.extra_headers)
        else:
            self.closed = True
            await respond_json(self.send, 200, response, self.extra_headers)

    async def close(self) -> None:
        """End the HTTP response now; later events wait in the log for the client to resume."""
        if self.closed:
            return
        if not self.started:
            await self._start()
        self.closed = True
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})


class DisconnectWatch:
    """Cancels `task` when the client disconnects, watching only after a short delay.

    Most calls end long before anyone could hang up, so no watcher task (and no timer of
    its own) is made for them: every call in flight on a loop shares one `_Sweeper`,
    whose single timer starts the watchers of the calls still running after `DELAY`.
    """

    __slots__ = ("fired", "receive", "sweeper", "task", "watcher")
    DELAY = 0.02

    def __init__(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        self.receive = receive
        self.task = task
        self.fired = False
        self.watcher: asyncio.Task[None] | None = None
        self.sweeper = _Sweeper.of(asyncio.get_running_loop())
        self.sweeper.add(self)

    def _start(self) -> None:
        self.watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        await wait_disconnect(self.receive)
        self.fired = True
        self.task.cancel()

    def stop(self) -> None:
        self.sweeper.waiting.pop(self, None)
        if self.watcher is not None and not self.watcher.done():
            self.watcher.cancel()


class _Sweeper:
    """The calls in flight on one loop, oldest first, and the one timer for the oldest."""

    __slots__ = ("handle", "loop", "waiting")
    current: _Sweeper | None = None  # the last loop's; another loop gets its own

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[DisconnectWatch, float] = {}  # insertion order: by start time
        self.handle: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Sweeper:
        sweeper = cls.current
        if sweeper is None or sweeper.loop is not loop:
            sweeper = cls.current = cls(loop)
        return sweeper

    def add(self, watch: DisconnectWatch) -> None:
        now = self.loop.time()
        self.waiting[watch] = now
        if self.handle is None:
            self.handle = self.loop.call_at(now + DisconnectWatch.DELAY, self._sweep)

    def _sweep(self) -> None:
        self.handle = None
        waiting = self.waiting
        due = self.loop.time() - DisconnectWatch.DELAY
        while waiting:
            watch, started = next(iter(waiting.items()))
            if started > due:
                self.handle = self.loop.call_at(started + DisconnectWatch.DELAY, self._sweep)
                return
            del waiting[watch]
            watch._start()


async def wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def hold_open(
    receive: Receive,
    send: Send,
    closed: asyncio.Event,
    stream: ResponseStream,
    shutdown: asyncio.Event,
    expires_at: float | None = None,
) -> None:
    """Keep an SSE stream open, with keep-alives, until either side ends it, or until
    `expires_at` (Unix time): the expiry of the token that opened it. A stream outliving
    its token would go on delivering to a client no longer authorized; ended, the client
    reconnects with a fresh token (or gets 401 and refreshes)."""
    disconnect = asyncio.ensure_future(wait_disconnect(receive))
    ended = asyncio.ensure_future(closed.wait())
    stopping = asyncio.ensure_future(shutdown.wait())
    try:
        while True:
            wait = KEEPALIVE_SECONDS
            if expires_at is not None:
                wait = min(wait, max(expires_at - time.time(), 0.0))
            done, _ = await asyncio.wait(
                {disconnect, ended, stopping}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
            if done:
                break
            if expires_at is not None and time.time() >= expires_at:
                log.info("Closed an SSE stream: the token that opened it expired")
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": EXPIRED, "more_body": True})
                break
            try:
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
            except Exception:
                break
        if stopping.done() and not ended.done() and not disconnect.done() and not stream.closed:
            # The server is going away: tell the client when to reconnect (to another process).
            with contextlib.suppress(Exception):
                retry = f"retry: {stream.retry_ms}\n\n".encode()
                await send({"type": "http.response.body", "body": retry, "more_body": True})
    finally:
        disconnect.cancel()
        ended.cancel()
        stopping.cancel()
        with contextlib.suppress(Exception):
            await stream.close()
