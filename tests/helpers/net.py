"""Loopback networking helpers: free ports and waiting for a listener."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

__all__ = ["free_port", "port_is_open", "wait_for_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now.

    The kernel picks it (bind to port 0). Another process could take it before the
    caller binds it, which on a test machine is rare enough to ignore.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str,
    port: int,
    timeout: float = 30.0,
    *,
    interval: float = 0.05,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Block until ``host:port`` accepts TCP connections.

    ``alive``, when given, is polled too: once it returns False (say, the server
    process exited) this gives up at once with RuntimeError instead of waiting out
    the timeout. Raises TimeoutError when the port is still closed after
    ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if port_is_open(host, port, timeout=min(0.5, timeout)):
            return
        if alive is not None and not alive():
            raise RuntimeError(f"gave up waiting for {host}:{port}: the process is gone")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} did not accept connections within {timeout}s")
        time.sleep(interval)
