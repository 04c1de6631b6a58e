"""A protected server (JWT checked against a JWKS the test serves) over real HTTP.

Every refusal must carry the right status, an RFC 6750 `WWW-Authenticate` challenge
pointing at the RFC 9728 metadata, and a JSON-RPC error body saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.oauth import JWKS, KeyPair, unsigned

from .auth_client import (
    ISSUER,
    KEY,
    Protected,
    initialize,
    legacy,
    modern,
    open_session,
    post,
    refused,
    result,
    start_protected,
)


@pytest.fixture(scope="module")
def jwks() -> Iterator[JWKS]:
    with JWKS(KEY) as served:
        yield served


@pytest.fixture(scope="module")
def protected(jwks: JWKS, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    with start_protected(jwks, tmp_path_factory.mktemp("auth"), "http") as server:
        yield server


def test_no_token_is_401_with_the_metadata_url(protected: Protected) -> None:
    params = refused(initialize(protected.url, None), 401, "no Authorization header", protected)
    assert "error" not in params  # no token presented: no error code (RFC 6750 3.1)
    assert params["scope"] == "mcp:use"
    refused(modern(protected.url, None, "tools/list"), 401, "no Authorization header", protected)
    get = httpx.get(protected.url, headers={"accept": "text/event-stream"})
    assert get.status_code == 401


def test_metadata_document_at_both_paths(protected: Protected) -> None:
    for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
        document = httpx.get(protected.server.url(path)).json()
        assert document["resource"] == protected.resource
        assert document["authorization_servers"] == [ISSUER]
        assert document["bearer_methods_supported"] == ["header"]
        assert set(document["scopes_supported"]) == {"mcp:use", "admin", "vault", "prompts"}


def test_valid_token_works_on_both_eras_and_reaches_the_tool(protected: Protected) -> None:
    token = protected.token(scope="mcp:use extra")
    session = open_session(protected.url, token)
    called = result(legacy(protected.url, session, token, "tools/call", {"name": "whoami", "arguments": {}}))
    expected = {"subject": "alice", "client_id": "client-1", "scopes": ["mcp:use", "extra"]}
    assert called["structuredContent"] == expected
    called = result(modern(protected.url, token, "tools/call", {"name": "whoami", "arguments": {}}))
    assert called["structuredContent"] == expected
    tools = result(modern(protected.url, token, "tools/list"))["tools"]
    assert {t["name"] for t in tools} == {"whoami", "reset", "confirm"}  # listing shows every tool


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"lifetime": -120}, "expired"),
        ({"aud": "http://127.0.0.1:1/mcp"}, "another audience"),
        ({"iss": "https://evil.test"}, "another issuer"),
        ({"key": KeyPair(kid=KEY.kid)}, "signature does not verify"),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "foreign-key"],
)
def test_bad_tokens_are_401_invalid_token(protected: Protected, claims: dict, reason: str) -> None:
    token = protected.token(**claims)
    for response in (initialize(protected.url, token), modern(protected.url, token, "tools/list")):
        params = refused(response, 401, reason, protected)
        assert params["error"] == "invalid_token"


def test_alg_none_garbage_and_key_confusion_are_refused(protected: Protected) -> None:
    none = unsigned(sub="alice", aud=protected.resource, iss=ISSUER, scope="mcp:use", exp=2**31)
    refused(initialize(protected.url, none), 401, "algorithm 'none' is not allowed", protected)
    refused(initialize(protected.url, "garbage"), 401, "not a JWT", protected)
    # HS256 "signed" with the server's public key as the HMAC secret.
    confused = _hs256_with(KEY.public_pem.encode(), protected)
    refused(initialize(protected.url, confused), 401, "algorithm 'HS256' is not allowed", protected)


def _hs256_with(secret: bytes, protected: Protected) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def part(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    claims = {"sub": "alice", "scope": "mcp:use", "aud": protected.resource, "iss": ISSUER, "exp": 2**31}
    signing = part({"alg": "HS256", "kid": KEY.kid}) + b"." + part(claims)
    mac = base64.urlsafe_b64encode(hmac.new(secret, signing, hashlib.sha256).digest()).rstrip(b"=")
    return (signing + b"." + mac).decode()


def test_a_hostile_kid_cannot_break_the_challenge_header(protected: Protected) -> None:
    token = protected.token(kid='evil" , error="none\u00e9')
    response = initialize(protected.url, token)
    params = refused(response, 401, "unknown signing key", protected)
    assert params["error"] == "invalid_token"
    assert response.headers["www-authenticate"].count('"') == 8  # four quoted parameters, no more


def test_missing_scopes_are_403_naming_every_scope_needed(protected: Protected) -> None:
    token = protected.token()
    session = open_session(protected.url, token)
    for response in (
        legacy(protected.url, session, token, "tools/call", {"name": "reset", "arguments": {}}),
        modern(protected.url, token, "tools/call", {"name": "reset", "arguments": {}}),
    ):
        params = refused(response, 403, "needs scopes admin", protected)
        assert params["error"] == "insufficient_scope"
        assert params["scope"] == "mcp:use admin"  # everything the call needs, for step-up
        assert response.json()["id"] == 1
    params = refused(
        modern(protected.url, token, "resources/read", {"uri": "secret://vault"}), 403, "vault", protected
    )
    assert params["scope"] == "mcp:use vault"
    refused(modern(protected.url, token, "prompts/get", {"name": "briefing"}), 403, "prompts", protected)
    # Without the server's own required scope, nothing is served.
    bare = protected.token(scope="other")
    params = refused(modern(protected.url, bare, "tools/list"), 403, "lacks scopes mcp:use", protected)
    assert params["scope"] == "mcp:use"


def test_scopes_present_are_served(protected: Protected) -> None:
    token = protected.token(scope="mcp:use admin vault")
    assert (
        result(modern(protected.url, token, "tools/call", {"name": "reset"}))["content"][0]["text"]
        == "reset done"
    )
    read = result(modern(protected.url, token, "resources/read", {"uri": "secret://vault"}))
    assert read["contents"][0]["text"] == "gold"


def test_another_principal_sees_no_session(protected: Protected) -> None:
    alice, bob = protected.token(sub="alice"), protected.token(sub="bob")
    session = open_session(protected.url, alice)
    stolen = legacy(protected.url, session, bob, "tools/call", {"name": "whoami", "arguments": {}})
    assert stolen.status_code == 404 and "Session not found" in stolen.json()["error"]["message"]
    headers = {"mcp-session-id": session, "authorization": f"Bearer {bob}", "accept": "text/event-stream"}
    assert httpx.get(protected.url, headers=headers).status_code == 404
    assert httpx.delete(protected.url, headers=headers).status_code == 404
    # Alice's own session still works (Bob's DELETE did not end it).
    whoami = result(legacy(protected.url, session, alice, "tools/call", {"name": "whoami", "arguments": {}}))
    assert whoami["structuredContent"]["subject"] == "alice"


def test_modern_request_state_is_sealed_to_the_principal(protected: Protected) -> None:
    alice, bob = protected.token(sub="alice"), protected.token(sub="bob")
    first = result(modern(protected.url, alice, "tools/call", {"name": "confirm", "arguments": {}}))
    assert first["resultType"] == "input_required"
    (key,) = first["inputRequests"]
    retry = {
        "name": "confirm",
        "arguments": {},
        "requestState": first["requestState"],
        "inputResponses": {key: {"action": "accept", "content": {"ok": True}}},
    }
    hijacked = modern(protected.url, bob, "tools/call", retry).json()
    assert "different request or principal" in hijacked["error"]["message"]
    done = result(modern(protected.url, alice, "tools/call", retry))
    assert done["content"][0]["text"] == "accept for alice"


def test_custom_routes_stay_open_unless_declared_with_auth(protected: Protected) -> None:
    assert httpx.get(protected.server.url("/health")).json() == {"ok": True}
    response = httpx.get(protected.server.url("/private"))
    refused(response, 401, "no Authorization header", protected)
    token = protected.token(sub="carol")
    response = httpx.get(protected.server.url("/private"), headers={"authorization": f"Bearer {token}"})
    assert response.json() == {"subject": "carol"}


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ([("authorization", "Bearer")], 401, "the Bearer token is empty"),
        ([("authorization", "Basic dXNlcjpwdw==")], 401, "not a Bearer token"),
        ([("authorization", "Bearer a"), ("authorization", "Bearer b")], 400, "more than one"),
        ([("authorization", "Bearer tok\u00e9n".encode())], 401, "RFC 6750 does not allow"),
        ([("authorization", "Bearer a b")], 401, "RFC 6750 does not allow"),
        ([("authorization", "Bearer " + "a" * 20000)], 401, "longer than"),
    ],
    ids=["bearer-nothing", "basic", "two-headers", "non-ascii", "two-words", "20k-token"],
)
def test_bad_authorization_headers_are_clean_refusals(
    protected: Protected, headers: list, status: int, reason: str
) -> None:
    base = [("content-type", "application/json"), ("accept", "application/json, text/event-stream")]
    response = httpx.post(protected.url, content=b"{}", headers=base + headers, timeout=10)
    refused(response, status, reason, protected)


def test_a_1mb_token_is_refused_and_the_server_keeps_serving(protected: Protected) -> None:
    huge = "Bearer " + "a" * (1024 * 1024)
    try:
        response = httpx.post(protected.url, content=b"{}", headers={"authorization": huge}, timeout=10)
        assert 400 <= response.status_code < 500  # uvicorn itself refuses headers this large
    except httpx.RemoteProtocolError:
        pass  # or closes the connection: either way, nothing is served
    token = protected.token()
    assert result(modern(protected.url, token, "tools/call", {"name": "whoami"}))["structuredContent"]


def test_refusals_are_logged_once_with_the_reason_never_the_token(protected: Protected) -> None:
    token = protected.token(lifetime=-100, sub="logcheck")
    initialize(protected.url, token)
    log = Path(protected.server.stderr_path).read_text()
    assert "the token has expired" in log
    assert token not in log and token.split(".")[2] not in log


def test_post_without_a_session_still_needs_the_token_first(protected: Protected) -> None:
    response = post(protected.url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, {})
    refused(response, 401, "no Authorization header", protected)
