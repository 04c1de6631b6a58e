"""Our OAuth client against our own protected server, on both protocol eras.

The stack is the one the official SDK's OAuth client is tested against
(tests/interop/test_sdk_oauth.py): the TypeScript SDK's demo authorization server
(dynamic registration, auto-approving /authorize, PKCE, /introspect) and our server
verifying its tokens with `IntrospectionVerifier`. Here `MCPClient` does the discovery
from our 401, registers, authorizes and calls tools; on 2026-07-28 there is no session,
so every request carries the token on its own.
"""

from __future__ import annotations

import aiohttp
import pytest

from mcp_use import MCPClient
from mcp_use.client.auth import MemoryTokenStorage
from tests.client.auth.conftest import FetchAuthorizer, refuse
from tests.helpers import ServerProcess
from tests.interop.test_sdk_oauth import stack  # noqa: F401  (the shared fixture)

MODES = {"legacy": "2025-11-25", "auto": "2026-07-28", "2026-07-28": "2026-07-28"}


def config(url: str) -> dict:
    return {"mcpServers": {"ours": {"url": url, "auth": {"type": "oauth", "scopes": ["mcp:tools"]}}}}


@pytest.mark.parametrize("mode", list(MODES))
async def test_our_client_completes_the_flow_against_our_server(
    stack: tuple[ServerProcess, str],  # noqa: F811
    authorizer: FetchAuthorizer,
    mode: str,
) -> None:
    _, url = stack
    storage = MemoryTokenStorage()
    async with MCPClient(config(url), mode=mode, token_storage=storage, authorize=authorizer) as client:
        session = client.get_session("ours")
        assert session.protocol_version == MODES[mode]
        result = await session.call_tool("add", {"a": 2, "b": 40})
        assert not result.isError, result
        assert result.structuredContent == {"result": 42}
        who = await session.call_tool("whoami", {})
        client_id, scopes = who.content[0].text.split(" ", 1)
        assert client_id and "mcp:tools" in scopes.split()
    assert len(authorizer.calls) == 1
    asked = authorizer.calls[0]
    assert "code_challenge_method=S256" in asked and "resource=" in asked and "state=" in asked

    # A second client on the same storage reuses the token: nobody is asked again.
    async with MCPClient(config(url), mode=mode, token_storage=storage, authorize=refuse) as again:
        second = await again.get_session("ours").call_tool("whoami", {})
        assert second.content[0].text.split(" ", 1)[0] == client_id

    # And the server really is protected: without a token, the challenge that started it all.
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={}, headers={"accept": "application/json, text/event-stream"}) as bare:
            assert bare.status == 401
            assert "resource_metadata=" in bare.headers["www-authenticate"]
