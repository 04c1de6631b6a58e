"""The official MCP conformance suite against our `MCPClient` (client mode).

The suite starts a mock server per scenario and runs tests/conformance/client.py
against it. Only `auth/*` scenarios (OAuth, not implemented yet) are baselined in
expected-failures.yml; everything else must pass on both eras.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT, ConformanceResult, run_conformance_client

pytestmark = [pytest.mark.conformance]

CLIENT_SCRIPT = REPO_ROOT / "tests" / "conformance" / "client.py"
EXPECTED_FAILURES = REPO_ROOT / "tests" / "conformance" / "expected-failures.yml"

# Scenarios that must have run and passed every check (not just "no failure").
MUST_PASS = {
    "2025-11-25": {
        "initialize",
        "tools_call",
        "elicitation-sep1034-client-defaults",
        "sse-retry",
        "json-schema-2020-12-preservation",
    },
    "2026-07-28": {
        "tools_call",
        "request-metadata",
        "sep-2322-client-request-state",
        "http-standard-headers",
        "http-custom-headers",
        "http-invalid-tool-headers",
        "json-schema-ref-no-deref",
        "json-schema-2020-12-preservation",
    },
}


@pytest.mark.parametrize("spec_version", sorted(MUST_PASS))
def test_client_conformance(spec_version: str, tmp_path: Path, node: Any) -> None:
    result: ConformanceResult = run_conformance_client(
        [sys.executable, str(CLIENT_SCRIPT.relative_to(REPO_ROOT))],
        output_dir=tmp_path / "out",
        suite="all",
        spec_version=spec_version,
        expected_failures=EXPECTED_FAILURES,
        timeout_ms=60000,
        process_timeout=600,
    )
    assert result.ok, (
        f"conformance client {spec_version} failed:\n{result.describe_failures()}\n{result.stdout[-4000:]}"
    )
    assert not result.stale_entries, result.stale_entries
    for failure in result.unexpected_failures:
        assert failure.startswith("auth/"), f"unexpected failure outside auth/*: {failure}"
    for scenario in MUST_PASS[spec_version]:
        assert scenario in result.scenario_lines, f"{scenario} did not run:\n{result.stdout[-3000:]}"
        passed, failed = result.scenario_lines[scenario]
        assert failed == 0 and passed > 0, f"{scenario}: {passed} passed, {failed} failed"
