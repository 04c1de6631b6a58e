"""A protected server in several processes (shared Redis) and behind a proxy's public URL.

Two processes share a real `redis-server`; both are configured with the public
`resource_url` a proxy would expose, so a token minted for that URL works on either.
The session's binding to its principal travels with the session record: another
principal is refused on the process that did not open the session too.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.oauth import JWKS
from tests.helpers.redis import redis_server

from .auth_client import KEY, Protected, legacy, open_session, result, start_protected

PUBLIC = "https://mcp.example.test/api/mcp"


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Protected]]:
    logs = tmp_path_factory.mktemp("auth-shared")
    with JWKS(KEY) as jwks, redis_server(logs) as redis:
        extra = ("--resource", PUBLIC, "--redis", redis)
        with (
            start_protected(jwks, logs, "http", *extra) as a,
            start_protected(jwks, logs, "http", *extra) as b,
        ):
            yield [a, b]


def test_binding_travels_with_the_session(two: list[Protected]) -> None:
    a, b = two
    alice, bob = a.token(sub="alice"), a.token(sub="bob")
    session = open_session(a.url, alice)
    # Bob's DELETE on the process that never held the session: loaded, then refused.
    bobs = {"mcp-session-id": session, "authorization": f"Bearer {bob}", "mcp-protocol-version": "2025-11-25"}
    assert httpx.delete(b.url, headers=bobs).status_code == 404
    served = result(legacy(b.url, session, alice, "tools/call", {"name": "whoami", "arguments": {}}))
    assert served["structuredContent"]["subject"] == "alice"
    for server in (b, a):
        stolen = legacy(server.url, session, bob, "tools/call", {"name": "whoami", "arguments": {}})
        assert stolen.status_code == 404, stolen.text


def test_public_resource_url_is_the_audience_and_the_metadata(two: list[Protected]) -> None:
    a, _ = two
    document = httpx.get(a.server.url("/.well-known/oauth-protected-resource/mcp")).json()
    assert document["resource"] == PUBLIC
    # The proxy's public path is served too (a proxy may forward it unchanged).
    assert httpx.get(a.server.url("/.well-known/oauth-protected-resource/api/mcp")).json() == document
    response = legacy(a.url, "none", None, "tools/list", {})
    assert response.status_code == 401
    assert f'resource_metadata="{a.metadata}"' in response.headers["www-authenticate"]
    assert a.metadata == "https://mcp.example.test/.well-known/oauth-protected-resource/api/mcp"
    # A token for the server's local URL is not a token for its public resource.
    local = a.token(aud=a.url)
    refused = legacy(a.url, "none", local, "tools/list", {})
    assert refused.status_code == 401 and "another audience" in refused.json()["error"]["message"]
