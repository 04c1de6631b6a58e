"""The official conformance suite (server mode) against `mcp-use proxy` in front of our
fixture server (tests/conformance/server.py over Streamable HTTP): everything the suite
scores on both eras, the tasks extension included (`--suite all`), must pass through the
proxy as it passes against the fixture itself (`expected-failures.yml` has no server
entries). The proxy forwards; the fixture's tools, prompts and resources answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ServerPool, ServerProcess, free_port, python_cmd, run_conformance_server
from tests.helpers.proxy import serve_http, start_proxy

from .test_server_conformance import EXPECTED_FAILURES, LEGACY, MODERN, SERVER_SCRIPT

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def proxied(module_server_process: ServerPool, node: Any) -> ServerProcess:
    port = free_port()
    fixture = serve_http(
        module_server_process, python_cmd(SERVER_SCRIPT, "--port", port), port, "conformance-fixture"
    )
    return start_proxy(module_server_process, [fixture.url("/mcp")], "conformance-proxy")


@pytest.mark.parametrize(
    "options",
    [
        {"requirements": LEGACY},
        {"requirements": MODERN, "expected_failures": EXPECTED_FAILURES},
        {"suite": "all", "spec_version": MODERN, "expected_failures": EXPECTED_FAILURES},
    ],
    ids=["requirements-2025-11-25", "requirements-2026-07-28", "all-2026-07-28"],
)
def test_conformance_through_the_proxy(
    proxied: ServerProcess, tmp_path_factory: pytest.TempPathFactory, options: dict[str, Any]
) -> None:
    result = run_conformance_server(
        proxied.url("/mcp"), output_dir=tmp_path_factory.mktemp("conformance-proxy"), **options
    )
    assert proxied.is_running(), proxied.describe()
    assert result.totals is not None, f"no 'Total:' line in the output\n{result.describe_failures()}"
    assert result.returncode == 0 and result.totals.failed == 0, result.describe_failures()
    assert result.totals.passed >= 80, result.totals  # the scored checks really ran
    assert not result.unexpected_failures and not result.stale_entries, result.describe_failures()
