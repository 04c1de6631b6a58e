"""The rough edges a newcomer hit, each run the way a user types it.

Real processes, real signals (SIGINT to a server started with default signal
handling), a real busy port, real shell pipes.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port

SERVER = Path(__file__).resolve().parent / "servers" / "rough_edges_server.py"
MCP_USE = [sys.executable, "-m", "mcp_use.cli"]


def default_signals() -> None:
    """What a terminal gives `python server.py`: SIGINT at its default, not ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(port: int, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SERVER), str(port), *extra],
        env=env or example_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )


def wait_up(port: int, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.communicate()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start")


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MCP_USE, *args], env=example_env(), capture_output=True, text=True, timeout=60, **kwargs
    )


@pytest.fixture
def rough(tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    cmd = [sys.executable, str(SERVER), str(port)]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=30) as srv:
        yield srv


def test_ctrl_c_on_python_server_py_exits_cleanly() -> None:
    port = free_port()
    proc = start(port)
    wait_up(port, proc)
    assert httpx.get(f"http://127.0.0.1:{port}/mcp").status_code in (400, 405, 406)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "rough stopped" in err


def test_busy_port_says_so_before_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start(port)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err  # the hint
    assert "serving MCP at" not in err and "Traceback" not in err and "Errno 98" not in err


def test_call_refuses_an_unknown_argument(rough: ServerProcess) -> None:
    done = run("call", rough.url("/mcp"), "add", "a=1", "c=3")
    assert done.returncode == 2
    assert "tool 'add' has no parameter 'c' (parameters: a, b)" in done.stderr
    assert "tools/call" not in rough.stderr_path.read_text()  # nothing was sent
    ok = run("call", rough.url("/mcp"), "add", "a=1", "b=3")
    assert ok.returncode == 0 and ok.stdout.strip() == "4"


def test_call_names_the_server_that_is_not_configured(rough: ServerProcess, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    entries = {"calc": {"url": rough.url("/mcp")}, "other": {"url": rough.url("/mcp")}}
    config.write_text(json.dumps({"mcpServers": entries}))
    done = run("call", str(config), "nosuch", "add", "a=1", "b=2")
    assert done.returncode == 2
    assert "server 'nosuch' is not configured" in done.stderr and "calc, other" in done.stderr
    assert "several servers" not in done.stderr
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"mcpServers": {"calc": {"url": rough.url("/mcp")}}}))
    assert "server 'nosuch' is not configured" in run("call", str(single), "nosuch", "add").stderr
    assert run("call", str(config), "calc", "add", "a=1", "b=2").stdout.strip() == "3"


def test_list_into_head_prints_no_broken_pipe(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, str(SERVER), str(port), "--many", "3000"]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=30) as srv:
        mcp_use = " ".join(MCP_USE)
        for reader in ("head -1", "head -c 10", "true"):
            done = subprocess.run(
                ["bash", "-c", f"{mcp_use} list {srv.url('/mcp')} | {reader}"],
                env=example_env(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, (reader, done.stderr)
            assert "Broken pipe" not in done.stderr and "BrokenPipeError" not in done.stderr, reader
            assert done.stderr == "", (reader, done.stderr)
        whole = run("list", srv.url("/mcp"))
        assert whole.stdout.count("generated_tool_") == 3000  # the full output is still there


def test_missing_redis_extra_is_one_line_with_the_fix(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(
        "import sys\n"
        "sys.modules['redis'] = None  # as if the [redis] extra were not installed\n"
        "from mcp_use import MCPServer\n"
        "from mcp_use.server.state.redis import RedisState\n"
        "server = MCPServer(name='r', state=RedisState('redis://127.0.0.1:1/0'))\n"
        f"server.run(transport='streamable-http', host='127.0.0.1', port={free_port()})\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], env=example_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.count("pip install 'mcp-use[redis]'") == 1, done.stderr
    assert "Traceback" not in done.stderr and "unreachable" not in done.stderr


def test_debug_0_in_the_environment_wins_over_debug_true() -> None:
    port = free_port()
    proc = start(port, "--debug", env=example_env(DEBUG="0"))
    try:
        wait_up(port, proc)
        for path in ("/inspector", "/docs", "/openmcp.json", "/inspector/proxy"):
            response = httpx.get(f"http://127.0.0.1:{port}{path}")
            assert response.status_code == 404, path
        assert "DEBUG=0" in httpx.get(f"http://127.0.0.1:{port}/inspector").json()["message"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    # and DEBUG unset: the code's debug=True holds
    proc = start(port, "--debug")
    try:
        wait_up(port, proc)
        assert httpx.get(f"http://127.0.0.1:{port}/inspector").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_a_custom_docs_path_without_debug_says_why_it_is_404() -> None:
    port = free_port()
    proc = start(port, "--docs-path", "/api-docs")
    try:
        wait_up(port, proc)
        response = httpx.get(f"http://127.0.0.1:{port}/api-docs")
        assert response.status_code == 404
        message = response.json()["message"]
        assert "debug routes are off" in message and "debug=True" in message and "DEBUG=1" in message
        assert httpx.get(f"http://127.0.0.1:{port}/nothing-here").status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_a_tool_exception_is_in_the_server_log_with_its_traceback(rough: ServerProcess) -> None:
    done = run("call", rough.url("/mcp"), "boom")
    # the default masks an unexpected exception's text (DEBUG unset); the log keeps it all
    assert done.returncode == 1 and "Error executing tool boom" in done.stdout
    assert "kaboom" not in done.stdout
    deadline = time.monotonic() + 10
    while "kaboom" not in rough.stderr_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = rough.stderr_path.read_text()
    assert "ERROR" in log and "Tool boom failed" in log
    assert "Traceback (most recent call last)" in log and "RuntimeError: kaboom from the tool" in log


@pytest.mark.parametrize(("flag", "warned"), [("--cors", True), ("--cors-exposed", False)])
def test_cors_without_exposing_the_session_id_warns(flag: str, warned: bool) -> None:
    port = free_port()
    proc = start(port, flag)
    try:
        wait_up(port, proc)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert ("expose_headers=['Mcp-Session-Id']" in err) == warned, err
