"""`OAuthProvider(step_up_scopes=...)`: scopes an earlier token lacked (a step-up that
could not run then, as in the inspector) are asked for by the first authorization,
besides the server's own challenge; without them only the challenge's scope is asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from mcp_use.client.auth import MemoryTokenStorage, OAuthProvider
from tests.client.auth.rig import Rig


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = await Rig().start()
    yield r
    await r.stop()


async def first_scope(rig: Rig, step_up: list[str]) -> list[str]:
    asked: list[str] = []

    async def authorize(url: str) -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        asked.extend(query.get("scope", "").split())
        return query["redirect_uri"] + "?" + urlencode({"code": "rig-code", "state": query["state"]})

    provider = OAuthProvider(
        rig.url, storage=MemoryTokenStorage(), authorize=authorize, step_up_scopes=step_up
    )
    challenge = (
        f'Bearer scope="mcp:read", resource_metadata="{rig.base}/.well-known/oauth-protected-resource/mcp"'
    )
    try:
        assert await provider.on_response(401, {"WWW-Authenticate": challenge}, "POST", rig.url) is True
        assert provider.tokens is not None and provider.resource == rig.url
        assert await provider.headers("POST", rig.url) == {"authorization": "Bearer rig-token"}
    finally:
        await provider.aclose()
    return asked


async def test_step_up_scopes_join_the_challenge(rig: Rig) -> None:
    assert await first_scope(rig, ["mcp:admin", "mcp:read"]) == ["mcp:read", "mcp:admin"]


async def test_without_step_up_scopes_only_the_challenge_is_asked(rig: Rig) -> None:
    assert await first_scope(rig, []) == ["mcp:read"]
