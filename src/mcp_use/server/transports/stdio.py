"""stdio: newline-delimited JSON-RPC on stdin/stdout.

Only protocol messages may reach stdout, so on start the real stdout is kept for the
protocol and file descriptor 1 (and `sys.stdout`) point at stderr: a user's `print()`
or a C library's write lands in the log, never in the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, BinaryIO

from ...protocol import jsonrpc
from ...protocol.era import MODERN, inbound_era
from ...protocol.errors import INVALID_REQUEST, MCPError
from ..notifications import Listener
from ..request import Peer
from ..session import ServerSession
from .stdin_feed import TOO_LONG, open_stdin_feed

if TYPE_CHECKING:
    from ..core import ServerCore

log = logging.getLogger("mcp_use.server.stdio")


def claim_stdout() -> BinaryIO:
    """Take fd 1 for the protocol and send everything else written to it to stderr."""
    protocol_fd = os.dup(sys.stdout.fileno())
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb", buffering=0)


class StdioConnection:
    """One client on the other end of stdin/stdout."""

    transport_name = "stdio"  # what middleware sees as `ctx.transport`

    def __init__(self, core: ServerCore, out: BinaryIO) -> None:
        self.engine = core.engine
        self.table = core.sessions
        self.out = out
        self.session: ServerSession | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.running: dict[Any, asyncio.Task[Any]] = {}  # 2026-07-28 requests, by id (to cancel)
        self.listeners: dict[jsonrpc.RequestId, Listener] = {}
        self._trace: Any = None
        self._pretty = core.settings.pretty_print_jsonrpc
        self.peer = Peer(self.transport_name)  # no headers, no address: for middleware
        if core.settings.debug_level >= 2:  # DEBUG=2: every message in and out, on stderr
            from ..http.debug import log_message

            self._trace = log_message

    async def write(self, message: jsonrpc.Message) -> None:
        if self._trace is not None:
            self._trace("->", message, self._pretty, "stdio ")
        # One synchronous write per message: messages never interleave on the pipe.
        self._write_all(jsonrpc.dumps(message) + b"\n")

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self.out.write(view)
            view = view[written or 0 :]

    async def receive(self, line: bytes) -> None:
        pending = self.accept(line)
        if pending is not None:
            await pending

    def accept(self, line: bytes) -> Awaitable[None] | None:
        """Take one line: a request starts its own task, a response settles its waiter,
        both at once; what must await (a notification, an error to write) comes back
        for the caller to await, in order, before the next line."""
        line = line.strip()
        if not line:
            return None
        if self._trace is not None:
            self._trace("<-", line, self._pretty, "stdio ")
        try:
            message = jsonrpc.loads(line)
            if isinstance(message, list):
                raise MCPError(INVALID_REQUEST, "Invalid Request: batches are not supported")
            kind = jsonrpc.classify(message)
        except MCPError as exc:
            bad_id = message.get("id") if isinstance(locals().get("message"), dict) else None
            return self.write(jsonrpc.error_from(bad_id if isinstance(bad_id, (str, int)) else None, exc))
        if kind == jsonrpc.RESPONSE:
            if self.session is not None and self.session.correlator is not None:
                self.session.correlator.resolve(message)
            return None
        if kind == jsonrpc.NOTIFICATION:
            return self._notification(message)
        modern = inbound_era(message) is MODERN
        answer = self._modern_response(message) if modern else self._legacy_response(message)
        task = asyncio.ensure_future(self._answer(answer))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        if self.session is not None and not modern:
            self.session.track(message["id"], task)
        elif modern and _hashable(message["id"]):
            request_id = message["id"]
            self.running[request_id] = task
            task.add_done_callback(lambda _: self.running.pop(request_id, None))
        return None

    async def _notification(self, message: jsonrpc.Message) -> None:
        if message["method"] == "notifications/cancelled":
            params = message.get("params") or {}
            listener = self.listeners.pop(params.get("requestId"), None)
            if listener is not None:
                # Cancelling a listen ends it, with its final response.
                await self.write(self.engine.unlisten(listener))
                return
        if self.session is not None:
            if message["method"] == "notifications/cancelled":  # a 2026-07-28 call beside the session
                self._cancel_modern((message.get("params") or {}).get("requestId"))
            await self.engine.notification(message, self.session, self.peer)
        else:
            await self.engine.modern_notification(message, self.peer, cancel=self._cancel_modern)

    def _cancel_modern(self, request_id: Any) -> None:
        """`notifications/cancelled` for a 2026-07-28 request: stop it; no response follows."""
        task = self.running.get(request_id) if _hashable(request_id) else None
        if task is not None:
            task.cancel()

    async def _answer(self, response: Awaitable[jsonrpc.Message | None]) -> None:
        try:
            message = await response
        except asyncio.CancelledError:
            return  # cancelled by the client: no response
        if message is not None:
            await self.write(message)

    async def _modern_response(self, message: jsonrpc.Message) -> jsonrpc.Message | None:
        try:
            req = self.engine.modern_request(message, sink=self.write)
        except MCPError as exc:
            return jsonrpc.error_from(message["id"], exc)
        req.transport = self.transport_name
        if req.method in self.engine.streaming_methods:
            self.listeners[req.id] = await self.engine.listen(req, self.write)
            return None
        return await self.engine.handle(req)

    async def _legacy_response(self, message: jsonrpc.Message) -> jsonrpc.Message | None:
        method = message["method"]
        if method == "initialize":
            try:
                session, result = await self.engine.initialize(
                    message.get("params") or {}, None, self.write, self.peer
                )
            except MCPError as exc:
                return jsonrpc.error_from(message["id"], exc)
            if self.session is not None:
                # A new initialize replaces the session: end the old one (its calls too),
                # but not this request, which the old session tracks.
                self.session.untrack(message["id"])
                self.table.close(self.session)
            self.session = session
            return jsonrpc.result(message["id"], result)
        if self.session is None:
            if method == "ping":
                return jsonrpc.result(message["id"], {})
            return jsonrpc.error(
                message["id"],
                INVALID_REQUEST,
                "Received a request before initialization: send initialize first "
                "(or use protocol version 2026-07-28 with per-request _meta)",
            )
        req = self.engine.legacy_request(message, self.session, sink=self.write)
        req.transport = self.transport_name
        try:
            return await self.engine.handle(req)
        finally:
            self.session.untrack(req.id)

    async def drain(self, seconds: float) -> None:
        """stdin ended: answer what was asked (the last line may have had no newline),
        waiting at most `seconds`. The client can no longer answer our own requests, so
        those fail at once (the tool sees `ConnectionClosed`) instead of holding exit."""
        if self.session is not None and self.session.correlator is not None:
            self.session.correlator.fail_all()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=seconds)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.session is not None:
            self.table.close(self.session)
        for listener in list(self.listeners.values()):
            self.engine.unlisten(listener)


async def _stdin_lines(limit: int) -> asyncio.Queue[bytes | None]:
    """Lines of stdin through a thread: works for pipes, files and terminals alike."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=256)
    stdin = sys.stdin.buffer

    def pump() -> None:
        try:
            while True:
                line = stdin.readline(limit + 1)
                if not line:
                    break
                if len(line) > limit and not line.endswith(b"\n"):
                    # Too long: skip the rest of it and report one error.
                    while line and not line.endswith(b"\n"):
                        line = stdin.readline(limit)
                    asyncio.run_coroutine_threadsafe(queue.put(TOO_LONG), loop).result()
                    continue
                asyncio.run_coroutine_threadsafe(queue.put(line), loop).result()
        except Exception:
            pass
        finally:
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(queue.put(None), loop)

    threading.Thread(target=pump, name="mcp-stdin", daemon=True).start()
    return queue


