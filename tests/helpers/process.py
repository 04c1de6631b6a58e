"""Start a server process for a test and always stop it.

``ServerProcess`` runs a command in its own process group (its pgid is its pid),
with stdout and stderr going to files under a log directory (a test's tmp dir),
waits until it is ready (a TCP port accepts connections and/or a predicate
holds), and on exit stops it by its pid: SIGTERM to the whole group, SIGKILL
after a grace period, then reaps it, so no zombie and no orphaned child is left.
If it dies or never becomes ready, ``ServerStartError`` carries the stderr tail.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Self

from .net import port_is_open

__all__ = [
    "REPO_ROOT",
    "ServerPool",
    "ServerProcess",
    "ServerStartError",
    "build_env",
    "python_cmd",
]

REPO_ROOT = Path(__file__).resolve().parents[2]

_live: set[ServerProcess] = set()
_live_lock = threading.Lock()


class ServerStartError(RuntimeError):
    """The server exited or never became ready; the message holds its stderr tail."""


def build_env(
    overrides: Mapping[str, str | None] | None = None, *, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) with ``overrides`` applied.

    An override whose value is None removes that variable.
    """
    env = dict(os.environ if base is None else base)
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def python_cmd(script: str | os.PathLike[str], *args: object) -> list[str]:
    """``[sys.executable, script, *args]`` with ``script`` resolved against the repo."""
    path = Path(script)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return [sys.executable, str(path), *(str(a) for a in args)]


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "server"


class ServerProcess:
    """A server started for a test; a context manager.

    >>> port = free_port()
    >>> with ServerProcess(python_cmd("tests/conformance/server.py", "--port", port),
    ...                    port=port, log_dir=tmp_path) as srv:
    ...     httpx.get(srv.url("/mcp"))

    Parameters:
        cmd: argv list (no shell).
        port/host: when ``port`` is set, ready means ``host:port`` accepts TCP.
        ready: extra readiness predicate, polled (after the port is open) until
            it returns True; exceptions count as "not yet".
        env: overrides on top of ``os.environ`` (None removes a variable);
            ``PYTHONUNBUFFERED=1`` is set unless overridden.
        cwd: working directory (default: the repo root).
        log_dir: where ``<name>.stdout.log`` / ``<name>.stderr.log`` go
            (default: a fresh temp dir).
        startup_timeout: seconds to wait for readiness.
        stop_timeout: seconds between SIGTERM and SIGKILL.
    """

    def __init__(
        self,
        cmd: Sequence[str | os.PathLike[str]],
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        ready: Callable[[], bool] | None = None,
        env: Mapping[str, str | None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        name: str | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.cmd = [os.fspath(c) for c in cmd]
        self.port = port
        self.host = host
        self.ready = ready
        self.env = build_env({"PYTHONUNBUFFERED": "1", **(env or {})})
        self.cwd = Path(cwd) if cwd is not None else REPO_ROOT
        self.name = _safe_name(name or Path(self.cmd[0]).name + "-" + str(port or ""))
        self.log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp())
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.stdout_path = self._unique_path("stdout")
        self.stderr_path = self._unique_path("stderr")
        self.startup_seconds: float | None = None

    def _unique_path(self, stream: str) -> Path:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{self.name}.{stream}.log"
        n = 1
        while path.exists():
            n += 1
            path = self.log_dir / f"{self.name}-{n}.{stream}.log"
        return path

    # ------------------------------------------------------------------ info
    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("server not started")
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("no port given")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def _tail(self, path: Path, lines: int) -> str:
        try:
            data = path.read_bytes()
        except OSError:
            return ""
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])

    def stderr_tail(self, lines: int = 40) -> str:
        return self._tail(self.stderr_path, lines)

    def stdout_tail(self, lines: int = 40) -> str:
        return self._tail(self.stdout_path, lines)

    def describe(self, lines: int = 40) -> str:
        """Command, pid/exit code, log paths and the stderr tail, for messages."""
        state = (
            "not started"
            if self.proc is None
            else f"pid {self.proc.pid}, "
            + ("running" if self.returncode is None else f"exit code {self.returncode}")
        )
        return (
            f"{' '.join(self.cmd)} ({state})\n"
            f"stderr log: {self.stderr_path}\n"
            f"--- last {lines} lines of stderr ---\n{self.stderr_tail(lines)}\n"
            f"--- end of stderr ---"
        )

    # ------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        if self.proc is not None:
            raise RuntimeError("already started")
        t0 = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # own session and process group: pgid == pid
            )
        with _live_lock:
            _live.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        port_ok = self.port is None
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServerStartError(f"server exited during startup: {self.describe()}")
            if not port_ok:
                port_ok = port_is_open(self.host, self.port, timeout=0.5)  # type: ignore[arg-type]
            if port_ok:
                if self.ready is None:
                    return
                with contextlib.suppress(Exception):
                    if self.ready():
                        return
            if time.monotonic() >= deadline:
                what = (
                    f"{self.host}:{self.port} accepting connections"
                    if not port_ok
                    else "the readiness check passing"
                )
                raise ServerStartError(
                    f"server not ready after {self.startup_timeout}s (waiting for {what}): {self.describe()}"
                )
            time.sleep(0.05)

    def _signal_group(self, sig: int) -> bool:
        """Send ``sig`` to the server's process group; False if the group is gone."""
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            # Should not happen for our own group; fall back to the leader alone.
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            return True

    def _group_alive(self) -> bool:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def stop(self) -> int | None:
        """Stop the server (idempotent): SIGTERM, then SIGKILL, to its process group.

        Returns the leader's exit code (negative: killed by that signal).
        """
        proc = self.proc
        if proc is None:
            return None
        try:
            if proc.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    proc.wait(timeout=10)
            # The leader is reaped; children it left in the group (workers,
            # reloaders) get the same treatment.
            if self._group_alive():
                self._signal_group(signal.SIGTERM)
                deadline = time.monotonic() + min(self.stop_timeout, 5.0)
                while self._group_alive() and time.monotonic() < deadline:
                    time.sleep(0.05)
                if self._group_alive():
                    self._signal_group(signal.SIGKILL)
        finally:
            with _live_lock:
                _live.discard(self)
        return proc.returncode

    def __enter__(self) -> Self:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        pid = self.proc.pid if self.proc else None
        return f"ServerProcess({self.cmd!r}, port={self.port}, pid={pid})"


class ServerPool:
    """Starts ServerProcesses and stops them all at the end (fixture backend)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = Path(log_dir)
        self.servers: list[ServerProcess] = []

    def start(self, cmd: Sequence[str | os.PathLike[str]], **kwargs: object) -> ServerProcess:
        kwargs.setdefault("log_dir", self.log_dir)
        server = ServerProcess(cmd, **kwargs)  # type: ignore[arg-type]
        self.servers.append(server)
        return server.start()

    __call__ = start

    def stop_all(self) -> None:
        errors: list[BaseException] = []
        for server in reversed(self.servers):
            try:
                server.stop()
            except BaseException as e:  # keep stopping the others
                errors.append(e)
        self.servers.clear()
        if errors:
            raise errors[0]


@atexit.register
def _stop_leftovers() -> None:
    with _live_lock:
        leftovers = list(_live)
    for server in leftovers:
        with contextlib.suppress(Exception):
            server.stop()
