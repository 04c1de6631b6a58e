"""Fixtures for the server tests: our server scripts as real processes, over HTTP or stdio."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.helpers import REPO_ROOT, ServerPool, ServerProcess, free_port

SRC = REPO_ROOT / "src"
if importlib.util.find_spec("mcp_use") is None:  # not installed: test this checkout
    sys.path.insert(0, str(SRC))
SERVERS = Path(__file__).resolve().parent / "servers"
BAD_INPUT_SERVER = SERVERS / "bad_input_server.py"

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


def initialize_message(rid: Any = 0, version: str = LEGACY) -> dict[str, Any]:
    """A legacy-era `initialize` request."""
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    return {"jsonrpc": "2.0", "id": rid, "method": "initialize", "params": params}


def post_scope(
    headers: list[tuple[bytes, bytes]], server: tuple[str, int] = ("127.0.0.1", 8000)
) -> dict[str, Any]:
    """The ASGI scope of a POST to /mcp, as uvicorn builds it, for driving the raw app."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": server,
        "client": ("127.0.0.1", 50000),
    }


def server_env() -> dict[str, str]:
    """Environment overrides so a server process imports this checkout's ``mcp_use``."""
    path = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": os.pathsep.join([str(SRC), path]) if path else str(SRC),
        "PYTHONUNBUFFERED": "1",
    }


def start_http(pool: ServerPool, script: Path) -> ServerProcess:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    return pool(
        [sys.executable, str(script), "--transport", "http", "--port", str(port)],
        port=port,
        env=server_env(),
        ready=lambda: httpx.get(url, timeout=2.0).status_code < 500,
        name=f"{script.stem}-http",
    )


@pytest.fixture(scope="module")
def bad_input_http(module_server_process: ServerPool) -> Iterator[ServerProcess]:
    server = start_http(module_server_process, BAD_INPUT_SERVER)
    yield server
    assert server.is_running(), f"the server died during the tests:\n{server.describe()}"


class StdioPeer:
    """A server on the other end of a pipe: raw lines in, parsed messages out.

    Started in its own process group and stopped by its pid (SIGTERM, then SIGKILL).
    """

    def __init__(self, script: Path, log_dir: Path) -> None:
        self.stderr_path = log_dir / f"{script.stem}.stdio.stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **server_env()},
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data if data.endswith(b"\n") else data + b"\n")
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_raw(orjson.dumps(message))

    def read(self, timeout: float = 15.0) -> dict[str, Any]:
        """The next line on stdout; every line must be one JSON-RPC message."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout}s; stderr:\n{self.stderr()}") from None
        if line is None:
            raise AssertionError(
                f"the server closed stdout (exit {self.proc.poll()}); stderr:\n{self.stderr()}"
            )
        message = orjson.loads(line)
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", line
        return message

    def ask(self, message: Any) -> dict[str, Any]:
        self.send(message)
        return self.read()

    def initialize(self) -> dict[str, Any]:
        answer = self.ask(
            {
                "jsonrpc": "2.0",
                "id": "init",
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY,
                    "capabilities": {},
                    "clientInfo": {"name": "raw-stdio", "version": "1"},
                },
            }
        )
        assert answer["result"]["protocolVersion"] == LEGACY
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def stderr(self) -> str:
        with contextlib.suppress(OSError):
            return self.stderr_path.read_text(errors="replace")[-4000:]
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]
        self._stderr.close()


@pytest.fixture
def stdio_peer(tmp_path: Path) -> Iterator[StdioPeer]:
    peer = StdioPeer(BAD_INPUT_SERVER, tmp_path)
    try:
        yield peer
    finally:
        peer.stop()


# ---- the inspector's browser tests: Debian chromium through Playwright ------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.helpers.browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; an uncaught error in it fails the test."""
    from tests.helpers.browser import new_page

    with new_page(browser) as p:
        yield p
