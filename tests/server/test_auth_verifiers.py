"""The shipped verifiers on their own: JWKS over HTTP, static keys, secrets, RFC 7662.

Keys are generated here; JWKS and introspection endpoints are real HTTP servers on
127.0.0.1 (tests/helpers/oauth.py), so the verifiers fetch exactly as they would in use.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time

import jwt
import pytest

from mcp_use.auth import AccessToken, IntrospectionVerifier, InvalidToken, JWTVerifier, VerifierUnavailable
from mcp_use.server.http.auth import Refusal, bearer
from tests.helpers import REPO_ROOT, free_port
from tests.helpers.oauth import JWKS, DocumentServer, KeyPair, unsigned

AUD = "http://127.0.0.1:9/mcp"
ISS = "https://issuer.test"


async def test_jwks_keys_are_cached_and_fetched_again_for_an_unknown_kid() -> None:
    first, second = KeyPair(), KeyPair()
    with JWKS(first) as served:
        verifier = JWTVerifier(jwks_uri=served.url, issuer=ISS, audience=AUD)
        verifier.JWKS_MIN_REFETCH = 0.0
        one = await verifier.check(first.mint(sub="a", aud=AUD, iss=ISS, scope="x y"))
        assert isinstance(one, AccessToken) and one.subject == "a" and one.scopes == ("x", "y")
        await verifier.check(first.mint(sub="b", aud=AUD, iss=ISS))
        assert served.fetches == 1  # cached
        served.keys.append(second)  # rotation: a new key appears
        rotated = await verifier.check(second.mint(sub="c", aud=AUD, iss=ISS))
        assert rotated.subject == "c" and served.fetches == 2
        await verifier.close()


async def test_unknown_kids_do_not_hammer_the_jwks() -> None:
    key = KeyPair()
    with JWKS(key) as served:
        verifier = JWTVerifier(jwks_uri=served.url, issuer=ISS, audience=AUD)
        await verifier.check(key.mint(aud=AUD, iss=ISS))
        for n in range(5):
            with pytest.raises(InvalidToken, match="unknown signing key"):
                await verifier.check(key.mint(aud=AUD, iss=ISS, kid=f"nope-{n}"))
        assert served.fetches == 1  # within JWKS_MIN_REFETCH: no new fetch
        await verifier.close()


async def test_keys_are_kept_when_the_jwks_goes_down() -> None:
    key = KeyPair()
    with JWKS(key) as served:
        verifier = JWTVerifier(jwks_uri=served.url)
        verifier.JWKS_TTL = verifier.JWKS_MIN_REFETCH = 0.0  # every request finds the keys stale
        await verifier.check(key.mint(sub="a"))
        served.server.get = lambda: (503, {"error": "down"})
        assert (await verifier.check(key.mint(sub="b"))).subject == "b"
        assert served.fetches == 2  # it tried, failed, and kept the keys it had
        with pytest.raises(VerifierUnavailable, match="answered 503"):
            await verifier.check(key.mint(kid="rotated-away"))
        await verifier.close()


async def test_unreachable_jwks_is_unavailable_not_a_crash() -> None:
    verifier = JWTVerifier(jwks_uri=f"http://127.0.0.1:{free_port()}/jwks", issuer=ISS)
    with pytest.raises(VerifierUnavailable, match="unreachable"):
        await verifier.check(KeyPair().mint(aud=AUD, iss=ISS))
    assert await verifier.verify_token(KeyPair().mint(aud=AUD, iss=ISS)) is None
    with pytest.raises(VerifierUnavailable, match="no keys fetched yet"):  # retries are rate-limited
        await verifier.check(KeyPair().mint(aud=AUD, iss=ISS))
    await verifier.close()


async def test_static_public_key_and_required_scopes() -> None:
    key = KeyPair()
    verifier = JWTVerifier(public_key=key.public_pem, issuer=ISS, audience=AUD, required_scopes=["read"])
    assert await verifier.verify_token(key.mint(aud=AUD, iss=ISS, scope="write")) is None
    ok = await verifier.verify_token(key.mint(aud=AUD, iss=ISS, scope="read write", client_id="c1"))
    assert ok is not None and ok.client_id == "c1" and ok.principal == "c1"
    with pytest.raises(InvalidToken, match="another audience"):
        await verifier.check(key.mint(aud="http://other/mcp", iss=ISS))
    with pytest.raises(InvalidToken, match="lacks the 'exp' claim"):
        await verifier.check(jwt.encode({"aud": AUD, "iss": ISS}, key.private, algorithm="RS256"))


async def test_leeway_accepts_a_token_just_expired() -> None:
    key = KeyPair()
    lenient = JWTVerifier(public_key=key.public_pem, leeway=60)
    strict = JWTVerifier(public_key=key.public_pem, leeway=0)
    token = key.mint(lifetime=-10)
    assert (await lenient.check(token)).expires_at is not None
    with pytest.raises(InvalidToken, match="expired"):
        await strict.check(token)


async def test_shared_secret_is_hs_only_and_public_keys_are_never_hs() -> None:
    secret = "s" * 32
    verifier = JWTVerifier(secret=secret, audience=AUD)
    token = jwt.encode({"sub": "dev", "aud": AUD, "exp": int(time.time()) + 60}, secret, algorithm="HS256")
    assert (await verifier.check(token)).subject == "dev"
    with pytest.raises(InvalidToken, match="'RS256' is not allowed"):
        await verifier.check(KeyPair().mint(aud=AUD))
    with pytest.raises(InvalidToken, match="'none' is not allowed"):
        await verifier.check(unsigned(sub="dev", aud=AUD, exp=2**31))
    with pytest.raises(ValueError, match="cannot be used with public keys"):
        JWTVerifier(public_key=KeyPair().public_pem, algorithms=["RS256", "HS256"])
    with pytest.raises(ValueError, match="exactly one"):
        JWTVerifier(secret=secret, jwks_uri="http://127.0.0.1:1/jwks")
    with pytest.raises(ValueError, match="not a PEM public key"):
        JWTVerifier(public_key="not a key")


def test_bearer_extraction_refuses_huge_and_odd_headers() -> None:
    assert bearer([(b"authorization", b"Bearer abc.def-_~+/==")]) == b"abc.def-_~+/=="
    assert bearer([(b"authorization", b"bearer abc")]) == b"abc"  # the scheme is case-insensitive
    huge = bearer([(b"authorization", b"Bearer " + b"a" * 1024 * 1024)])
    assert isinstance(huge, Refusal) and huge.status == 401 and "longer than" in huge.reason
    odd = bearer([(b"authorization", "Bearer é".encode())])
    assert isinstance(odd, Refusal) and odd.error == "invalid_token"
    assert bearer([]) == Refusal(401, None, "the request has no Authorization header; send a bearer token")


def _introspection(expect_basic: str | None, seen: list[dict[str, str]]) -> DocumentServer:
    def answer(form: dict[str, str], headers: dict[str, str]) -> tuple[int, dict]:
        seen.append(form)
        if expect_basic is not None and headers.get("authorization") != expect_basic:
            return 401, {"error": "invalid_client"}
        token = form.get("token")
        if token == "good":
            return 200, {
                "active": True,
                "sub": "u1",
                "client_id": "c1",
                "scope": "a b",
                "aud": AUD,
                "exp": int(time.time()) + 600,
            }
        if token == "elsewhere":
            return 200, {
                "active": True,
                "sub": "u1",
                "aud": "http://other/mcp",
                "exp": int(time.time()) + 600,
            }
        return 200, {"active": False}

    return DocumentServer(post=answer)


async def test_introspection_with_client_authentication_and_cache() -> None:
    seen: list[dict[str, str]] = []
    basic = "Basic " + base64.b64encode(b"rs:secret").decode()
    with _introspection(basic, seen) as endpoint:
        verifier = IntrospectionVerifier(
            endpoint.url + "/introspect", client_id="rs", client_secret="secret", audience=AUD
        )
        token = await verifier.check("good")
        assert (token.subject, token.client_id, token.scopes, token.audience) == (
            "u1",
            "c1",
            ("a", "b"),
            (AUD,),
        )
        await verifier.check("good")
        assert endpoint.requests == 1  # cached for cache_ttl
        with pytest.raises(InvalidToken, match="not active"):
            await verifier.check("revoked")
        with pytest.raises(InvalidToken, match="another audience"):
            await verifier.check("elsewhere")
        assert seen[0]["token"] == "good"
        wrong = IntrospectionVerifier(endpoint.url + "/introspect", client_id="rs", client_secret="nope")
        with pytest.raises(VerifierUnavailable, match="answered 401"):
            await wrong.check("good")
        await verifier.close()
        await wrong.close()


async def test_introspection_cache_ttl_zero_asks_every_time() -> None:
    seen: list[dict[str, str]] = []
    with _introspection(None, seen) as endpoint:
        verifier = IntrospectionVerifier(endpoint.url, client_id="public-rs", cache_ttl=0)
        await verifier.check("good")
        await verifier.check("good")
        assert endpoint.requests == 2 and seen[0]["client_id"] == "public-rs"
        assert await verifier.verify_token("revoked") is None
        await verifier.close()


def test_import_mcp_use_loads_neither_jwt_nor_aiohttp() -> None:
    code = (
        "import sys, mcp_use, mcp_use.auth\n"
        "from mcp_use import MCPServer\n"
        "MCPServer('x')\n"
        "print(sorted(m for m in ('jwt', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert out.stdout.strip() == "[]"
