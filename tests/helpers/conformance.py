"""Run the MCP conformance suite (``@modelcontextprotocol/conformance``) and read its results.

Server mode: ``run_conformance_server(url, requirements=... | suite=..., ...)``.
Client mode: ``run_conformance_client(command, scenario=... | suite=..., ...)``.

Both return a ``ConformanceResult``: exit code, output (ANSI colors stripped),
the parsed ``Total: N passed, N failed`` line, the baseline verdict lines
(expected / unexpected failures, stale entries), and ``checks``: scenario name ->
list of check dicts, loaded from every ``checks.json`` the CLI wrote under
``output_dir``.

What the CLI (0.2.0-alpha.12) does, read from its source:
- server mode runs scenarios one after another; client mode with ``--suite`` or
  ``--requirements`` runs them in parallel. Each run writes
  ``<output_dir>/server-<scenario>-<stamp>/checks.json`` (server) or
  ``<output_dir>/<scenario>-<stamp>/{checks.json,stdout.txt,stderr.txt}`` (client;
  ``auth/...`` scenarios nest a directory). ``<stamp>`` is an ISO time with ``:``
  and ``.`` replaced by ``-``, e.g. ``2026-11-24T10-07-58-502Z``.
- check ``status`` is SUCCESS, FAILURE, WARNING, INFO or SKIPPED; the ``Total``
  line counts SUCCESS and FAILURE only (client suites add ``, N warnings``).
- exit code without a baseline: 1 on any FAILURE (server; with
  ``--requirements`` only scored scenarios count, warnings never do); client
  suites also fail on warnings.
- with ``--expected-failures`` (also accepted with ``--requirements``, where only
  scored scenarios are judged) a scenario "fails" on FAILURE *or WARNING*; exit 1
  on any unexpected failure or stale baseline entry.
- client ``--command`` is split on single spaces (no quoting) and run through a
  shell with the mock server's URL appended as the last argument.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .node import node_tools
from .process import REPO_ROOT

__all__ = [
    "CONFORMANCE_RUNS",
    "ConformanceResult",
    "ConformanceTotals",
    "load_checks",
    "parse_totals",
    "run_conformance_client",
    "run_conformance_server",
]

DEFAULT_SCENARIO_TIMEOUT_MS = int(os.environ.get("MCP_CONFORMANCE_TIMEOUT_MS", "15000"))
DEFAULT_PROCESS_TIMEOUT_S = float(os.environ.get("MCP_CONFORMANCE_PROCESS_TIMEOUT", "1500"))

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TOTAL = re.compile(
    r"^Total: (?P<passed>\d+) passed, (?P<failed>\d+) failed"
    r"(?:, (?P<warnings>\d+) warnings)?(?:, (?P<skipped>\d+) skipped)?\s*$",
    re.M,
)
_STAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")
_SCENARIO_LINE = re.compile(
    r"^(?P<mark>[✓✗]) (?P<scenario>\S+): (?P<passed>\d+) passed, (?P<failed>\d+) failed", re.M
)

#: Every run in this pytest process, for the terminal summary (see tests/conftest.py).
CONFORMANCE_RUNS: list[ConformanceResult] = []


@dataclass(frozen=True)
class ConformanceTotals:
    passed: int
    failed: int
    warnings: int | None = None
    skipped: int | None = None

    def line(self) -> str:
        text = f"Total: {self.passed} passed, {self.failed} failed"
        if self.warnings is not None:
            text += f", {self.warnings} warnings"
        if self.skipped:
            text += f", {self.skipped} skipped"
        return text


@dataclass
class ConformanceResult:
    mode: str  # "server" | "client"
    label: str  # short description of the run, e.g. "server --requirements 2025-11-25"
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    totals: ConformanceTotals | None  # from the "Total:" line (None if not printed)
    checks: dict[str, list[dict[str, Any]]]
    output_dir: Path
    duration: float
    timed_out: bool = False
    expected_failures: list[str] = field(default_factory=list)
    unexpected_failures: list[str] = field(default_factory=list)
    stale_entries: list[str] = field(default_factory=list)
    scenario_lines: dict[str, tuple[int, int]] = field(default_factory=dict)

    # --------------------------------------------------------------- queries
    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def computed_totals(self) -> ConformanceTotals:
        """Totals counted from checks.json (SUCCESS / FAILURE / WARNING)."""
        statuses = [c.get("status") for cs in self.checks.values() for c in cs]
        return ConformanceTotals(
            passed=statuses.count("SUCCESS"),
            failed=statuses.count("FAILURE"),
            warnings=statuses.count("WARNING"),
        )

    @property
    def empty_scenarios(self) -> list[str]:
        """Scenarios that recorded no check at all. Beware: in client mode a client
        that never connects "passes" such a scenario (e.g. ``initialize``)."""
        return sorted(s for s, cs in self.checks.items() if not cs)

    def totals_line(self) -> str:
        return (self.totals or self.computed_totals()).line()

    def check(self, scenario: str, check_id: str) -> dict[str, Any] | None:
        """The first check with that id in that scenario, or None."""
        for c in self.checks.get(scenario, []):
            if c.get("id") == check_id:
                return c
        return None

    def scenario_status(self, scenario: str) -> str:
        """FAILURE if any check failed, else WARNING if any warned, else SUCCESS.

        MISSING when the scenario did not run (no checks.json).
        """
        if scenario not in self.checks:
            return "MISSING"
        statuses = {c.get("status") for c in self.checks[scenario]}
        for s in ("FAILURE", "WARNING"):
            if s in statuses:
                return s
        return "SUCCESS"

    def failing_checks(self, *, warnings: bool = False) -> dict[str, list[dict[str, Any]]]:
        bad = {"FAILURE", "WARNING"} if warnings else {"FAILURE"}
        out: dict[str, list[dict[str, Any]]] = {}
        for scenario, cs in sorted(self.checks.items()):
            hits = [c for c in cs if c.get("status") in bad]
            if hits:
                out[scenario] = hits
        return out

    def describe_failures(self, *, warnings: bool = True, max_chars: int = 12000) -> str:
        """A readable report of the failing (and warning) checks, for assert messages."""
        lines = [f"{self.label}: exit {self.returncode}, {self.totals_line()}"]
        if self.timed_out:
            lines.append("  (the CLI was killed: process timeout)")
        if self.unexpected_failures:
            lines.append("  unexpected failures: " + ", ".join(self.unexpected_failures))
        if self.stale_entries:
            lines.append("  stale baseline entries: " + ", ".join(self.stale_entries))
        if self.empty_scenarios:
            lines.append("  scenarios with no checks: " + ", ".join(self.empty_scenarios))
        for scenario, cs in self.failing_checks(warnings=warnings).items():
            for c in cs:
                msg = c.get("errorMessage") or c.get("description") or ""
                lines.append(f"  {c.get('status')} {scenario}:{c.get('id')}: {msg}")
        lines.append(f"  output dir: {self.output_dir}")
        text = "\n".join(lines)
        if len(text) > max_chars:
            text = text[:max_chars] + "\n  ... (truncated)"
        if not self.checks:
            text += "\n--- CLI output tail ---\n" + "\n".join(
                (self.stdout + "\n" + self.stderr).strip().splitlines()[-40:]
            )
        return text

    def summary(self) -> str:
        """One line for logs: label, Total line, exit code, duration, and (when any
        check failed) which scenarios: with --requirements or a baseline the exit
        code can be 0 while unscored or baselined scenarios fail."""
        extra = ", TIMED OUT" if self.timed_out else ""
        text = f"{self.label} -> {self.totals_line()} (exit {self.returncode}{extra}, {self.duration:.1f}s)"
        failing = list(self.failing_checks())
        if failing:
            shown = ", ".join(failing[:12]) + (f", ... ({len(failing)} in all)" if len(failing) > 12 else "")
            text += f"\n    failing scenarios: {shown}"
        return text


# ------------------------------------------------------------------- parsing
def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def parse_totals(output: str) -> ConformanceTotals | None:
    """The last ``Total: N passed, N failed[, N warnings][, N skipped]`` line."""
    matches = list(_TOTAL.finditer(strip_ansi(output)))
    if not matches:
        return None
    m = matches[-1]
    return ConformanceTotals(
        passed=int(m["passed"]),
        failed=int(m["failed"]),
        warnings=int(m["warnings"]) if m["warnings"] is not None else None,
        skipped=int(m["skipped"]) if m["skipped"] is not None else None,
    )


def _section(output: str, header: str) -> list[str]:
    """Entries listed under a baseline header line, e.g. 'Unexpected failures'."""
    lines = strip_ansi(output).splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith(header):
            for entry in lines[i + 1 :]:
                m = re.match(r"^  [~✓✗] (\S+)\s*$", entry)
                if not m:
                    break
                out.append(m.group(1))
    return out


def load_checks(output_dir: str | os.PathLike[str], mode: str) -> dict[str, list[dict[str, Any]]]:
    """Scenario -> checks from every ``checks.json`` under ``output_dir``.

    The scenario name is the directory path relative to ``output_dir`` minus the
    time stamp (and the ``server-`` prefix in server mode). If a scenario ran
    more than once, the latest stamp wins.
    """
    root = Path(output_dir)
    found: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for path in sorted(root.rglob("checks.json")):
        rel = path.parent.relative_to(root).as_posix()
        m = _STAMP.search(rel)
        if m is None:
            continue
        stamp = m.group(0)
        scenario = rel[: m.start()]
        if mode == "server" and scenario.startswith("server-"):
            scenario = scenario[len("server-") :]
        try:
            checks = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            checks = [
                {
                    "id": "checks-json-unreadable",
                    "status": "FAILURE",
                    "errorMessage": f"cannot read {path}: {e}",
                }
            ]
        if scenario not in found or stamp > found[scenario][0]:
            found[scenario] = (stamp, checks if isinstance(checks, list) else [checks])
    return {k: v for k, (_, v) in sorted(found.items())}


# ------------------------------------------------------------------- running
def _prepare_output_dir(output_dir: str | os.PathLike[str]) -> Path:
    out = Path(output_dir).resolve()
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"output_dir {out} is not empty; give each run its own directory")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _run_cli(
    mode: str,
    args: list[str],
    *,
    output_dir: Path,
    label: str,
    env: Mapping[str, str | None] | None,
    process_timeout: float,
    cwd: Path,
    record: bool,
) -> ConformanceResult:
    tools = node_tools()
    argv = [str(tools.bin("conformance")), mode, *args, "--output-dir", str(output_dir)]
    run_env = tools.env({"NO_COLOR": "1", "FORCE_COLOR": "0", **(env or {})})
    t0 = time.monotonic()
    timed_out = False
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=run_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: client commands it spawns die with it
    )
    try:
        out_b, err_b = proc.communicate(timeout=process_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            out_b, err_b = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out_b, err_b = proc.communicate()
    finally:
        # Anything the CLI left in its group (client processes) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    duration = time.monotonic() - t0
    stdout = strip_ansi(out_b.decode("utf-8", "replace"))
    stderr = strip_ansi(err_b.decode("utf-8", "replace"))
    (output_dir / "cli-output.txt").write_text(
        f"$ {shlex.join(argv)}\nexit {proc.returncode}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n",
        encoding="utf-8",
    )
    result = ConformanceResult(
        mode=mode,
        label=label,
        argv=argv,
        returncode=proc.returncode if not timed_out else -1,
        stdout=stdout,
        stderr=stderr,
        totals=parse_totals(stdout),
        checks=load_checks(output_dir, mode),
        output_dir=output_dir,
        duration=duration,
        timed_out=timed_out,
        expected_failures=_section(stdout, "Expected failures (in baseline):"),
        unexpected_failures=_section(stdout, "Unexpected failures (not in baseline):"),
        stale_entries=_section(stdout, "Stale baseline entries"),
        scenario_lines={
            m["scenario"]: (int(m["passed"]), int(m["failed"])) for m in _SCENARIO_LINE.finditer(stdout)
        },
    )
    if record:
        CONFORMANCE_RUNS.append(result)
    return result


def _selection_args(
    *,
    scenario: str | None,
    suite: str | None,
    spec_version: str | None,
    requirements: str | None,
    expected_failures: str | os.PathLike[str] | None,
    timeout_ms: int | None,
    force: bool,
    extra_args: Sequence[str],
) -> list[str]:
    args: list[str] = []
    if requirements is not None:
        if suite is not None or scenario is not None or spec_version is not None:
            raise ValueError("requirements replaces suite, scenario and spec_version")
        args += ["--requirements", requirements]
    if scenario is not None:
        args += ["--scenario", scenario]
    if suite is not None:
        args += ["--suite", suite]
    if spec_version is not None:
        args += ["--spec-version", spec_version]
    if expected_failures is not None:
        path = Path(expected_failures)
        if not path.is_absolute():
            path = REPO_ROOT / path
        if not path.is_file():
            raise FileNotFoundError(f"expected-failures file {path} does not exist")
        args += ["--expected-failures", str(path)]
    if timeout_ms is not None:
        args += ["--timeout", str(int(timeout_ms))]
    if force:
        args.append("--force")
    args += list(extra_args)
    return args


def _label(mode: str, args: Sequence[str]) -> str:
    """'server --requirements 2026-07-28 --expected-failures expected-failures.yml'."""
    out: list[str] = [mode]
    it = iter(args)
    for a in it:
        if a == "--timeout":
            next(it, None)
        elif a == "--expected-failures":
            out += [a, Path(next(it, "")).name]
        else:
            out.append(a)
    return " ".join(out)


def run_conformance_server(
    url: str,
    *,
    output_dir: str | os.PathLike[str],
    requirements: str | None = None,
    suite: str | None = None,
    spec_version: str | None = None,
    scenario: str | None = None,
    expected_failures: str | os.PathLike[str] | None = None,
    timeout_ms: int | None = DEFAULT_SCENARIO_TIMEOUT_MS,
    force: bool = False,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str | None] | None = None,
    process_timeout: float = DEFAULT_PROCESS_TIMEOUT_S,
    label: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    record: bool = True,
) -> ConformanceResult:
    """``conformance server --url URL ...``; see the module docstring.

    ``timeout_ms`` is the CLI's per-scenario ``--timeout`` (None: CLI default
    30 s); ``process_timeout`` bounds the whole run (the CLI is then killed and
    ``timed_out`` set). ``output_dir`` must be empty or absent. ``record=False``
    keeps the run out of the session's conformance summary.
    """
    out = _prepare_output_dir(output_dir)
    sel = _selection_args(
        scenario=scenario,
        suite=suite,
        spec_version=spec_version,
        requirements=requirements,
        expected_failures=expected_failures,
        timeout_ms=timeout_ms,
        force=force,
        extra_args=extra_args,
    )
    args = ["--url", url, *sel]
    return _run_cli(
        "server",
        args,
        output_dir=out,
        label=label or _label("server", sel),
        env=env,
        process_timeout=process_timeout,
        cwd=Path(cwd) if cwd else REPO_ROOT,
        record=record,
    )


def run_conformance_client(
    command: str | Sequence[str],
    *,
    output_dir: str | os.PathLike[str],
    scenario: str | None = None,
    suite: str | None = None,
    spec_version: str | None = None,
    requirements: str | None = None,
    expected_failures: str | os.PathLike[str] | None = None,
    timeout_ms: int | None = 60000,
    force: bool = False,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str | None] | None = None,
    process_timeout: float = DEFAULT_PROCESS_TIMEOUT_S,
    label: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    record: bool = True,
) -> ConformanceResult:
    """``conformance client --command CMD ...``: the CLI starts a mock server per
    scenario and runs ``CMD <mock-url>`` with ``MCP_CONFORMANCE_SCENARIO``,
    ``MCP_CONFORMANCE_PROTOCOL_VERSION`` and (some scenarios)
    ``MCP_CONFORMANCE_CONTEXT`` set.

    ``command`` may be a list (e.g. ``[sys.executable, "tests/conformance/client.py"]``);
    no element may contain whitespace, since the CLI splits the command on
    spaces. Relative paths resolve against ``cwd`` (default: the repo root).
    ``timeout_ms`` is the per-client timeout (60 s: suites run in parallel, so on
    2 cores clients are slow to start). Give ``scenario`` or ``suite`` or
    ``requirements``.
    """
    if scenario is None and suite is None and requirements is None:
        raise ValueError("give scenario, suite or requirements")
    parts = [command] if isinstance(command, str) else [os.fspath(c) for c in command]
    if not isinstance(command, str):
        for p in parts:
            if not p or any(ch.isspace() for ch in p):
                raise ValueError(f"command element {p!r} is empty or has whitespace")
    cmd_text = " ".join(parts)
    out = _prepare_output_dir(output_dir)
    sel = _selection_args(
        scenario=scenario,
        suite=suite,
        spec_version=spec_version,
        requirements=requirements,
        expected_failures=expected_failures,
        timeout_ms=timeout_ms,
        force=force,
        extra_args=extra_args,
    )
    return _run_cli(
        "client",
        ["--command", cmd_text, *sel],
        output_dir=out,
        label=label or _label("client", sel),
        env=env,
        process_timeout=process_timeout,
        cwd=Path(cwd) if cwd else REPO_ROOT,
        record=record,
    )
