"""A throw-away `redis-server` on a free loopback port, stopped by its pid."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .net import free_port
from .process import ServerProcess

__all__ = ["redis_available", "redis_command", "redis_server"]


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
