"""The user's page (SEED-transports.txt): its client snippets, run as written."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT

from .conftest import start_http

SEED_STDIO_SERVER = """\
from mcp_use import MCPServer

server = MCPServer(name="cli-server")

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

if __name__ == "__main__":
    server.run(transport="stdio")
"""

# The seed's HTTP server, bound to 127.0.0.1 on a free port, without reload, and fetching
# a URL of its own (no network in tests).
SEED_HTTP_SERVER = """\
import os
from mcp_use import MCPServer

server = MCPServer(
    name="web-server",
    debug=True  # Enable /docs, /inspector endpoints
)

@server.tool()
async def fetch_data(url: str) -> str:
    \"\"\"Fetch data from URL\"\"\"
    import httpx
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        return response.text

@server.custom_route("/health", methods=["GET"])
async def health_check(request):
    return {"status": "healthy", "version": "1.0.0"}

if __name__ == "__main__":
    server.run(transport="streamable-http", host="127.0.0.1", port=int(os.environ["PORT"]))
"""


async def test_stdio_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "server.py").write_text(SEED_STDIO_SERVER)
    config = {
        "mcpServers": {
            "my-server": {
                "command": "python",
                "args": ["server.py"],
                "env": {"PYTHONPATH": str(REPO_ROOT / "src")},
            }
        }
    }
    (tmp_path / "config.json").write_text(json.dumps(config, indent=2))
    monkeypatch.chdir(tmp_path)

    from mcp_use import MCPClient

    client = MCPClient.from_config_file("config.json")
    try:
        await client.create_all_sessions()
        session = client.get_session("my-server")
        result = await session.call_tool("greet", {"name": "Ada"})
        assert result.content[0].text == "Hello, Ada!"
    finally:
        await client.close_all_sessions()


async def test_http_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_process: Any) -> None:
    (tmp_path / "server.py").write_text(SEED_HTTP_SERVER)
    server = start_http(server_process, [sys.executable, str(tmp_path / "server.py")], name="seed-web")
    (tmp_path / "config.json").write_text(
        json.dumps({"mcpServers": {"web-server": {"url": server.url("/mcp")}}})
    )
    monkeypatch.chdir(tmp_path)

    from mcp_use import MCPClient

    client = MCPClient.from_config_file("config.json")
    await client.create_all_sessions()

    session = client.get_session("web-server")
    result = await session.call_tool("fetch_data", {"url": server.url("/health")})

    assert not result.isError, result
    assert json.loads(result.content[0].text) == {"status": "healthy", "version": "1.0.0"}
    await client.close_all_sessions()
