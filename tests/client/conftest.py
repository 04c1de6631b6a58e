"""Fixtures for the client tests: our servers and the peers', as real processes on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import REPO_ROOT, ServerPool, ServerProcess, free_port

SRC = REPO_ROOT / "src"
SERVERS = Path(__file__).resolve().parent / "servers"
CLIENT_SERVER = SERVERS / "client_server.py"
ENV = {"PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}


def stdio_entry(script: Path = CLIENT_SERVER, *args: str) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(script), *args], "env": ENV}


def answers_http(url: str) -> bool:
    return httpx.get(url, timeout=2.0).status_code < 500


def start_http(
    pool: ServerPool,
    cmd: list[str],
    path: str = "/mcp",
    env: dict[str, str] | None = None,
    name: str = "server",
) -> ServerProcess:
    """Start an HTTP server on a free 127.0.0.1 port (`{port}` in cmd, or $PORT)."""
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    # A GET on an SSE endpoint never ends: probe the root instead.
    url = f"http://127.0.0.1:{port}{'/' if path.endswith('sse') else path}"
    return pool(
        cmd,
        port=port,
        env={**ENV, "PORT": str(port), **(env or {})},
        ready=lambda: answers_http(url),
        name=name,
    )


@pytest.fixture(scope="module")
def our_http(module_server_process: ServerPool) -> Iterator[str]:
    """client_server.py over Streamable HTTP; yields its /mcp URL."""
    server = start_http(
        module_server_process,
        [sys.executable, str(CLIENT_SERVER), "--transport", "http", "--port", "{port}"],
        name="client-server-http",
    )
    yield server.url("/mcp")
