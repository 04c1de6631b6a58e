"""Fixtures for the OAuth client tests: real protected servers with their authorization servers.

- `ts_oauth`: the TypeScript SDK's `simpleStreamableHttp.js --oauth --oauth-strict`
  (a protected MCP server on `localhost` plus the SDK's demo authorization server).
- `sdk_oauth`: the official Python SDK's MCPServer hosting its own authorization
  server (tests/client/servers/sdk_oauth_server.py), with refresh tokens.
Both approve an authorization request at once with a redirect carrying the code, so
the `authorize` hook of a test fetches the URL without following the redirect and
returns `Location`, and counts how often it was asked.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from tests.client.conftest import ENV, SERVERS
from tests.helpers import NodeTools, ServerPool, ServerProcess, free_port, port_is_open

TS_EXAMPLE = "@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js"


@dataclass
class FetchAuthorizer:
    """The user's part, automated: GET the authorization URL, return the redirect's Location."""

    calls: list[str] = field(default_factory=list)

    async def __call__(self, url: str) -> str:
        self.calls.append(url)
        async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as response:
            assert response.status in (302, 303), (
                f"authorization answered {response.status}: {await response.text()}"
            )
            return response.headers["location"]


async def refuse(url: str) -> str:
    raise AssertionError(f"the user was asked to authorize again: {url}")


@pytest.fixture
def authorizer() -> FetchAuthorizer:
    return FetchAuthorizer()


@pytest.fixture(scope="module")
def ts_oauth(module_server_process: ServerPool, node: NodeTools) -> Iterator[str]:
    """The TS SDK's protected example server; yields its MCP URL (on localhost, as it names itself)."""
    mcp_port, auth_port = free_port(), free_port()
    script = node.node_modules / TS_EXAMPLE
    server: ServerProcess = module_server_process(
        [str(node.node), str(script), "--oauth", "--oauth-strict"],
        port=mcp_port,
        env=node.env({"MCP_PORT": str(mcp_port), "MCP_AUTH_PORT": str(auth_port)}),
        ready=lambda: port_is_open("127.0.0.1", auth_port),
        name="ts-simple-streamable-http-oauth",
    )
    assert server.is_running()
    yield f"http://localhost:{mcp_port}/mcp"


def start_sdk_oauth(pool: ServerPool, ttl: int = 3600) -> str:
    port = free_port()
    pool(
        [sys.executable, str(SERVERS / "sdk_oauth_server.py"), str(port)],
        port=port,
        env={**ENV, "TOKEN_TTL": str(ttl)},
        name=f"sdk-oauth-{port}",
    )
    return f"http://127.0.0.1:{port}/mcp"


@pytest.fixture
def sdk_oauth(server_process: ServerPool) -> str:
    """A fresh SDK protected server per test (its authorization server keeps state in memory)."""
    return start_sdk_oauth(server_process)
