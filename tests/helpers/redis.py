"""A throw-away `redis-server` on a free loopback port, stopped by its pid."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .net import free_port
from .process import ServerProcess

__all__ = ["redis_available", "redis_server"]


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


@contextmanager
def redis_server(log_dir: Path) -> Iterator[str]:
    """Run redis-server (no persistence) and yield its URL."""
    port = free_port()
    cmd = [
        shutil.which("redis-server") or "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(log_dir),
    ]
    with ServerProcess(cmd, port=port, log_dir=log_dir, name=f"redis-{port}"):
        yield f"redis://127.0.0.1:{port}/0"
