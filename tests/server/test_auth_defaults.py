"""Secure defaults around authorization: the open-server warning, and `ctx.access_token`
being None on an unprotected server."""

from __future__ import annotations

import sys

import httpx
import pytest

from mcp_use import Context, MCPServer
from tests.helpers import ServerProcess, build_env, free_port
from tests.helpers.oauth import KeyPair

from .auth_client import modern, modern_message, result

SCRIPT = """
import sys
from mcp_use import Context, MCPServer
from mcp_use.auth import JWTVerifier
auth = None
if sys.argv[2] == "auth":
    auth = JWTVerifier(secret="s" * 32, audience="http://x/mcp")
elif sys.argv[2] == "noaud":  # protected, but the server does not know its own URL
    auth = JWTVerifier(secret="s" * 32)
elif sys.argv[2].startswith("http"):  # a JWKS URL nobody answers
    auth = JWTVerifier(jwks_uri=sys.argv[2])
server = MCPServer("open", auth=auth)
server.custom_route("/health")(lambda: {"ok": True})

@server.tool()
def token_seen(ctx: Context) -> str:
    return repr(ctx.access_token)

server.run(transport="http", host=sys.argv[3], port=int(sys.argv[1]))
"""


@pytest.mark.parametrize(
    ("auth", "host", "warned"),
    [
        ("none", "0.0.0.0", True),
        ("auth", "0.0.0.0", False),
        ("none", "127.0.0.1", False),
        ("noaud", "0.0.0.0", False),
    ],
)
def test_serving_http_beyond_loopback_without_auth_warns(
    tmp_path, auth: str, host: str, warned: bool
) -> None:
    port = free_port()
    with ServerProcess(
        [sys.executable, "-c", SCRIPT, str(port), auth, host],
        port=port,
        env=build_env({"PYTHONPATH": "src"}),
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
        log_dir=tmp_path,
    ) as srv:
        log = srv.stderr_path.read_text()
    assert ("without auth=: anyone who can reach it can call every tool" in log) is warned, log
    assert ("Set resource_url to this server's public URL" in log) is (auth == "noaud"), log


def test_access_token_is_none_without_auth(tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with ServerProcess(
        [sys.executable, "-c", SCRIPT, str(port), "none", "127.0.0.1"],
        port=port,
        env=build_env({"PYTHONPATH": "src"}),
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
        log_dir=tmp_path,
    ):
        called = result(modern(url, None, "tools/call", {"name": "token_seen", "arguments": {}}))
    assert called["content"][0]["text"] == "None"


def test_auth_arguments_need_a_verifier() -> None:
    with pytest.raises(ValueError, match="need auth="):
        MCPServer("x", required_scopes=["a"])
    with pytest.raises(TypeError, match="verify_token"):
        MCPServer("x", auth="not a verifier")
    with pytest.raises(ValueError, match="custom_route\\(auth=True\\) needs"):
        MCPServer("x").custom_route("/p", auth=True)


def test_an_unreachable_jwks_is_503_not_401(tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    dead = f"http://127.0.0.1:{free_port()}/jwks.json"
    with ServerProcess(
        [sys.executable, "-c", SCRIPT, str(port), dead, "127.0.0.1"],
        port=port,
        env=build_env({"PYTHONPATH": "src"}),
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
        log_dir=tmp_path,
    ) as srv:
        response = modern(url, KeyPair().mint(aud=url), "tools/list")
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert "could not be verified now" in response.json()["error"]["message"]
        assert srv.is_running()


async def test_mounted_under_a_prefix_the_urls_follow() -> None:
    import time

    import jwt
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from mcp_use.auth import JWTVerifier

    secret = "m" * 32
    resource = "http://127.0.0.1:8000/api/mcp"
    server = MCPServer("mounted", auth=JWTVerifier(secret=secret))

    @server.tool()
    def ping() -> str:
        return "pong"

    host = Starlette(routes=[Mount("/api", app=server.app)])
    body, headers = modern_message("tools/call", {"name": "ping"})
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        refused = await http.post("/api/mcp", json=body, headers=headers)
        assert refused.status_code == 401
        metadata = "http://127.0.0.1:8000/api/.well-known/oauth-protected-resource/mcp"
        assert f'resource_metadata="{metadata}"' in refused.headers["www-authenticate"]
        document = (await http.get("/api/.well-known/oauth-protected-resource/mcp")).json()
        assert document["resource"] == resource
        token = jwt.encode(
            {"sub": "m", "aud": resource, "exp": int(time.time()) + 60}, secret, algorithm="HS256"
        )
        served = await http.post(
            "/api/mcp", json=body, headers={**headers, "authorization": f"Bearer {token}"}
        )
        assert served.status_code == 200 and served.json()["result"]["content"][0]["text"] == "pong"
        other = jwt.encode(
            {"sub": "m", "aud": "http://127.0.0.1:8000/mcp", "exp": int(time.time()) + 60}, secret
        )
        wrong = await http.post(
            "/api/mcp", json=body, headers={**headers, "authorization": f"Bearer {other}"}
        )
        assert wrong.status_code == 401 and "another resource" in wrong.json()["error"]["message"]


class SdkShapedVerifier:
    """A verifier in the official SDK's `TokenVerifier` shape, returning its `AccessToken`."""

    def __init__(self) -> None:
        self.calls = 0

    async def verify_token(self, token: str):  # type: ignore[no-untyped-def]
        from mcp.server.auth.provider import AccessToken

        self.calls += 1
        if token == "sdk-good":
            return AccessToken(token=token, client_id="c", scopes=["s"], resource="http://127.0.0.1:8000/mcp")
        if token == "sdk-no-resource":
            return AccessToken(token=token, client_id="c", scopes=["s"])
        if token == "sdk-expired":
            return AccessToken(
                token=token, client_id="c", scopes=["s"], expires_at=1, resource="http://127.0.0.1:8000/mcp"
            )
        return None


async def test_an_sdk_shaped_verifier_is_asked_on_every_request() -> None:
    verifier = SdkShapedVerifier()
    server = MCPServer("sdk-shaped", auth=verifier)

    @server.tool()
    def who(ctx: Context) -> str:
        return f"{ctx.access_token.client_id} {list(ctx.access_token.scopes)}"

    body, headers = modern_message("tools/call", {"name": "who"})
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:

        async def call(token: str) -> httpx.Response:
            return await http.post("/mcp", json=body, headers={**headers, "authorization": f"Bearer {token}"})

        for _ in range(2):
            ok = await call("sdk-good")
            assert ok.status_code == 200 and ok.json()["result"]["content"][0]["text"] == "c ['s']"
        assert verifier.calls == 2  # a verifier that is not ours is not cached by the server
        for token, reason in (
            ("sdk-no-resource", "names no audience"),
            ("sdk-expired", "has expired"),
            ("nope", "rejected by the verifier"),
        ):
            refused = await call(token)
            assert refused.status_code == 401 and reason in refused.json()["error"]["message"]
