"""Self-tests for tests/helpers: the harness must be right before anything built on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import (
    NodeTools,
    ServerPool,
    ServerProcess,
    ServerStartError,
    free_port,
    load_checks,
    parse_totals,
    port_is_open,
    run_conformance_client,
    run_conformance_server,
    wait_for_port,
)


def _pid_gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting for a reaper that is not us."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return True


def test_free_port_and_wait_for_port() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    assert not port_is_open("127.0.0.1", port)
    with pytest.raises(TimeoutError):
        wait_for_port("127.0.0.1", port, timeout=0.3)
    with pytest.raises(RuntimeError, match="process is gone"):
        wait_for_port("127.0.0.1", port, timeout=5, alive=lambda: False)


def test_server_process_start_stop(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with ServerProcess(cmd, port=port, log_dir=tmp_path, name="http") as srv:
        assert srv.is_running()
        assert srv.url("/x") == f"http://127.0.0.1:{port}/x"
        assert port_is_open("127.0.0.1", port)
        pid = srv.pid
        assert os.getpgid(pid) == pid  # its own process group
    assert not srv.is_running()
    assert srv.returncode is not None
    assert _pid_gone(pid)
    assert not port_is_open("127.0.0.1", port)
    assert srv.stderr_path.exists() and srv.stderr_path.parent == tmp_path
    assert srv.stop() == srv.returncode  # idempotent


def test_server_process_env_and_ready_predicate(tmp_path: Path) -> None:
    port = free_port()
    marker = tmp_path / "ready"
    code = (
        "import os, pathlib, socket, time\n"
        "s = socket.socket(); s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen()\n"
        "time.sleep(0.3)\n"
        "pathlib.Path(os.environ['MARKER']).write_text(os.environ['GREETING'])\n"
        "time.sleep(60)\n"
    )
    env = {"PORT": str(port), "MARKER": str(marker), "GREETING": "hi", "HOME": None}
    with ServerProcess(
        [sys.executable, "-c", code], port=port, env=env, ready=marker.exists, log_dir=tmp_path
    ) as srv:
        assert marker.read_text() == "hi"
        assert "HOME" not in srv.env and srv.env["PYTHONUNBUFFERED"] == "1"


def test_server_process_startup_failure_has_stderr(tmp_path: Path) -> None:
    code = "import sys; print('boom: bad config', file=sys.stderr); sys.exit(3)"
    srv = ServerProcess([sys.executable, "-c", code], port=free_port(), log_dir=tmp_path)
    with pytest.raises(ServerStartError, match="boom: bad config") as info:
        srv.start()
    assert "exit code 3" in str(info.value)
    assert not srv.is_running()


def test_server_process_startup_timeout_stops_it(tmp_path: Path) -> None:
    code = "import sys, time; print('still starting', file=sys.stderr, flush=True); time.sleep(60)"
    srv = ServerProcess([sys.executable, "-c", code], port=free_port(), log_dir=tmp_path, startup_timeout=1)
    with pytest.raises(ServerStartError, match="still starting"):
        srv.start()
    assert srv.returncode is not None  # stopped and reaped


def test_server_process_kills_group_and_stubborn_leader(tmp_path: Path) -> None:
    """SIGTERM is ignored by the leader: SIGKILL follows; its child dies too."""
    port = free_port()
    child_pid_file = tmp_path / "child.pid"
    code = (
        "import os, signal, socket, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(child_pid_file)!r}, 'w').write(str(c.pid))\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
        "time.sleep(120)\n"
    )
    srv = ServerProcess(
        [sys.executable, "-c", code],
        port=port,
        log_dir=tmp_path,
        stop_timeout=0.5,
        ready=child_pid_file.exists,
    ).start()
    child = int(child_pid_file.read_text())
    t0 = time.monotonic()
    rc = srv.stop()
    assert rc == -signal.SIGKILL
    assert time.monotonic() - t0 < 15
    deadline = time.monotonic() + 5
    while not _pid_gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pid_gone(child)


def test_server_process_fixture(server_process: ServerPool) -> None:
    port = free_port()
    srv = server_process([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], port=port)
    assert srv.is_running()
    # teardown of the fixture stops it


def test_node_tools(node: NodeTools) -> None:
    assert node.node_version.startswith("v22.")
    out = subprocess.run(["node", "--version"], env=node.env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == node.node_version
    for tool in ("conformance", "mcp-inspector", "mcp-server-everything"):
        assert node.bin(tool).exists()
    assert node.package_version("@modelcontextprotocol/conformance") == "0.2.0-alpha.12"


def test_parse_totals() -> None:
    assert parse_totals("x\nTotal: 3 passed, 1 failed\n").line() == "Total: 3 passed, 1 failed"
    t = parse_totals("\x1b[32mTotal: 5 passed, 0 failed, 2 warnings, 1 skipped\x1b[0m\n")
    assert (t.passed, t.failed, t.warnings, t.skipped) == (5, 0, 2, 1)
    assert parse_totals("nothing here") is None


def test_load_checks_names(tmp_path: Path) -> None:
    stamp = "2026-11-24T10-07-58-502Z"
    for rel in (f"server-server-initialize-{stamp}", f"server-tools-list-{stamp}"):
        (tmp_path / "s" / rel).mkdir(parents=True)
        (tmp_path / "s" / rel / "checks.json").write_text('[{"id": "a", "status": "SUCCESS"}]')
    (tmp_path / "c" / "auth" / f"metadata-default-{stamp}").mkdir(parents=True)
    (tmp_path / "c" / "auth" / f"metadata-default-{stamp}" / "checks.json").write_text("[]")
    assert sorted(load_checks(tmp_path / "s", "server")) == ["server-initialize", "tools-list"]
    assert list(load_checks(tmp_path / "c", "client")) == ["auth/metadata-default"]


def test_conformance_server_against_dead_port(node: NodeTools, tmp_path: Path) -> None:
    """Output shape: one checks.json per scenario, a Total line, exit 1."""
    url = f"http://127.0.0.1:{free_port()}/mcp"
    r = run_conformance_server(
        url, scenario="ping", output_dir=tmp_path / "out", timeout_ms=5000, record=False
    )
    assert r.returncode == 1, r.describe_failures()
    assert list(r.checks) == ["ping"]
    assert r.scenario_status("ping") == "FAILURE"
    assert r.failing_checks()["ping"][0]["errorMessage"].startswith("Failed:")

    r = run_conformance_server(
        url, requirements="2025-11-25", output_dir=tmp_path / "req", timeout_ms=5000, record=False
    )
    assert r.returncode == 1
    assert r.totals is not None and r.totals.failed > 0
    computed = r.computed_totals()
    assert (computed.passed, computed.failed) == (r.totals.passed, r.totals.failed)
    assert {"server-initialize", "tools-list", "tools-call-simple-text"} <= set(r.checks)
    assert r.scenario_lines["tools-list"] == (1, 1)


def test_conformance_baseline_parsing(node: NodeTools, tmp_path: Path) -> None:
    baseline = tmp_path / "ef.yml"
    baseline.write_text("server:\n  - ping\n  - tools-list\n")
    url = f"http://127.0.0.1:{free_port()}/mcp"
    r = run_conformance_server(
        url,
        suite="all",
        spec_version="2025-11-25",
        expected_failures=baseline,
        output_dir=tmp_path / "out",
        timeout_ms=5000,
        record=False,
    )
    assert r.returncode == 1
    assert set(r.expected_failures) == {"ping", "tools-list"}
    assert "server-initialize" in r.unexpected_failures
    assert "--expected-failures ef.yml" in r.label


def test_conformance_client_mode(node: NodeTools, tmp_path: Path) -> None:
    """A client that only records its argv and environment: the checks fail, but
    the harness sees the CLI's contract (mock URL appended last, env vars)."""
    script = tmp_path / "client.py"
    script.write_text(
        "import json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'scenario': "
        "os.environ.get('MCP_CONFORMANCE_SCENARIO'), 'pv': "
        "os.environ.get('MCP_CONFORMANCE_PROTOCOL_VERSION')}))\n"
    )
    r = run_conformance_client(
        [sys.executable, str(script)],
        scenario="tools_call",
        output_dir=tmp_path / "out",
        timeout_ms=20000,
        record=False,
    )
    assert r.returncode == 1, r.describe_failures()
    assert list(r.checks) == ["tools_call"]
    assert r.totals is None  # a single client scenario prints no Total line
    assert r.computed_totals().failed >= 1
    stdout = next((tmp_path / "out").glob("tools_call-*/stdout.txt")).read_text()
    assert '"scenario": "tools_call"' in stdout and "http://localhost:" in stdout

    # Pitfall: a client that does nothing "passes" `initialize` (zero checks, exit 0).
    r = run_conformance_client(
        [sys.executable, str(script)], scenario="initialize", output_dir=tmp_path / "init", record=False
    )
    assert r.returncode == 0 and r.checks == {"initialize": []}
    assert r.empty_scenarios == ["initialize"]
