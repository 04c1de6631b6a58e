"""stdio: the server is our child process speaking newline-delimited JSON-RPC.

The child runs in its own process group, so closing the session ends the server and
anything it spawned; it is always reaped, so no zombie is left. Its stderr goes to the
log (the last lines are kept for the error message if it dies). When its stdout ends,
every pending call fails at once with `ServerDisconnected`.

Stdout is read in the pipe's data callback, not by a reader task: a response settles
its caller's future right there (one loop turn per round trip instead of two). Anything
that may await (a notification's callback, a server request) goes through one drain
task, in order; a response that arrives behind such messages waits its turn. When the
drain falls behind, the pipe stops being read until it catches up, as a reader that
awaited each message would.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence

from ...protocol import jsonrpc
from ...protocol.errors import MCPError
from ..errors import ConnectError, ServerDisconnected
from .base import ClientTransport

log = logging.getLogger("mcp_use.client.stdio")
CHUNK = 1 << 16
CLOSE_GRACE = 1.0
BACKLOG_PAUSE = 64  # messages waiting for the drain task before stdout is paused
BACKLOG_RESUME = 16


class _ChildProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's subprocess protocol (stderr reader, exit tracking), with stdout's bytes
    handed to the transport as they arrive instead of to a `StreamReader`."""

    def __init__(self, transport: StdioClientTransport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=CHUNK, loop=loop)
        self._owner = transport

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if fd == 1:
            self._owner._stdout_data(data)  # type: ignore[arg-type]
        else:
            super().pipe_data_received(fd, data)

    def pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
        super().pipe_connection_lost(fd, exc)
        if fd == 1:
            self._owner._stdout_ended(exc)


