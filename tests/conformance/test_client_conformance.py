"""The official MCP conformance suite against our `MCPClient` (client mode).

The suite starts a mock server per scenario and runs tests/conformance/client.py
against it. Nothing is baselined for the client: every scenario, OAuth (`auth/*`)
included, must pass on both eras, and so must the OAuth extension scenarios (client
credentials, enterprise-managed authorization, DPoP, workload identity), which
`--spec-version` runs do not reach.
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

AUTH_2025 = {
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
}
AUTH_2026 = AUTH_2025 | {
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/authorization-server-migration",
    "auth/iss-supported",
    "auth/iss-not-advertised",
    "auth/iss-supported-missing",
    "auth/iss-wrong-issuer",
    "auth/iss-unexpected",
    "auth/iss-normalized",
    "auth/metadata-issuer-mismatch",
}
AUTH_EXTENSIONS = {
    "auth/client-credentials-basic",
    "auth/client-credentials-jwt",
    "auth/enterprise-managed-authorization",
    "auth/dpop",
    "auth/dpop-nonce",
    "auth/wif-jwt-bearer",
}

# Scenarios that must have run and passed every check (not just "no failure").
MUST_PASS = {
    "2025-11-25": {
        "initialize",
        "tools_call",
        "elicitation-sep1034-client-defaults",
        "sse-retry",
        "json-schema-2020-12-preservation",
    }
    | AUTH_2025,
    "2026-07-28": {
        "tools_call",
        "request-metadata",
        "sep-2322-client-request-state",
        "http-standard-headers",
        "http-custom-headers",
        "http-invalid-tool-headers",
        "json-schema-ref-no-deref",
        "json-schema-2020-12-preservation",
    }
    | AUTH_2026,
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
    assert not result.unexpected_failures, result.unexpected_failures
    for scenario in MUST_PASS[spec_version]:
        assert scenario in result.scenario_lines, f"{scenario} did not run:\n{result.stdout[-3000:]}"
        passed, failed = result.scenario_lines[scenario]
        assert failed == 0 and passed > 0, f"{scenario}: {passed} passed, {failed} failed"


def test_client_auth_extensions(tmp_path: Path, node: Any) -> None:
    """The OAuth extension scenarios, which only `--suite extensions` runs."""
    result = run_conformance_client(
        [sys.executable, str(CLIENT_SCRIPT.relative_to(REPO_ROOT))],
        output_dir=tmp_path / "out",
        suite="extensions",
        expected_failures=EXPECTED_FAILURES,
        timeout_ms=60000,
        process_timeout=600,
    )
    assert result.ok, (
        f"conformance client extensions failed:\n{result.describe_failures()}\n{result.stdout[-4000:]}"
    )
    for scenario in AUTH_EXTENSIONS:
        assert scenario in result.scenario_lines, f"{scenario} did not run:\n{result.stdout[-3000:]}"
        passed, failed = result.scenario_lines[scenario]
        assert failed == 0 and passed > 0, f"{scenario}: {passed} passed, {failed} failed"
