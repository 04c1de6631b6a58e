"""The official SDK's OAuth client (mcp 2.3.0 `OAuthClientProvider`) against our protected server.

Tokens come from an authorization server nobody here wrote: the TypeScript SDK's demo
in-memory OAuth provider (dynamic registration, auto-approving /authorize, PKCE, /token,
/introspect), started with Node 22. Our server verifies them with `IntrospectionVerifier`.
The SDK client discovers everything from our 401 (RFC 9728 metadata, then the
authorization server's metadata), registers, runs authorization code + PKCE, and calls
tools on both protocol eras.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tests.helpers import NodeTools, ServerPool, ServerProcess, free_port

from .conftest import SERVERS, server_env

MODES = {"legacy": "2025-11-25", "auto": "2026-07-28"}
REDIRECT = "http://localhost:3999/callback"


class Storage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """The user's part: follow the authorization URL (the demo approves at once) and read
    the code from the redirect, as a browser landing on the redirect URI would."""

    def __init__(self) -> None:
        self.redirect: str | None = None
        self.visits = 0

    async def open(self, authorization_url: str) -> None:
        self.visits += 1
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            response = await http.get(authorization_url)
        assert response.status_code == 302, response.text
        self.redirect = response.headers["location"]

    async def callback(self) -> AuthorizationCodeResult:
        assert self.redirect is not None and self.redirect.startswith(REDIRECT)
        query = parse_qs(urlsplit(self.redirect).query)
        return AuthorizationCodeResult(
            code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0]
        )


@pytest.fixture(scope="module")
def stack(module_server_process: ServerPool, node: NodeTools) -> Iterator[tuple[ServerProcess, str]]:
    auth_port, mcp_port = free_port(), free_port()
    auth_url = f"http://localhost:{auth_port}/"
    mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
    module_server_process(
        [
            str(node.node),
            str(SERVERS / "ts_auth_server.mjs"),
            str(node.package_dir("@modelcontextprotocol/sdk")),
            auth_url,
            mcp_url,
        ],
        port=auth_port,
        env=node.env(),
        name="ts-demo-auth",
        ready=lambda: httpx.get(f"{auth_url}.well-known/oauth-authorization-server").status_code == 200,
    )
    ours = module_server_process(
        [
            sys.executable,
            str(SERVERS / "introspected_server.py"),
            "--port",
            str(mcp_port),
            "--auth-server",
            auth_url,
        ],
        port=mcp_port,
        env=server_env(),
        name="introspected",
        ready=lambda: httpx.get(f"http://127.0.0.1:{mcp_port}/health").status_code == 200,
    )
    yield ours, mcp_url
    assert ours.is_running(), ours.describe()


@pytest.mark.parametrize("mode", list(MODES))
async def test_sdk_oauth_client_completes_the_flow_and_calls_tools(
    stack: tuple[ServerProcess, str], mode: str
) -> None:
    _, url = stack
    storage, browser = Storage(), Browser()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="sdk-oauth-test",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
            scope="mcp:tools",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )
    with anyio.fail_after(60):
        async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
            async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
                assert client.protocol_version == MODES[mode]
                result = await client.call_tool("add", {"a": 2, "b": 40})
                assert result.is_error is False, result
                assert result.structured_content == {"result": 42}
                who = await client.call_tool("whoami", {})
                assert who.content[0].text == f"{storage.client.client_id} mcp:tools"  # type: ignore[union-attr]
    assert browser.visits == 1  # one authorization, then the token was reused
    assert storage.tokens is not None and storage.client is not None
    # Without the token: 401 and the challenge that started the flow.
    async with httpx2.AsyncClient() as http:
        bare = await http.post(url, json={}, headers={"accept": "application/json, text/event-stream"})
    assert bare.status_code == 401
    assert "resource_metadata=" in bare.headers["www-authenticate"]
