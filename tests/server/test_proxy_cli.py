"""`mcp-use proxy` on the other front transports (stdio, legacy SSE), two hops deep, and
its command-line mistakes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcp_use import MCPClient
from tests.helpers import REPO_ROOT, ServerPool, build_env, free_port

TARGET = Path(__file__).parent / "servers" / "proxy_target.py"
ENV = {"PYTHONPATH": str(REPO_ROOT / "src")}
PROXY = [sys.executable, "-m", "mcp_use.cli", "proxy"]


def answers(*_: Any) -> dict[str, Any]:
    return {"action": "accept", "content": {"colour": "red"}}


CALLBACKS: dict[str, Any] = {
    "elicitation_callback": lambda ctx, params: answers(),
    "sampling_callback": lambda ctx, params: "sampled",
    "roots": ["file:///r"],
}


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_stdio_front(mode: str) -> None:
    entry = {"command": PROXY[0], "args": [*PROXY[1:], "--transport", "stdio", "--", sys.executable, str(TARGET)],
             "env": {**ENV, "PATH": os.environ["PATH"]}}  # fmt: skip
    async with MCPClient({"mcpServers": {"p": entry}}, mode=mode, timeout=30, **CALLBACKS) as client:
        session = client.get_session("p")
        assert session.server_info is not None and session.server_info.name == "mcp-use-proxy"
        result = await session.call_tool("ask_all", {})
        assert result.content[0].text == "sampled|file:///r|red"


async def test_sse_front(server_process: ServerPool) -> None:
    port = free_port()
    server_process(
        [*PROXY, "--transport", "sse", "--port", str(port), "--", sys.executable, str(TARGET)],
        port=port,
        env=build_env(ENV),
        name="proxy-sse",
    )
    entry = {"url": f"http://127.0.0.1:{port}/sse", "transport": "sse"}
    async with MCPClient({"mcpServers": {"p": entry}}, timeout=30, **CALLBACKS) as client:
        session = client.get_session("p")
        assert (await session.call_tool("ask_all", {})).content[0].text == "sampled|file:///r|red"
        assert (await session.get_prompt("topic", {"subject": "sse"})).messages[
            0
        ].content.text == "Tell me about sse"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "needs CONFIG [SERVER], a URL, or -- COMMAND ARGS"),
        (["x.json", "--", "cat"], "either CONFIG [SERVER] or -- COMMAND ARGS"),
        (["--"], "nothing after --"),
        (["missing.json"], "Config file not found: missing.json"),
        (["{config}"], "two.json: name one after the config (a, b)"),
        (["{config}", "c"], "server 'c' is not configured in "),
    ],
)
def test_command_line_mistakes(args: list[str], message: str, tmp_path: Path) -> None:
    config = tmp_path / "two.json"
    config.write_text('{"mcpServers": {"a": {"url": "http://127.0.0.1:1/mcp"}, "b": {"command": "cat"}}}')
    argv = [a.replace("{config}", str(config)) for a in args]
    done = subprocess.run(
        [*PROXY, *argv], env=build_env(ENV), capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_proxy_in_front_of_a_dead_url_says_so(server_process: ServerPool) -> None:
    port = free_port()
    server_process(
        [*PROXY, "--port", str(port), f"http://127.0.0.1:{free_port()}/mcp"], port=port, env=build_env(ENV)
    )
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}}  # fmt: skip
    headers = {
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/list",
    }
    answer = httpx.post(f"http://127.0.0.1:{port}/mcp", json=body, headers=headers, timeout=30).json()
    assert answer["error"]["code"] == -32603
    assert answer["error"]["message"].startswith("Proxy target unavailable:")
