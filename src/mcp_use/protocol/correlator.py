"""Matching answers to the requests we sent: one engine for the client and the server.

Each outgoing request gets an id, a future, a deadline and, when asked, a progress
token. The transport feeds every incoming response to `resolve()` and every progress
notification to `progress()`. When the peer goes away, `fail_all()` fails every pending
call at once, so nothing waits on a dead connection.

With an `id_prefix` (a server process sharing its sessions with others) the id names
the process, `{prefix}-{n}`, and when the request has a timeout also its deadline as
Unix milliseconds, `{prefix}-{n}-{ms}`: another process that receives the client's
answer forwards it only until then (`id_deadline`), even while the shared state is
down, without asking anyone.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import jsonrpc
from .errors import CONNECTION_CLOSED, REQUEST_TIMEOUT, MCPError

Send = Callable[[jsonrpc.Message], Awaitable[None]]
ProgressCallback = Callable[[float, float | None, str | None], Awaitable[None] | None]


class RequestTimeout(MCPError):
    """The peer did not answer before the request's deadline."""

    def __init__(self, method: str, timeout: float) -> None:
        super().__init__(REQUEST_TIMEOUT, f"Request {method!r} timed out after {timeout:g}s")
        self.method = method
        self.timeout = timeout


class ConnectionClosed(MCPError):
    """The connection ended while a request was waiting for its answer."""

    def __init__(self, reason: str = "Connection closed") -> None:
        super().__init__(CONNECTION_CLOSED, reason)


class _Deadline:
    """What `asyncio.timeout()` does for one request, without its context manager's cost:
    one timer handle (`Correlator.request` answered at once: 5.6 µs with the context
    manager, 3.6 µs with this).

    At the deadline the waiting task is cancelled; `stop()` then tells that cancellation
    from any other, by the rule `asyncio.timeout` uses: ours is undone (`uncancel`), and
    it counts as a timeout only when no one else cancelled the task as well.
    A deadline of 0 or less fires on the loop's next turn, as with `asyncio.timeout`.
    """

    __slots__ = ("_cancelling", "_fired", "_handle", "_task")

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a request deadline needs a running task")
        self._task = task
        self._cancelling = task.cancelling()
        self._fired = False
        self._handle: asyncio.TimerHandle | None = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._fired = True
        self._task.cancel()

    def stop(self) -> bool:
        """Disarm; True when the deadline (and nothing else) cancelled the task.

        Our own cancellation is taken back (`uncancel`) either way, as `asyncio.timeout`
        does on exit; calling `stop()` again does nothing and returns False.
        """
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self._fired:
            return False
        self._fired = False
        return self._task.uncancel() <= self._cancelling


class Correlator:
    def __init__(self, *, default_timeout: float | None = 60.0, id_prefix: str | None = None) -> None:
        self.default_timeout = default_timeout
        self._ids = itertools.count(1)
        self._prefix = id_prefix
        self._pending: dict[jsonrpc.RequestId, asyncio.Future[dict[str, Any]]] = {}
        self._progress: dict[str | int, ProgressCallback] = {}
        self._closed: MCPError | None = None

    def next_id(self, timeout: float | None = None) -> jsonrpc.RequestId:
        """A fresh id; with a prefix and a `timeout`, one carrying its deadline (see above)."""
        n = next(self._ids)
        if not self._prefix:
            return n
        if timeout is None:
            return f"{self._prefix}-{n}"
        return f"{self._prefix}-{n}-{int((time.time() + timeout) * 1000)}"

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def request(
        self,
        send: Send,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | type[Ellipsis] | None = ...,  # type: ignore[valid-type]
        on_progress: ProgressCallback | None = None,
        on_cancel: Callable[[jsonrpc.RequestId, str], Awaitable[None]] | None = None,
    ) -> dict[str, Any]:
        """Send a request and wait for its result; raise `MCPError` for an error answer."""
        if self._closed is not None:
            raise self._closed
        deadline = self.default_timeout if timeout is ... else timeout
        id_ = self.next_id(deadline if isinstance(deadline, int | float) else None)
        if on_progress is not None:
            params = dict(params or {})
            meta = dict(params.get("_meta") or {})
            meta["progressToken"] = id_
            params["_meta"] = meta
            self._progress[id_] = on_progress
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[id_] = future
        # The deadline covers the send too: a transport may carry the whole exchange in
        # `send` (an HTTP POST answered in the caller's task), and a stuck write is a wait.
        timer = None if deadline is None else _Deadline(loop, deadline)  # type: ignore[arg-type]
        try:
            await send(jsonrpc.request(id_, method, params))
            return await future
        except asyncio.CancelledError:
            timed_out = timer is not None and timer.stop()
            if on_cancel is not None and _unanswered(future):
                await _quietly(on_cancel(id_, "timeout" if timed_out else "cancelled"))
            if timed_out:
                raise RequestTimeout(method, deadline) from None  # type: ignore[arg-type]
            raise
        except TimeoutError:  # a wait inside `send` gave up: the request is as unanswered
            if on_cancel is not None and _unanswered(future):
                await _quietly(on_cancel(id_, "timeout"))
            raise RequestTimeout(method, deadline) from None  # type: ignore[arg-type]
        finally:
            if timer is not None:
                timer.stop()
            self._pending.pop(id_, None)
            if on_progress is not None:
                self._progress.pop(id_, None)

    def resolve(self, message: jsonrpc.Message) -> bool:
        """Settle the request this response answers; False when nobody is waiting for it."""
        future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
        if future is None or future.done():
            return False
        if "error" in message:
            error = message["error"]
            future.set_exception(
                MCPError.from_error(error if isinstance(error, dict) else {"message": str(error)})
            )
        else:
            result = message.get("result")
            future.set_result(result if isinstance(result, dict) else {})
        return True

    def fail(self, request_id: jsonrpc.RequestId, error: MCPError) -> bool:
        """Fail one pending request (its transport knows it cannot be answered)."""
        future = self._pending.get(request_id)
        if future is None or future.done():
            return False
        future.set_exception(error)
        return True

    async def progress(self, params: dict[str, Any]) -> bool:
        callback = self._progress.get(params.get("progressToken"))  # type: ignore[arg-type]
        if callback is None:
            return False
        outcome = callback(params.get("progress", 0), params.get("total"), params.get("message"))
        if outcome is not None:
            await outcome
        return True

    def fail_all(self, error: MCPError | None = None) -> None:
        """Fail every pending request now, and any later one at once."""
        self._closed = error or ConnectionClosed()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self._closed)
        self._pending.clear()

    def reopen(self) -> None:
        self._closed = None


def id_deadline(request_id: object) -> float | None:
    """The Unix time after which nobody waits for the answer to `request_id`, when its id
    carries one (`{prefix}-{n}-{ms}`); None otherwise."""
    if not isinstance(request_id, str):
        return None
    parts = request_id.split("-")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return int(parts[2]) / 1000


def _unanswered(future: asyncio.Future[Any]) -> bool:
    """No answer arrived (cancelling the wait cancels the future too)."""
    return future.cancelled() or not future.done()


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception:  # the peer is gone or slow; the caller already has its answer
        pass
