"""The official MCP conformance suite against our fixture server (server mode).

One fixture server (tests/conformance/server.py, streamable HTTP at /mcp) serves
the whole module. Each conformance run happens once (module-scoped fixtures) and
several tests read its results. Every run's ``Total: N passed, N failed`` line is
printed in pytest's terminal summary and written to
test-output/conformance-summary.txt (see tests/conftest.py).

Per-scenario timeout: MCP_CONFORMANCE_TIMEOUT_MS (default 15000).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import (
    REPO_ROOT,
    ConformanceResult,
    ServerPool,
    ServerProcess,
    free_port,
    python_cmd,
    run_conformance_server,
)

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1800)]

SERVER_SCRIPT = REPO_ROOT / "tests" / "conformance" / "server.py"
EXPECTED_FAILURES = REPO_ROOT / "tests" / "conformance" / "expected-failures.yml"

LEGACY = "2025-11-25"
MODERN = "2026-07-28"

# Tools the fixture must advertise in tools/list (names fixed by the suite).
TOOLS_BOTH_ERAS = {
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_tool_with_progress",
    "test_error_handling",
}
EXPECTED_TOOLS = {
    LEGACY: TOOLS_BOTH_ERAS
    | {
        "test_tool_with_logging",
        "test_sampling",
        "test_elicitation",
        "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums",
        "json_schema_2020_12_tool",
    },
    MODERN: TOOLS_BOTH_ERAS
    | {
        "test_input_required_result_elicitation",
        "test_input_required_result_sampling",
        "test_input_required_result_list_roots",
        "test_input_required_result_request_state",
        "test_input_required_result_multiple_inputs",
        "test_input_required_result_multi_round",
        "test_input_required_result_tampered_state",
        "test_input_required_result_capabilities",
    },
}
SIMPLE_TEXT = "This is a simple text response for testing."
ERROR_TEXT = "This tool intentionally returns an error for testing"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def fixture_server(module_server_process: ServerPool, node: Any) -> ServerProcess:
    if not SERVER_SCRIPT.exists():
        pytest.fail(f"{SERVER_SCRIPT} is missing", pytrace=False)
    port = free_port()
    return module_server_process(
        python_cmd(SERVER_SCRIPT, "--port", port),
        port=port,
        name="conformance-fixture",
        startup_timeout=60,
    )


def _run(
    server: ServerProcess, factory: pytest.TempPathFactory, name: str, **kwargs: Any
) -> ConformanceResult:
    result = run_conformance_server(
        server.url("/mcp"), output_dir=factory.mktemp(f"conformance-{name}"), **kwargs
    )
    if not server.is_running():
        pytest.fail(f"the fixture server died during {result.label}:\n{server.describe()}", pytrace=False)
    return result


@pytest.fixture(scope="module")
def requirements_legacy(
    fixture_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> ConformanceResult:
    return _run(fixture_server, tmp_path_factory, "req-legacy", requirements=LEGACY)


@pytest.fixture(scope="module")
def requirements_modern(
    fixture_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> ConformanceResult:
    return _run(
        fixture_server,
        tmp_path_factory,
        "req-modern",
        requirements=MODERN,
        expected_failures=EXPECTED_FAILURES,
    )


def _requirements_run(request: pytest.FixtureRequest, era: str) -> ConformanceResult:
    name = {LEGACY: "requirements_legacy", MODERN: "requirements_modern"}[era]
    return request.getfixturevalue(name)


# --------------------------------------------------------------------- tests
def test_requirements_2025_11_25(requirements_legacy: ConformanceResult) -> None:
    r = requirements_legacy
    assert r.totals is not None, f"no 'Total:' line in the output\n{r.describe_failures()}"
    assert r.returncode == 0 and r.totals.failed == 0, r.describe_failures()


def test_requirements_2026_07_28(requirements_modern: ConformanceResult) -> None:
    # The CLI accepts --expected-failures with --requirements: it judges only the
    # scenarios the revision scores, counting FAILURE and WARNING as failing.
    r = requirements_modern
    assert r.totals is not None, f"no 'Total:' line in the output\n{r.describe_failures()}"
    assert r.returncode == 0, r.describe_failures()
    assert not r.unexpected_failures, r.describe_failures()
    assert not r.stale_entries, r.describe_failures()


@pytest.mark.parametrize("spec_version", [LEGACY, MODERN, None], ids=[LEGACY, MODERN, "every-version"])
def test_suite_all(
    spec_version: str | None,
    fixture_server: ServerProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    r = _run(
        fixture_server,
        tmp_path_factory,
        f"all-{spec_version or 'every-version'}",
        suite="all",
        spec_version=spec_version,
        expected_failures=EXPECTED_FAILURES,
    )
    assert r.checks, f"no checks.json written\n{r.describe_failures()}"
    assert r.returncode == 0, r.describe_failures()
    assert not r.unexpected_failures and not r.stale_entries, r.describe_failures()
    if spec_version is None:
        _assert_tasks_scenarios_ran(r)


# The SEP-2663 scenarios that score checks (tasks-status-notifications only SKIPs in
# alpha.12): each must have run and passed every check, not merely be absent.
TASKS_SCENARIOS = (
    "tasks-lifecycle",
    "tasks-capability-negotiation",
    "tasks-wire-fields",
    "tasks-request-state-removal",
    "tasks-mrtr-input",
    "tasks-request-headers",
    "tasks-dispatch-and-envelope",
    "tasks-required-task-error",
    "tasks-mrtr-composition",
)


def _assert_tasks_scenarios_ran(r: ConformanceResult) -> None:
    for scenario in TASKS_SCENARIOS:
        checks = r.checks.get(scenario)
        assert checks, f"{r.label}: scenario {scenario} did not run (scenarios: {sorted(r.checks)})"
        bad = [c for c in checks if c.get("status") not in ("SUCCESS", "INFO")]
        assert not bad, f"{r.label}: {scenario} has non-passing checks: {bad}"


def _only_check(r: ConformanceResult, scenario: str, check_id: str) -> dict[str, Any]:
    check = r.check(scenario, check_id)
    assert check is not None, (
        f"{r.label}: no check {check_id!r} in scenario {scenario!r} (scenarios: {sorted(r.checks)})"
    )
    return check


def _texts(result: dict[str, Any]) -> list[str]:
    return [c.get("text", "") for c in result.get("content") or [] if c.get("type") == "text"]


@pytest.mark.parametrize("era", [LEGACY, MODERN])
def test_fixture_tools_are_real(era: str, request: pytest.FixtureRequest) -> None:
    """tools-call-simple-text and tools-call-error also pass on an unknown-tool
    error, so check tools/list and the actual results recorded in checks.json."""
    r = _requirements_run(request, era)

    listed = _only_check(r, "tools-list", "tools-list")
    assert listed["status"] == "SUCCESS", listed
    tools = set((listed.get("details") or {}).get("tools") or [])
    missing = EXPECTED_TOOLS[era] - tools
    assert not missing, f"{r.label}: tools/list lacks {sorted(missing)}; it has {sorted(tools)}"

    simple = _only_check(r, "tools-call-simple-text", "tools-call-simple-text")
    assert simple["status"] == "SUCCESS", simple
    result = (simple.get("details") or {}).get("result") or {}
    assert not result.get("isError"), f"test_simple_text returned an error: {result}"
    assert _texts(result) == [SIMPLE_TEXT], f"test_simple_text returned {result}"

    error = _only_check(r, "tools-call-error", "tools-call-error")
    assert error["status"] == "SUCCESS", error
    result = (error.get("details") or {}).get("result") or {}
    assert result.get("isError") is True, f"test_error_handling returned {result}"
    texts = _texts(result)
    assert texts and ERROR_TEXT in texts[0], (
        f"test_error_handling's error is not the tool's own (unknown tool?): {result}"
    )


def test_fixture_server_still_healthy(fixture_server: ServerProcess) -> None:
    """Runs last in this module: the server survived everything thrown at it."""
    assert fixture_server.is_running(), fixture_server.describe()
