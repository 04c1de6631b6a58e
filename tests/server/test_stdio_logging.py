"""stdio logging: request lines and (DEBUG=2) every JSON-RPC message go to stderr, never stdout."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import REPO_ROOT, build_env

SERVER = textwrap.dedent(
    """
    from mcp_use import MCPServer

    server = MCPServer("stdio-logging")

    @server.tool()
    def greet(name: str) -> str:
        print("user print goes to stderr")
        return f"Hello, {name}!"

    server.run(transport="stdio")
    """
)

MESSAGES = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "greet", "arguments": {"name": "Ada"}},
    },
]


def _run(tmp_path: Path, debug: str, pretty: bool = False) -> tuple[list[dict], str]:
    script = tmp_path / "server.py"
    source = SERVER.replace(
        'MCPServer("stdio-logging")', f'MCPServer("stdio-logging", pretty_print_jsonrpc={pretty})'
    )
    script.write_text(source)
    stdin = "".join(json.dumps(m) + "\n" for m in MESSAGES)
    proc = subprocess.run(
        [sys.executable, str(script)],
        input=stdin.encode(),
        capture_output=True,
        timeout=30,
        env=build_env({"DEBUG": debug, "PYTHONPATH": str(REPO_ROOT / "src")}),
    )
    lines = proc.stdout.decode().splitlines()
    return [json.loads(line) for line in lines], proc.stderr.decode()


def test_debug0_logs_one_line_per_request_only(tmp_path: Path) -> None:
    out, err = _run(tmp_path, "0")
    assert [m["id"] for m in out] == [1, 2]
    assert out[1]["result"]["content"][0]["text"] == "Hello, Ada!"
    assert "tools/call greet ok" in err
    assert "user print goes to stderr" in err
    assert "<- stdio" not in err


def test_debug2_logs_every_message_in_and_out(tmp_path: Path) -> None:
    out, err = _run(tmp_path, "2")
    assert [m["id"] for m in out] == [1, 2]
    assert err.count("<- stdio") == 3
    assert err.count("-> stdio") == 2
    assert '"method":"tools/call"' in err


def test_debug2_pretty_prints_when_asked(tmp_path: Path) -> None:
    out, err = _run(tmp_path, "2", pretty=True)
    assert [m["id"] for m in out] == [1, 2]
    assert '\n  "method": "tools/call"' in err or '"method": "tools/call"' in err
