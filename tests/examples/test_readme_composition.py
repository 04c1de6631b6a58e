"""The README's middleware and in-memory testing snippets, run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from mcp_use import MCPClient
from tests.helpers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def snippet(heading: str) -> str:
    """The first ```python block under `## heading`."""
    section = README.split(f"## {heading}\n", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, heading
    return found.group(1)


async def test_middleware_snippet_refuses_and_marks() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(snippet("Middleware"), "README-middleware", "exec"), namespace)
    server = namespace["server"]

    @server.tool()
    def drop_tables() -> str:
        return "dropped"

    @server.tool()
    def hello() -> str:
        return "hi"

    async with MCPClient(server) as client:
        session = client.get_session("guarded")
        refused = await session.call_tool("drop_tables", {})
        assert refused.isError and refused.content[0].text == "drop_tables needs a signed-in user"
        marked = await session.call_tool("hello", {})
        assert marked.content[0].text == "hi" and (marked.meta or {}).get("audited") is True


def test_pytest_pattern_passes_as_written(tmp_path: Path) -> None:
    test_file = tmp_path / "test_calc.py"
    test_file.write_text(snippet("Testing in memory"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            str(test_file),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
