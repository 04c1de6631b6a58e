"""stdio: the server is our child process speaking newline-delimited JSON-RPC.

The child runs in its own process group, so closing the session ends the server and
anything it spawned; it is always reaped, so no zombie is left. Its stderr goes to the
log (the last lines are kept for the error message if it dies). When its stdout ends,
every pending call fails at once with `ServerDisconnected`.
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
        try:
            self.proc = await asyncio.create_subprocess_exec(
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
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read_stdout()), loop.create_task(self._read_stderr())]

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

    async def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        buffer = bytearray()
        try:
            while True:
                chunk = await stdout.read(CHUNK)
                if not chunk:
                    break
                buffer += chunk
                start = 0
                while True:
                    end = buffer.find(b"\n", start)
                    if end < 0:
                        break
                    line = bytes(buffer[start:end])
                    start = end + 1
                    if line.strip():
                        await self._line(line)
                if start:
                    del buffer[:start]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken pipe or a bug in a callback: the connection is over
            log.debug("[%s] stdout reader stopped: %r", self.server, exc)
        if self._closing or self.receiver is None:
            return
        # stdout ended: the server is gone or going. Give it a moment to report its exit code.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), 0.25)
        self.receiver.closed(ServerDisconnected(self.server, self._death_reason("closed its stdout")))

    async def _line(self, line: bytes) -> None:
        try:
            message = jsonrpc.loads(line)
        except MCPError:
            log.warning("[%s] ignored a non-JSON line on stdout: %.200r", self.server, line)
            return
        if not isinstance(message, dict):
            if isinstance(message, list):
                for item in message:
                    if isinstance(item, dict):
                        await self.receiver.feed(item)  # type: ignore[union-attr]
            return
        await self.receiver.feed(message)  # type: ignore[union-attr]

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
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if proc is not None:
            for pipe in (proc.stdin,):
                with contextlib.suppress(Exception):
                    pipe.close()  # type: ignore[union-attr]


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(pid, sig)
