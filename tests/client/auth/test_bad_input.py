"""Bad input and faults in the OAuth flow: each stops the flow where it happens, says why,
and never sends a code or a token further than the step that went wrong."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from mcp_use import MCPClient
from mcp_use.client.auth import BrowserAuthorizer, MemoryTokenStorage, OAuthError, OAuthProvider
from tests.client.auth.conftest import FetchAuthorizer
from tests.client.auth.rig import Rig


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = await Rig().start()
    yield r
    await r.stop()


async def connect(rig: Rig, authorize: Any = None) -> OAuthError:
    config = {"mcpServers": {"p": {"url": rig.url, "auth": {"type": "oauth"}}}}
    with pytest.raises(OAuthError) as info:
        async with MCPClient(
            config, token_storage=MemoryTokenStorage(), authorize=authorize or FetchAuthorizer(), timeout=20
        ):
            pass
    assert str(info.value).startswith("[p] ")  # names the server
    return info.value


def answer(status: int, body: bytes | str, content_type: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        data = body.encode() if isinstance(body, str) else body
        return web.Response(status=status, body=data, content_type=content_type)

    return handler


async def test_malformed_resource_metadata(rig: Rig) -> None:
    rig.handlers["/.well-known/oauth-protected-resource/mcp"] = answer(200, "<html>nope</html>", "text/html")
    err = await connect(rig)
    assert "protected resource metadata" in str(err) and "not JSON" in str(err)
    assert rig.hits["/authorize"] == 0


async def test_resource_metadata_without_authorization_servers(rig: Rig) -> None:
    rig.prm = {"resource": rig.url}
    err = await connect(rig)
    assert "lists no authorization_servers" in str(err)


async def test_resource_metadata_for_another_resource_is_refused(rig: Rig) -> None:
    rig.prm["resource"] = "https://evil.example.com/mcp"
    err = await connect(rig)
    assert "not" in str(err) and "evil.example.com" in str(err)
    assert rig.hits["/authorize"] == 0 and rig.hits["/register"] == 0


async def test_authorization_server_metadata_with_a_non_url_endpoint(rig: Rig) -> None:
    rig.metadata["token_endpoint"] = ["not", "a", "url"]
    err = await connect(rig)
    assert "token_endpoint is not a URL" in str(err)


async def test_authorization_server_metadata_for_another_issuer(rig: Rig) -> None:
    rig.metadata["issuer"] = rig.base + "/"
    err = await connect(rig)
    assert "RFC 8414" in str(err)
    assert rig.hits["/authorize"] == 0


async def test_no_pkce_support_is_refused_before_authorizing(rig: Rig) -> None:
    del rig.metadata["code_challenge_methods_supported"]
    err = await connect(rig)
    assert "PKCE" in str(err)
    assert rig.hits["/authorize"] == 0


async def test_token_endpoint_answering_html(rig: Rig) -> None:
    rig.handlers["/token"] = answer(200, "<!doctype html><h1>Login</h1>", "text/html")
    err = await connect(rig)
    assert "text/html" in str(err) and "not JSON" in str(err)


async def test_token_endpoint_answering_500(rig: Rig) -> None:
    rig.handlers["/token"] = answer(500, "Internal Server Error", "text/plain")
    err = await connect(rig)
    assert "HTTP 500" in str(err)


async def test_token_endpoint_oauth_error_is_reported_with_its_code(rig: Rig) -> None:
    rig.handlers["/token"] = answer(
        400, '{"error": "invalid_grant", "error_description": "code expired"}', "application/json"
    )
    err = await connect(rig)
    assert err.error == "invalid_grant" and "code expired" in str(err)


def redirect_with(query: Callable[[str], str]) -> Callable[[web.Request], Any]:
    """An /authorize that approves at once but answers `redirect_uri?` + query(our state)."""

    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["redirect_uri"] + "?" + query(request.query["state"]))

    return handler


@pytest.mark.parametrize(
    ("query", "message", "error"),
    [
        (lambda state: f"state={state}", "has no code", None),
        (lambda state: "code=c&state=forged", "state does not match", None),
        (lambda state: "code=c", "state does not match", None),
        (lambda state: f"error=access_denied&state={state}", "refused", "access_denied"),
        (lambda state: f"code=c&state={state}&iss=https://evil.example.com", "RFC 9207", None),
    ],
    ids=["no-code", "other-state", "no-state", "error", "other-issuer"],
)
async def test_bad_redirects(rig: Rig, query: Callable[[str], str], message: str, error: str | None) -> None:
    rig.handlers["/authorize"] = redirect_with(query)
    err = await connect(rig)
    assert message in str(err) and err.error == error
    assert rig.hits["/token"] == 0  # the code goes no further


async def test_callback_that_never_comes(rig: Rig) -> None:
    opened: list[str] = []  # a "browser" that never visits the URL
    started = time.monotonic()
    err = await connect(
        rig, authorize=BrowserAuthorizer(open_browser=True, timeout=1.0, open_url=opened.append)
    )
    assert len(opened) == 1 and opened[0].startswith(rig.base + "/authorize?")
    assert "no authorization callback arrived within 1s" in str(err)
    assert time.monotonic() - started < 10


async def test_headless_with_nothing_pasted(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    err = await connect(rig, authorize=BrowserAuthorizer(open_browser=False, timeout=5.0))
    assert "no redirect URL was pasted" in str(err)


async def test_authorize_hook_that_hangs_is_bounded(rig: Rig) -> None:
    async def hang(url: str) -> str:
        await asyncio.sleep(3600)
        return url

    provider = OAuthProvider(rig.url, storage=MemoryTokenStorage(), authorize=hang, authorize_timeout=0.5)
    challenge = {
        "WWW-Authenticate": f'Bearer resource_metadata="{rig.base}/.well-known/oauth-protected-resource/mcp"'
    }
    with pytest.raises(OAuthError, match=re.escape("did not finish within 0.5s")):
        await provider.on_response(401, challenge, "POST", rig.url)
    await provider.aclose()


async def test_a_server_that_keeps_refusing_does_not_loop(rig: Rig) -> None:
    """Every token is refused with 401: the client gives up after a bounded number of flows."""
    config = {"mcpServers": {"p": {"url": rig.url, "auth": {"type": "oauth"}}}}
    authorizer = FetchAuthorizer()
    with pytest.raises(Exception, match="401"):
        async with MCPClient(config, token_storage=MemoryTokenStorage(), authorize=authorizer, timeout=20):
            pass
    assert 1 <= len(authorizer.calls) <= 2


async def test_rejected_workload_assertion_is_not_retried(rig: Rig) -> None:
    """SEP-1933: a refused JWT bearer grant is reported, and later 401s do not send it again."""
    from mcp_use.client.auth import OAuthSettings

    rig.handlers["/token"] = answer(400, '{"error": "invalid_grant"}', "application/json")
    settings = OAuthSettings(kind="jwt_bearer", assertion="eyJ.workload.jwt", client_id="wl")
    provider = OAuthProvider(rig.url, settings, storage=MemoryTokenStorage())
    challenge = {
        "WWW-Authenticate": f'Bearer resource_metadata="{rig.base}/.well-known/oauth-protected-resource/mcp"'
    }
    for _ in range(2):
        with pytest.raises(OAuthError) as info:
            await provider.on_response(401, challenge, "POST", rig.url)
        assert info.value.error == "invalid_grant"
    assert rig.hits["/token"] == 1 and rig.hits["/authorize"] == 0
    await provider.aclose()


async def test_a_late_401_for_the_previous_token_does_not_start_another_flow(rig: Rig) -> None:
    """Two requests sent before any token are both refused: the second refusal, arriving
    after the first one's flow, carried no token (or the old one), so it is answered by
    resending with the new token, not by a new flow; a refusal of the new token itself
    starts a flow at once, however new that token is."""
    authorizer = FetchAuthorizer()
    provider = OAuthProvider(rig.url, storage=MemoryTokenStorage(), authorize=authorizer)
    challenge = {
        "WWW-Authenticate": f'Bearer resource_metadata="{rig.base}/.well-known/oauth-protected-resource/mcp"'
    }
    assert await provider.on_response(401, challenge, "POST", rig.url)
    assert rig.hits["/token"] == 1
    assert await provider.on_response(401, challenge, "POST", rig.url)  # the other request's late 401
    late = await provider.on_response(401, challenge, "POST", rig.url, authorization="Bearer older-token")
    assert late and rig.hits["/token"] == 1 and len(authorizer.calls) == 1
    assert await provider.headers("POST", rig.url) == {"authorization": "Bearer rig-token"}
    assert await provider.on_response(401, challenge, "POST", rig.url, authorization="Bearer rig-token")
    assert rig.hits["/token"] == 2  # the current token itself was refused: a new flow
    await provider.aclose()


def test_signing_without_pyjwt_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from mcp_use.client.auth.dpop import new_private_jwk

    monkeypatch.setitem(sys.modules, "jwt", None)  # as if the [auth] extra were not installed
    with pytest.raises(OAuthError, match=re.escape("DPoP needs pyjwt[crypto]: pip install 'mcp-use[auth]'")):
        new_private_jwk()
