"""One stdio MCP server process behind HTTP, for one inspector page session.

The inspector page speaks HTTP; a stdio server speaks newline-delimited JSON-RPC on
its stdin and stdout. A child runs the command and relays, without interpreting the
protocol (so both eras and every method pass through as sent):

- a POSTed request is written to stdin and answered with an SSE stream carrying what
  the server sends until the response with that id (notifications and the server's
  own requests — elicitation, sampling, roots — ride along, and the page answers them
  with another POST);
- a POSTed notification or response is written to stdin and answered 202;
- a GET stream carries what the server sends while no request is open;
- a second `initialize` starts a fresh process (the page reconnected), and a process
  that exited is started again by the next request; its stderr goes to our stderr.

A child serves one page session (`stdio_bridge.StdioBridge` keeps one per session), so
messages the server sends on its own go to that page's oldest open stream, else wait
(bounded) for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response, StreamingResponse

log = logging.getLogger("mcp_use.inspect")
MAX_BACKLOG = 1000
MAX_LINE = 64 * 1024 * 1024
_END = object()


def error_response(status: int, message: str, rid: Any = None) -> JSONResponse:
    return JSONResponse({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": message}}, status)


@dataclass(frozen=True)
class StdioCommand:
    """What to run: `env` None inherits ours (a config entry's is its safe base plus its own)."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None

    @property
    def label(self) -> str:
        return " ".join([self.command, *self.args])


class StdioChild:
    """Runs `target` and relays its stdio to HTTP for one page session."""

    def __init__(self, target: StdioCommand) -> None:
        self.target = target
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[Any, asyncio.Queue[Any]] = {}
        self._streams: list[asyncio.Queue[Any]] = []
        self._backlog: deque[bytes] = deque(maxlen=MAX_BACKLOG)
        self._lock = asyncio.Lock()
        self.initialized = False  # an initialize was relayed: the next one restarts the process
        self.last_used = time.monotonic()

    @property
    def label(self) -> str:
        return self.target.label

    # ---- the process -----------------------------------------------------------------
    async def _spawn(self) -> None:
        t = self.target
        self.process = await asyncio.create_subprocess_exec(
            t.command,
            *t.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=dict(t.env) if t.env is not None else None,
            cwd=t.cwd,
            limit=MAX_LINE,
        )
        self._backlog.clear()
        self._reader = asyncio.get_running_loop().create_task(self._read(self.process))
        log.info("started %s (pid %s)", self.label, self.process.pid)

    async def stop(self) -> None:
        for stream in self._streams:
            stream.put_nowait(_END)
        process, self.process = self.process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    async def _ensure(self, fresh: bool) -> None:
        async with self._lock:
            running = self.process is not None and self.process.returncode is None
            if running and not fresh:
                return
            await self.stop()
            self._fail_pending("the server process was restarted")
            await self._spawn()

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # a line over MAX_LINE
                log.error("%s wrote a line over %d bytes; dropped", self.label, MAX_LINE)
                continue
            if not line:
                break
            line = line.strip()
            if line:
                self._dispatch(line)
        code = await process.wait()
        log.info("%s exited with code %s", self.label, code)
        if self.process is process:
            self._fail_pending(f"the server process exited with code {code}")

    def _fail_pending(self, why: str) -> None:
        for rid, queue in list(self._pending.items()):
            error = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": why}}
            queue.put_nowait(orjson.dumps(error))
            queue.put_nowait(_END)
        self._pending.clear()

    def _dispatch(self, line: bytes) -> None:
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError:
            log.warning("%s wrote a line that is not JSON: %r", self.label, line[:200])
            return
        if isinstance(msg, dict) and "method" not in msg and msg.get("id") in self._pending:
            queue = self._pending.pop(msg["id"])
            queue.put_nowait(line)
            queue.put_nowait(_END)
            return
        target = next(iter(self._pending.values()), None) or (self._streams[0] if self._streams else None)
        if target is None:
            self._backlog.append(line)
        else:
            target.put_nowait(line)

    async def _write(self, body: bytes) -> None:
        process = self.process
        if process is None or process.stdin is None or process.returncode is not None:
            raise ConnectionError("the server process is not running")
        process.stdin.write(body.strip() + b"\n")
        await process.stdin.drain()

    # ---- HTTP ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A page stream is open (the page is there), or a request awaits its answer."""
        return bool(self._streams or self._pending)

    def listen(self) -> Response:
        self.last_used = time.monotonic()
        return StreamingResponse(self._listen(), media_type="text/event-stream", headers=_SSE_HEADERS)

    async def post(self, body: bytes, msg: dict[str, Any]) -> Response:
        """Relay one POSTed message (already parsed by the bridge, which routes on it)."""
        self.last_used = time.monotonic()
        is_request = "method" in msg and "id" in msg
        initialize = msg.get("method") == "initialize"
        try:
            await self._ensure(fresh=initialize and self.initialized)
        except OSError as exc:
            return error_response(502, f"cannot start {self.label}: {exc.strerror or exc}", msg.get("id"))
        self.initialized = self.initialized or initialize
        queue: asyncio.Queue[Any] | None = None
        if is_request:
            queue = asyncio.Queue()
            self._pending[msg["id"]] = queue
            while self._backlog:
                queue.put_nowait(self._backlog.popleft())
        try:
            await self._write(body)
        except (ConnectionError, OSError) as exc:
            if is_request:
                self._pending.pop(msg["id"], None)
            return error_response(502, f"{self.label}: {exc}", msg.get("id"))
        if queue is None:
            return Response(status_code=202)
        return StreamingResponse(
            self._drain(queue, msg["id"]), media_type="text/event-stream", headers=_SSE_HEADERS
        )

    async def _drain(self, queue: asyncio.Queue[Any], rid: Any) -> AsyncIterator[bytes]:
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                yield b"event: message\ndata: " + item + b"\n\n"
        finally:
            if self._pending.get(rid) is queue:
                # The page went away (cancel): the answer, when it comes, goes elsewhere.
                del self._pending[rid]
                while not queue.empty():
                    item = queue.get_nowait()
                    if item is not _END:
                        self._backlog.append(item)

    async def _listen(self) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._streams.append(queue)
        try:
            while self._backlog:
                queue.put_nowait(self._backlog.popleft())
            yield b": bridge to " + self.label.encode() + b"\n\n"
            while True:
                item = await queue.get()
                if item is _END:  # the child was stopped: the page sees the stream end
                    return
                yield b"event: message\ndata: " + item + b"\n\n"
        finally:
            self._streams.remove(queue)


_SSE_HEADERS = {"cache-control": "no-store", "x-accel-buffering": "no"}