class StdioClientTransport(ClientTransport):
    def __init__(
        self,
        server: str,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        super().__init__(server)
        self.command = command
        self.args = list(args)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._write_lock = asyncio.Lock()
        self._buffer = bytearray()  # stdout bytes after the last complete line
        self._backlog: collections.deque[jsonrpc.Message] = collections.deque()
        self._drain: asyncio.Task[None] | None = None
        self._stopped = False  # stdout ended, or reading it failed: nothing more is read
        self._pipes: asyncio.SubprocessTransport | None = None

    @property
    def description(self) -> str:
        return " ".join([self.command, *self.args])

    def _resolve(self) -> str:
        path = (self.env or os.environ).get("PATH")
        found = shutil.which(self.command, path=path)
        if found:
            return found
        if self.command in ("python", "python3") and sys.executable:
            return sys.executable  # `python` in a config means "a Python", ours will do
        raise ConnectError(self.server, f"command {self.command!r} not found on PATH ({path or 'unset'})")

    async def start(self) -> None:
        executable = self._resolve() if os.sep not in self.command else self.command
        loop = asyncio.get_running_loop()
        try:
            pipes, protocol = await loop.subprocess_exec(
                lambda: _ChildProtocol(self, loop),
                executable,
                *self.args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # own process group: closed as a whole
            )
        except (OSError, ValueError) as exc:
            raise ConnectError(self.server, f"cannot start {self.description!r}: {exc}") from None
        self._pipes = pipes
        self.proc = asyncio.subprocess.Process(pipes, protocol, loop)
        self._tasks.append(loop.create_task(self._read_stderr()))

    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        proc = self.proc
        if proc is None or proc.stdin is None or proc.returncode is not None or self._closing:
            raise ServerDisconnected(self.server, self._death_reason("is not running"))
        data = jsonrpc.dumps(message) + b"\n"
        try:
            proc.stdin.write(data)
            if proc.stdin.transport.get_write_buffer_size() > CHUNK:  # type: ignore[attr-defined]
                async with self._write_lock:
                    await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, RuntimeError) as exc:
            raise ServerDisconnected(
                self.server, self._death_reason(f"stopped reading its stdin ({exc})")
            ) from None

    # ---- stdout, read in the pipe's data callback ----------------------------------------
    def _stdout_data(self, data: bytes) -> None:
        if self._stopped:
            return
        buffer = self._buffer
        buffer += data
        start = 0
        try:
            while (end := buffer.find(b"\n", start)) >= 0:
                line = bytes(buffer[start:end])
                start = end + 1
                if line.strip():
                    self._line(line)
        except Exception as exc:  # a bug in a receiver: the connection is over, as on EOF
            log.debug("[%s] stdout reader stopped: %r", self.server, exc)
            self._stdout_ended(exc)
            return
        if start:
            del buffer[:start]

    def _line(self, line: bytes) -> None:
        try:
            message = jsonrpc.loads(line)
        except MCPError:
            log.warning("[%s] ignored a non-JSON line on stdout: %.200r", self.server, line)
            return
        if isinstance(message, dict):
            self._message(message)
        elif isinstance(message, list):
            for item in message:
                if isinstance(item, dict):
                    self._message(item)

    def _message(self, message: jsonrpc.Message) -> None:
        """A response settles its caller now, unless earlier messages still wait their turn."""
        receiver = self.receiver
        if receiver is None:
            return
        if not self._backlog and "method" not in message:
            receiver.settle(message)
            return
        self._backlog.append(message)
        if len(self._backlog) >= BACKLOG_PAUSE:
            self._stdout_pipe(pause=True)
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._drain_backlog())

    async def _drain_backlog(self) -> None:
        backlog = self._backlog
        try:
            while backlog:
                message = backlog[0]
                await self.receiver.feed(message)  # type: ignore[union-attr]
                backlog.popleft()
                if len(backlog) == BACKLOG_RESUME:
                    self._stdout_pipe(pause=False)
        except Exception as exc:  # a bug in a callback: the connection is over
            log.debug("[%s] stdout reader stopped: %r", self.server, exc)
            backlog.clear()
            self._stdout_ended(exc)
        finally:
            self._drain = None
        self._stdout_pipe(pause=False)

    def _stdout_pipe(self, *, pause: bool) -> None:
        pipe = self._pipes.get_pipe_transport(1) if self._pipes is not None else None
        if pipe is None or pipe.is_closing():
            return
        with contextlib.suppress(Exception):
            pipe.pause_reading() if pause else pipe.resume_reading()  # type: ignore[attr-defined]

    def _stdout_ended(self, exc: BaseException | None) -> None:
        if self._stopped:
            return
        self._stopped = True
        if not self._closing:
            self._tasks.append(asyncio.get_running_loop().create_task(self._report_end()))

    async def _report_end(self) -> None:
        """Stdout ended: deliver what was read, then fail every pending call."""
        while self._drain is not None:
            await asyncio.shield(self._drain)
        if self._closing or self.receiver is None or self.proc is None:
            return
        # The server is gone or going. Give it a moment to report its exit code.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), 0.25)
        self.receiver.closed(ServerDisconnected(self.server, self._death_reason("closed its stdout")))

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        stderr = self.proc.stderr
        logger = logging.getLogger(f"mcp_use.client.stderr.{self.server}")
        with contextlib.suppress(Exception):
            while True:
                line = await stderr.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip()
                self.stderr_tail.append(text)
                logger.info("%s", text)

    def _death_reason(self, what: str) -> str:
        code = self.proc.returncode if self.proc is not None else None
        if code is None:
            status = f"server process {what}"
        elif code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            status = f"server process was killed by {name}"
        else:
            status = f"server process exited with code {code}"
        tail = "\n".join(list(self.stderr_tail)[-5:])
        return f"{status} ({self.description})" + (f"; last stderr:\n{tail}" if tail else "")

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        proc = self.proc
        if proc is not None:
            if proc.returncode is None:
                with contextlib.suppress(Exception):
                    if proc.stdin is not None:
                        proc.stdin.close()
                try:
                    await asyncio.wait_for(proc.wait(), CLOSE_GRACE)
                except TimeoutError:
                    _signal_group(proc.pid, signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 2.0)
                    except TimeoutError:
                        _signal_group(proc.pid, signal.SIGKILL)
                        await proc.wait()
            # Children the server left in its group go too.
            _signal_group(proc.pid, signal.SIGKILL)
        tasks = [*self._tasks, *([self._drain] if self._drain is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if proc is not None:
            for pipe in (proc.stdin,):
                with contextlib.suppress(Exception):
                    pipe.close()  # type: ignore[union-attr]


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(pid, sig)
