"""The legacy HTTP+SSE transport of a protected server: the stream and the messages endpoint.

The stream needs a token; the messages endpoint needs a token of the principal who
opened the stream (another principal: 404, as for an unknown session), and the scopes
of the tool it calls (403). The official SDK's `sse_client` does a whole session.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client

from tests.helpers.oauth import JWKS

from .auth_client import KEY, Protected, refused, start_protected


@pytest.fixture(scope="module")
def protected_sse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    with JWKS(KEY) as jwks, start_protected(jwks, tmp_path_factory.mktemp("auth-sse"), "sse") as server:
        yield server


def test_the_stream_needs_a_token(protected_sse: Protected) -> None:
    response = httpx.get(protected_sse.server.url("/sse"))
    params = refused(response, 401, "no Authorization header", protected_sse)
    assert params["scope"] == "mcp:use"
    expired = protected_sse.token(lifetime=-100)
    response = httpx.get(protected_sse.server.url("/sse"), headers={"authorization": f"Bearer {expired}"})
    assert refused(response, 401, "expired", protected_sse)["error"] == "invalid_token"


async def test_sdk_sse_client_with_a_token(protected_sse: Protected) -> None:
    headers = {"Authorization": f"Bearer {protected_sse.token(sub='dana')}"}
    async with (
        sse_client(protected_sse.server.url("/sse"), headers=headers) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool("whoami", {})
        assert result.structured_content == {
            "subject": "dana",
            "client_id": "client-1",
            "scopes": ["mcp:use"],
        }


def _endpoint(lines: Iterator[str]) -> str:
    """The endpoint event's URL; the caller keeps `lines` alive (closing it ends the stream)."""
    for line in lines:
        if line.startswith("data: "):
            return line[len("data: ") :]
    raise AssertionError("no endpoint event")


def test_messages_endpoint_checks_principal_and_scopes(protected_sse: Protected) -> None:
    alice, bob = protected_sse.token(sub="alice"), protected_sse.token(sub="bob")
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "reset", "arguments": {}}}
    with httpx.Client(base_url=protected_sse.server.url("/"), timeout=10) as http:
        with http.stream("GET", "/sse", headers={"authorization": f"Bearer {alice}"}) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            endpoint = _endpoint(lines)
            assert refused(http.post(endpoint, json=call), 401, "no Authorization", protected_sse)
            stolen = http.post(endpoint, json=call, headers={"authorization": f"Bearer {bob}"})
            assert stolen.status_code == 404 and "Unknown or missing session_id" in stolen.text
            denied = http.post(endpoint, json=call, headers={"authorization": f"Bearer {alice}"})
            params = refused(denied, 403, "needs scopes admin", protected_sse)
            assert params["error"] == "insufficient_scope" and params["scope"] == "mcp:use admin"
            assert denied.json()["id"] == 7
            as_alice = {"authorization": f"Bearer {alice}"}
            init = {
                "protocolVersion": "2024-11-05",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            }
            opened = http.post(
                endpoint,
                json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
                headers=as_alice,
            )
            assert opened.status_code == 202
            assert '"protocolVersion"' in next(line for line in lines if line.startswith("data: "))
            allowed = http.post(
                endpoint, json={**call, "params": {"name": "whoami", "arguments": {}}}, headers=as_alice
            )
            assert allowed.status_code == 202
            assert '"subject":"alice"' in next(line for line in lines if line.startswith("data: "))
