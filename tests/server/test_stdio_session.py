"""stdio keeps one legacy session per connection: a second `initialize` replaces it
(and is answered), requests before any are refused, and modern requests need none."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.helpers import REPO_ROOT, build_env

from .conftest import MODERN_META

SERVER = textwrap.dedent(
    """
    from mcp_use import MCPServer

    server = MCPServer("stdio-session")

    @server.tool()
    def echo(text: str) -> str:
        return text

    server.run(transport="stdio")
    """
)


def initialize(request_id: int, version: str) -> dict[str, Any]:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": params}


def call(request_id: int, text: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"name": "echo", "arguments": {"text": text}}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def test_reinitialize_replaces_the_session(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    messages = [
        call(1, "too early"),
        initialize(2, "2025-06-18"),
        call(3, "first"),
        initialize(4, "2025-11-25"),
        call(5, "second"),
        call(6, "modern", MODERN_META),
    ]
    # One message per line, each answered before the next is sent (the order is the point).
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=build_env({"PYTHONPATH": str(REPO_ROOT / "src")}),
    )
    assert proc.stdin is not None and proc.stdout is not None
    answers = {}
    try:
        for message in messages:
            proc.stdin.write(json.dumps(message).encode() + b"\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            answers[answer["id"]] = answer
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    assert answers[1]["error"]["code"] == -32600
    assert "initialize first" in answers[1]["error"]["message"]
    assert answers[2]["result"]["protocolVersion"] == "2025-06-18"
    assert answers[3]["result"]["content"][0]["text"] == "first"
    assert answers[4]["result"]["protocolVersion"] == "2025-11-25"
    assert answers[5]["result"]["content"][0]["text"] == "second"
    assert answers[6]["result"]["content"][0]["text"] == "modern"
    assert answers[6]["result"]["resultType"] == "complete"
