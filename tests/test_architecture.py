"""The layer rules of DESIGN.md, enforced: import-linter contracts (pyproject.toml) and
the size and privacy rules of the server package.

The contracts run with this checkout's `src/` first on the path, so they judge the code
under test, not whatever copy is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = (
    "protocol imports nothing else of ours",
    "nothing below the facade imports it (server/server.py)",
    "client and agents never import the server",
    "no import cycles among the siblings of any package in mcp_use",
)


def lint_imports(cwd: Path, src: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), (
        f"import-linter is not installed ({LINT_IMPORTS}): pip install import-linter"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept() -> None:
    run = lint_imports(REPO, SRC)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    for name in CONTRACTS:
        assert f"{name} KEPT" in report, report


def test_contracts_see_type_checking_imports(tmp_path: Path) -> None:
    """A cycle closed only under `TYPE_CHECKING` breaks the contract (so the real one would)."""
    pkg = tmp_path / "src" / "layered"
    (pkg / "server").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "server" / "__init__.py").write_text("")
    (pkg / "server" / "server.py").write_text("from . import engine\n")
    (pkg / "server" / "engine.py").write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from .server import Facade
            """
        )
    )
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_package = "layered"

            [[tool.importlinter.contracts]]
            name = "below the facade"
            type = "forbidden"
            source_modules = ["layered.server.**"]
            forbidden_modules = ["layered.server.server"]

            [[tool.importlinter.contracts]]
            name = "acyclic"
            type = "acyclic_siblings"
            ancestors = ["layered"]
            """
        )
    )
    run = lint_imports(tmp_path, tmp_path / "src")
    report = run.stdout + run.stderr
    assert run.returncode == 1, report
    assert "below the facade BROKEN" in report and "acyclic BROKEN" in report, report


def _modules(package: str) -> list[Path]:
    return sorted((SRC / "mcp_use" / package).rglob("*.py"))


def test_no_private_read_of_the_facade_below_it() -> None:
    """Only server.py touches `server._...`; everything else gets the `ServerCore`."""
    private = re.compile(r"\bserver\._[a-z]")
    offenders = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in _modules("server")
        if path.name != "server.py" or path.parent.name != "server"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == [], "\n".join(offenders)


def test_server_and_protocol_modules_stay_small() -> None:
    sizes = {
        str(path.relative_to(SRC)): len(path.read_text().splitlines())
        for package in ("server", "protocol")
        for path in _modules(package)
    }
    assert sizes, "no modules found"
    assert {name: size for name, size in sizes.items() if size > 500} == {}


def test_server_and_protocol_functions_stay_short() -> None:
    """No function over 80 lines in the server or protocol packages."""
    import ast

    long = {}
    for package in ("server", "protocol"):
        for path in _modules(package):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                    if length > 80:
                        long[f"{path.relative_to(SRC)}:{node.name}"] = length
    assert long == {}
