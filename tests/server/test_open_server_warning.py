"""The open-server warning when the app is served without `server.run()`.

`uvicorn module:app --host 0.0.0.0` and gunicorn `--bind 0.0.0.0:PORT` import the app and
hand it requests; the server reads its process's listening sockets on the first request
and says once that anyone can reach it without `auth=` (server/exposure.py). Run here as
a user types them, in real processes; the requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import socket
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from mcp_use.server.exposure import exposed_host, listening_addresses
from tests.helpers import REPO_ROOT, ServerProcess, build_env, free_port
from tests.helpers.messages import initialize_message

WARNING = "serves HTTP on 0.0.0.0 without auth=: anyone who can reach it can call every tool"
AUDIENCE_WARNING = "Set resource_url to this server's public URL"

APP = textwrap.dedent(
    """
    import os
    from mcp_use import MCPServer
    from mcp_use.auth import JWTVerifier

    kind = os.environ["OPEN_TEST_AUTH"]
    auth = None
    if kind == "auth":
        auth = JWTVerifier(secret="s" * 32, audience="http://x/mcp")
    elif kind == "noaud":
        auth = JWTVerifier(secret="s" * 32)
    server = MCPServer("open", auth=auth)

    @server.tool()
    def hi() -> str:
        return "hi"

    app = server.sse_app() if os.environ.get("OPEN_TEST_SSE") else server.app
    """
)

COMMANDS = {
    "uvicorn": [sys.executable, "-m", "uvicorn", "openapp:app", "--host", "{host}", "--port", "{port}"],
    "uvicorn-sse": [sys.executable, "-m", "uvicorn", "openapp:app", "--host", "{host}", "--port", "{port}"],
    "gunicorn": [
        sys.executable, "-m", "gunicorn", "openapp:app", "--workers", "1",
        "--worker-class", "uvicorn_worker.UvicornWorker", "--bind", "{host}:{port}",
        "--no-control-socket", "--graceful-timeout", "3",
    ],
}  # fmt: skip


def initialize(port: int) -> int:
    headers = {"accept": "application/json, text/event-stream"}
    url = f"http://127.0.0.1:{port}/mcp"
    return httpx.post(url, json=initialize_message(), headers=headers, timeout=10).status_code


def open_sse(port: int) -> int:
    """Open the legacy SSE stream, read its first event (the endpoint), close it."""
    with httpx.stream("GET", f"http://127.0.0.1:{port}/sse", timeout=10) as events:
        for line in events.iter_lines():
            if line.startswith("event:"):
                break
        return events.status_code


def wait_for(path: Path, text: str, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        log = path.read_text()
        if text in log or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("served", "host", "auth", "warned"),
    [
        ("uvicorn", "0.0.0.0", "none", True),
        ("gunicorn", "0.0.0.0", "none", True),
        ("uvicorn-sse", "0.0.0.0", "none", True),
        ("uvicorn", "127.0.0.1", "none", False),
        ("uvicorn", "0.0.0.0", "auth", False),
        ("uvicorn", "0.0.0.0", "noaud", False),
    ],
)
def test_served_without_run_warns_once_on_the_first_request(
    tmp_path: Path, served: str, host: str, auth: str, warned: bool
) -> None:
    (tmp_path / "openapp.py").write_text(APP)
    port = free_port()
    command = [part.replace("{host}", host).replace("{port}", str(port)) for part in COMMANDS[served]]
    sse = "1" if served.endswith("-sse") else None
    env = build_env({"PYTHONPATH": str(REPO_ROOT / "src"), "OPEN_TEST_AUTH": auth, "DEBUG": None, "OPEN_TEST_SSE": sse,
                     "MCP_USE_BIND_HOST": None, "MCP_USE_LOGGING": None, "MCP_USE_REDIS_URL": None})  # fmt: skip
    with ServerProcess(command, port=port, cwd=tmp_path, env=env, log_dir=tmp_path, name=served) as srv:
        assert "without auth=" not in srv.stderr_path.read_text()  # nothing said before serving
        for _ in range(3):
            if sse:
                assert open_sse(port) == 200
            else:
                assert initialize(port) == (401 if auth != "none" else 200)
        expected = WARNING if warned else AUDIENCE_WARNING if auth == "noaud" else "no such line"
        log = wait_for(srv.stderr_path, expected, 5.0 if expected != "no such line" else 1.0)
    assert log.count("without auth=") == (1 if warned else 0), log
    assert log.count(AUDIENCE_WARNING) == (1 if auth == "noaud" else 0), log


def test_listening_sockets_of_this_process_are_read() -> None:
    """A listening socket is found with its address; a connected one is not; only a
    non-loopback or wildcard address counts as exposed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            with accepted:
                found = listening_addresses()
                assert found.count(("127.0.0.1", port)) == 1  # the listener, once
                assert client.getsockname() not in found  # a connected socket is not listening
        assert listener.getsockname() == ("127.0.0.1", port)  # only a duplicate was closed
    assert exposed_host(["127.0.0.1", "::1"]) is None
    assert exposed_host(["127.0.0.1", "0.0.0.0"]) == "0.0.0.0"
    assert exposed_host(["::"]) == "::"
    assert exposed_host(["10.1.2.3"]) == "10.1.2.3"
    assert exposed_host([]) is None
