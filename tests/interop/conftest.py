"""Fixtures for the interop tests: our servers, started as real processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import REPO_ROOT, ServerPool, ServerProcess, free_port

SRC = REPO_ROOT / "src"
SERVERS = Path(__file__).resolve().parent / "servers"
INTEROP_SERVER = SERVERS / "interop_server.py"


def server_env() -> dict[str, str]:
    """Environment overrides so a server process imports this checkout's ``mcp_use``."""
    path = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": os.pathsep.join([str(SRC), path]) if path else str(SRC),
        "PYTHONUNBUFFERED": "1",
    }


def stdio_argv(script: Path = INTEROP_SERVER, *args: str) -> list[str]:
    return [sys.executable, str(script), *args]


def _mcp_ready(url: str) -> bool:
    """The endpoint answers HTTP (any status): the app, not only the socket, is up."""
    response = httpx.get(url, timeout=2.0)
    return response.status_code < 500


def start_http_server(pool: ServerPool, script: Path = INTEROP_SERVER) -> ServerProcess:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    return pool(
        [sys.executable, str(script), "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
        port=port,
        env=server_env(),
        ready=lambda: _mcp_ready(url),
        name=f"{script.stem}-http",
    )


@pytest.fixture(scope="module")
def http_server(module_server_process: ServerPool) -> Iterator[ServerProcess]:
    """The interop server over Streamable HTTP on 127.0.0.1, shared by a module."""
    server = start_http_server(module_server_process)
    yield server
    assert server.is_running(), f"the interop server died during the tests:\n{server.describe()}"