EOF_DRAIN_SECONDS = 30.0  # at end of input, calls in flight get this long to answer


async def serve_stdio(core: ServerCore) -> None:
    # Build the decorated records now: a signature pydantic cannot describe ends the
    # process at start (its traceback on stderr), as an HTTP server's app build does,
    # rather than answering an error to every list and call of a server that seems up.
    core.features.settle()
    out = claim_stdout()
    connection = StdioConnection(core, out)
    limit = core.settings.limits.max_body_size
    too_long = jsonrpc.error(None, INVALID_REQUEST, f"Message exceeds {limit} bytes")
    feed = await open_stdin_feed(connection, limit, too_long)
    try:
        if feed is not None:  # a pipe: lines are taken as they arrive (stdin_feed.py)
            await feed.finished()
        else:
            await _serve_queue(connection, await _stdin_lines(limit), too_long)
        await connection.drain(core.settings.limits.tool_timeout or EOF_DRAIN_SECONDS)
    finally:
        if feed is not None:
            feed.close()
        await connection.close()
        with contextlib.suppress(Exception):
            out.flush()


async def _serve_queue(
    connection: StdioConnection, queue: asyncio.Queue[bytes | None], too_long: jsonrpc.Message
) -> None:
    """stdin read by a thread (a file or a terminal): one line at a time, until its end."""
    while (line := await queue.get()) is not None:
        if line == TOO_LONG:
            await connection.write(too_long)
            continue
        await connection.receive(line)


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)
