"""``@modelcontextprotocol/inspector@2.12.0 --cli`` against our server, HTTP and stdio, both eras.

Exit codes (PEERS.md): 0 ok, 4 unreachable, 5 the tool answered ``isError``. The CLI
writes ``~/.mcp-inspector``, so every run gets a temporary HOME.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import NodeTools, ServerProcess, free_port

from .conftest import INTEROP_SERVER, SRC

INSPECTOR = "@modelcontextprotocol/inspector"
ERAS = ["legacy", "modern"]


@pytest.fixture(scope="module")
def inspector_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inspector-home")


class Inspector:
    def __init__(self, node: NodeTools, home: Path) -> None:
        self.node = node
        self.home = home

    def run(self, target: list[str], *args: str) -> tuple[int, Any, str]:
        """Run the CLI; returns (exit code, parsed stdout JSON or None, stderr).

        A URL target goes first (variadic options such as ``--tool-arg`` would swallow
        it); a stdio command goes last, after ``--``.
        """
        head, tail = (target, []) if target[0].startswith("http") else ([], target)
        cmd = [str(self.node.bin("mcp-inspector")), "--cli", "--format", "json", "-q", *head, *args, *tail]
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=90,
            env=self.node.env({"HOME": str(self.home), "MCP_CATALOG_PATH": None}),
            check=False,
        )
        out = proc.stdout.strip()
        return proc.returncode, json.loads(out) if out else None, proc.stderr


@pytest.fixture(scope="module")
def inspector(node: NodeTools, inspector_home: Path) -> Inspector:
    assert node.package_version(INSPECTOR) == "2.12.0"
    return Inspector(node, inspector_home)


def stdio_target() -> list[str]:
    # Options come first; the server command follows "--".
    return ["-e", f"PYTHONPATH={SRC}", "--", sys.executable, str(INTEROP_SERVER)]


def server_info_checked(result: dict[str, Any], era: str) -> None:
    """Modern answers carry the server's identity in _meta; legacy ones do not need to."""
    if era == "modern":
        assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "interop-server"


@pytest.mark.parametrize("era", ERAS)
def test_http_tools_list(inspector: Inspector, http_server: ServerProcess, era: str) -> None:
    code, out, err = inspector.run([http_server.url("/mcp")], "--protocol-era", era, "--method", "tools/list")
    assert code == 0, err
    tools = {t["name"]: t for t in out["result"]["tools"]}
    assert {"add", "echo", "weather", "fail"} <= set(tools)
    assert tools["add"]["inputSchema"]["required"] == ["a", "b"]
    assert tools["weather"]["outputSchema"]["properties"]["city"]["type"] == "string"


@pytest.mark.parametrize("era", ERAS)
def test_http_tools_call(inspector: Inspector, http_server: ServerProcess, era: str) -> None:
    code, out, err = inspector.run(
        [http_server.url("/mcp")],
        "--protocol-era",
        era,
        "--method",
        "tools/call",
        "--tool-name",
        "add",
        "--tool-arg",
        "a=19",
        "b=23",
    )
    assert code == 0, err
    result = out["result"]
    assert result["isError"] is False
    assert result["structuredContent"] == {"result": 42}
    assert result["content"] == [{"type": "text", "text": "42"}]
    server_info_checked(result, era)


@pytest.mark.parametrize("era", ERAS)
def test_http_tool_error_exit_code(inspector: Inspector, http_server: ServerProcess, era: str) -> None:
    code, out, err = inspector.run(
        [http_server.url("/mcp")],
        "--protocol-era",
        era,
        "--method",
        "tools/call",
        "--tool-name",
        "fail",
        "--tool-arg",
        "reason=inspected",
    )
    assert code == 5, (code, out, err)
    assert out["result"]["isError"] is True
    assert out["result"]["content"][0]["text"] == "fail tool refused: inspected"
    assert "tool_is_error" in err


@pytest.mark.parametrize("era", ERAS)
def test_http_resource_and_prompt(inspector: Inspector, http_server: ServerProcess, era: str) -> None:
    url = [http_server.url("/mcp")]
    code, out, err = inspector.run(
        url, "--protocol-era", era, "--method", "resources/read", "--uri", "users://9/profile"
    )
    assert code == 0, err
    assert out["result"]["contents"] == [
        {"uri": "users://9/profile", "mimeType": "text/plain", "text": "profile of user 9"}
    ]
    code, out, err = inspector.run(
        url,
        "--protocol-era",
        era,
        "--method",
        "prompts/get",
        "--prompt-name",
        "review",
        "--prompt-args",
        "code=print(1)",
        "language=python",
    )
    assert code == 0, err
    assert out["result"]["messages"][0]["content"]["text"] == "Review this python code:\nprint(1)"


@pytest.mark.parametrize("era", ERAS)
def test_stdio_tools_list_and_call(inspector: Inspector, era: str) -> None:
    code, out, err = inspector.run(stdio_target(), "--protocol-era", era, "--method", "tools/list")
    assert code == 0, err
    assert "noisy" in {t["name"] for t in out["result"]["tools"]}
    # The tool print()s: the stdio stream must stay clean for the CLI to parse it.
    code, out, err = inspector.run(
        stdio_target(),
        "--protocol-era",
        era,
        "--method",
        "tools/call",
        "--tool-name",
        "noisy",
        "--tool-arg",
        "text=via-inspector",
    )
    assert code == 0, err
    assert out["result"]["content"] == [{"type": "text", "text": "noisy:via-inspector"}]
    server_info_checked(out["result"], era)


def test_unreachable_server_exit_code(inspector: Inspector) -> None:
    port = free_port()  # nothing listens there
    code, _, err = inspector.run(
        [f"http://127.0.0.1:{port}/mcp"], "--connect-timeout", "5000", "--method", "tools/list"
    )
    assert code == 4, err
    assert "unreachable" in err
