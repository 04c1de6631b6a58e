"""`mcp-use list` / `mcp-use call` (the functions the top-level CLI dispatches to)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_use.client.cli import call_command, coerce_arguments, list_command

from .conftest import stdio_entry


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"mcpServers": {"ours": stdio_entry()}}))
    return str(path)


async def test_list(config_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await list_command(config_file) == 0
    out = capsys.readouterr().out
    assert "client-test-server 2.0.0" in out
    assert "add(a: integer, b: integer) - Add two integers." in out
    assert "memo://three" in out and "greet(name)" in out


async def test_list_by_url(our_http: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await list_command(our_http) == 0
    assert "protocol 2026-07-28" in capsys.readouterr().out


async def test_call(config_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await call_command(config_file, ["add", "a=2", "b=3"]) == 0
    assert capsys.readouterr().out.strip() == "5"
    assert await call_command(config_file, ["ours", "echo", "text=007"]) == 0  # a string stays a string
    assert capsys.readouterr().out.strip() == "007"
    assert await call_command(config_file, ["add", "a=x", "b=3"]) == 1  # an error result
    assert "invalid arguments" in capsys.readouterr().out.lower()
    assert await call_command(config_file, ["nope"]) == 2
    assert "has no tool 'nope'" in capsys.readouterr().err
    assert await call_command(str(Path(config_file).parent / "missing.json"), ["add"]) == 2


def test_coerce() -> None:
    schema = {"properties": {"s": {"type": "string"}, "n": {"type": "number"}, "o": {"type": "object"}}}
    assert coerce_arguments({"s": "12", "n": "1.5", "o": '{"k": [1]}', "x": "plain"}, schema) == {
        "s": "12",
        "n": 1.5,
        "o": {"k": [1]},
        "x": "plain",
    }
