"""The TypeScript SDK clients against our Streamable HTTP server.

- v1 (``@modelcontextprotocol/sdk@1.32.2``, handshake era only): clients/ts_sdk_v1_client.mjs
  connects, lists and calls tools, reads a template resource, gets a prompt.
- v2 (``@modelcontextprotocol/client@2.3.1``): clients/ts_sdk_v2_client.mjs with
  ``versionNegotiation`` legacy and auto; auto must settle on 2026-07-28.
Each script runs with the .tools Node 22 and prints JSON; the assertions are here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import NodeTools, ServerProcess

CLIENTS = Path(__file__).resolve().parent / "clients"
SDK_V1 = "@modelcontextprotocol/sdk"
SDK_V2 = "@modelcontextprotocol/client"


def run_node(node: NodeTools, script: Path, *args: str, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [str(node.node), str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=node.env(env),
        check=False,
    )
    assert proc.returncode == 0, (
        f"node exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_ts_sdk_v1_over_streamable_http(node: NodeTools, http_server: ServerProcess) -> None:
    assert node.package_version(SDK_V1) == "1.32.2"
    out = run_node(
        node,
        CLIENTS / "ts_sdk_v1_client.mjs",
        http_server.url("/mcp"),
        env={"MCP_SDK_DIR": str(node.package_dir(SDK_V1))},
    )
    assert out["serverVersion"] == {"name": "interop-server", "version": "1.2.3"}
    # v1 speaks the handshake era: a legacy version and a session.
    assert out["protocolVersion"] == "2025-11-25"
    assert out["sessionId"]
    assert "add" in out["tools"] and "weather" in out["tools"] and "ask_name" in out["tools"]
    assert out["addSchema"]["properties"]["a"]["type"] == "integer"

    assert out["add"]["isError"] is False
    assert out["add"]["structuredContent"] == {"result": 42}
    assert out["add"]["content"] == [{"type": "text", "text": "42"}]
    assert out["echo"]["content"] == [{"type": "text", "text": "from node"}]
    assert out["weather"]["structuredContent"] == {"city": "Lyon", "celsius": 21.5, "sunny": True}
    assert out["fail"]["isError"] is True
    assert out["fail"]["content"][0]["text"] == "fail tool refused: ts"

    assert out["resource"]["contents"] == [
        {"uri": "users://7/profile", "mimeType": "text/plain", "text": "profile of user 7"}
    ]
    assert out["prompt"]["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Review this python code:\nlet x = 1"}}
    ]


@pytest.mark.parametrize(("mode", "version"), [("legacy", "2025-11-25"), ("auto", "2026-07-28")])
def test_ts_sdk_v2_both_eras(node: NodeTools, http_server: ServerProcess, mode: str, version: str) -> None:
    assert node.package_version(SDK_V2) == "2.3.1"
    out = run_node(
        node,
        CLIENTS / "ts_sdk_v2_client.mjs",
        http_server.url("/mcp"),
        mode,
        env={"MCP_CLIENT_DIR": str(node.package_dir(SDK_V2))},
    )
    assert out["negotiated"] == version
    assert out["negotiatedAfter"] == version
    assert {"add", "echo", "weather", "fail"} <= set(out["tools"])
    assert out["add"]["isError"] is False
    assert out["add"]["structuredContent"] == {"result": 3}
    assert out["fail"]["isError"] is True
    assert out["fail"]["content"] == [{"type": "text", "text": "fail tool refused: boom"}]
    if mode == "auto":
        assert out["add"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "interop-server"
