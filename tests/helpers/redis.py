"""A throw-away `redis-server` on a free loopback port, stopped by its pid."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .net import free_port, wait_for_port
from .process import ServerProcess

__all__ = ["RestartableRedis", "redis_available", "redis_command", "redis_server"]


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def redis_command(port: int, data_dir: Path) -> list[str]:
    """redis-server on loopback `port`, no persistence; fails (not skips) without it."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is required (apt-get install redis-server)"
    return [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(data_dir),
    ]


@contextmanager
def redis_server(log_dir: Path) -> Iterator[str]:
    """Run redis-server (no persistence) and yield its URL."""
    port = free_port()
    with ServerProcess(redis_command(port, log_dir), port=port, log_dir=log_dir, name=f"redis-{port}"):
        yield f"redis://127.0.0.1:{port}/0"


class RestartableRedis:
    """A redis-server a test stops (SIGSTOP), continues, kills and restarts (empty) on the
    same port; `stop()` ends it by its pid whatever state it is in."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(redis_command(self.port, self.tmp), stdout=subprocess.DEVNULL)
        wait_for_port("127.0.0.1", self.port, timeout=10)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
