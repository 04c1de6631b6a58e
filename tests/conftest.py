"""Fixtures shared by every test; the helpers themselves live in tests/helpers/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    CONFORMANCE_RUNS,
    REPO_ROOT,
    NodeTools,
    NodeToolsMissing,
    ServerPool,
    node_tools,
)

SUMMARY_FILE = REPO_ROOT / "test-output" / "conformance-summary.txt"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: runs the MCP conformance suite (slow)")
    # A fresh summary per session, so a stale file never passes for this run's.
    SUMMARY_FILE.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def node() -> NodeTools:
    """The .tools Node 22 install (fails, not skips, when setup.sh was not run)."""
    try:
        return node_tools()
    except NodeToolsMissing as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerPool]:
    """Factory: ``server_process(cmd, port=..., env=..., ready=...)`` -> ServerProcess.

    Logs go to the test's tmp dir; every server started is stopped at teardown.
    """
    pool = ServerPool(tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="module")
def module_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """Like ``server_process`` but shared by a module (stopped after its last test)."""
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    try:
        yield pool
    finally:
        pool.stop_all()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Show every conformance run's totals in the log, with or without ``-s``."""
    if not CONFORMANCE_RUNS:
        return
    lines = [run.summary() for run in CONFORMANCE_RUNS]
    terminalreporter.write_sep("-", "conformance runs")
    for line in lines:
        terminalreporter.write_line(line)
    SUMMARY_FILE.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
