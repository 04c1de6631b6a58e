"""The README's "Limits and safe defaults" snippet runs as written and does what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

from .asgi import client, initialize, legacy


def _snippet() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Limits and safe defaults", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


async def test_the_snippet_serves_files_and_refuses_traversal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "hello.txt").write_text("hi")
    (tmp_path / "secret.txt").write_text("SECRET")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(_snippet(), "README.md", "exec"), namespace)
    server = namespace["server"]
    async with client(server) as http:  # type: ignore[arg-type]
        session = await initialize(http, {"elicitation": {}})
        ok = await legacy(http, session, "resources/read", {"uri": "file:///hello.txt"})
        assert ok[-1]["result"]["contents"][0]["text"] == "hi"
        refused = await legacy(http, session, "resources/read", {"uri": "file:///../secret.txt"})
        assert refused[-1]["error"]["code"] == -32602
