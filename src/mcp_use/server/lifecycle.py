"""`Lifecycle`: shutdown and signals, in one place for every way the app is served.

uvicorn (also inside gunicorn's worker, and uvicorn's own worker processes) runs its
lifespan shutdown only once every connection has ended: too late for SSE streams that
never end. So on SIGTERM/SIGINT the lifecycle ends every open stream at once (clients
resume elsewhere) and leaves the shared state's list of live processes; in-flight calls
still finish. The signal hook is chained in front of the handler the server installed,
on the first request (after the server installed it); nothing is installed where no one
handles the signal (a test's ASGI client, a script).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from . import request_log

log = logging.getLogger("mcp_use.server")


HOUSEKEEPING_SECONDS = 5.0


class Lifecycle:
    __slots__ = (
        "_event",
        "_hooked",
        "_retiring",
        "_served",
        "_timer",
        "first_request",
        "housekeeping",
        "state",
    )

    def __init__(self, state: Any = None) -> None:
        self.state = state  # shared state to leave on shutdown, or None
        self._event: asyncio.Event | None = None
        self._hooked = False
        self._retiring: asyncio.Future[None] | None = None
        self._timer: asyncio.Task[None] | None = None
        # Run every few seconds while serving: idle sessions and expired stream logs go
        # even when no new request arrives to notice them.
        self.housekeeping: list[Callable[[], None]] = []
        # Run once, on the first request: however the app is served, its sockets are
        # bound by then (the open-server warning reads them).
        self.first_request: list[Callable[[], None]] = []
        self._served = False

    def start_housekeeping(self) -> None:
        """Start the timer (once per loop; transports call it on their first request)."""
        if self._timer is not None and not self._timer.done():
            return
        self._timer = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        stopping = self.stopping
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), HOUSEKEEPING_SECONDS)
            for job in self.housekeeping:
                try:
                    job()
                except Exception:
                    log.exception("Housekeeping job %s failed", job)

    @property
    def stopping(self) -> asyncio.Event:
        """Set once shutdown has begun; open streams wait on it."""
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def begin_shutdown(self) -> None:
        """End open streams now, write the queued request lines (those of calls still in
        flight are written as they end) and retire from the shared state (once)."""
        self.stopping.set()
        request_log.requests.shutting_down()
        retire = getattr(self.state, "retire", None)
        if retire is not None and self.state.ready and self._retiring is None:
            self._retiring = asyncio.ensure_future(retire())

    def serving(self) -> None:
        """A request arrived: run the `first_request` jobs, once (cheap after that)."""
        if self._served:
            return
        self._served = True
        for job in self.first_request:
            try:
                job()
            except Exception:
                log.exception("First-request job %s failed", job)

    def hook_signals(self) -> None:
        """Chain `begin_shutdown` in front of the running server's SIGTERM/SIGINT handlers,
        and run the `first_request` jobs once.

        Idempotent and cheap after the first call: transports call it on every request.
        """
        if self._hooked:
            return
        self._hooked = True
        self.serving()
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if not callable(previous) or previous is signal.default_int_handler:
                continue

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                with contextlib.suppress(RuntimeError):  # the loop is already closed
                    loop.call_soon_threadsafe(self.begin_shutdown)
                previous(signum, frame)

            signal.signal(sig, handler)
