"""`mcp-use proxy` with its authorization options: a protected front (JWT with a JWKS,
or RFC 7662 introspection with client credentials from the environment) refuses a
request without a token (401, `WWW-Authenticate`, protected resource metadata) or
without the required scope, and serves our client holding a good token, on both eras;
options that make no verifier are refused at the command line."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcp_use import MCPClient
from mcp_use.client.errors import ClientError
from tests.helpers import REPO_ROOT, ServerPool, ServerProcess, build_env, free_port
from tests.helpers.oauth import JWKS, DocumentServer, KeyPair

TARGET = Path(__file__).parent / "servers" / "proxy_target.py"
ENV = {"PYTHONPATH": str(REPO_ROOT / "src")}
PROXY = [sys.executable, "-m", "mcp_use.cli", "proxy"]
ISSUER = "https://issuer.example"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip


def start(
    pool: ServerPool, port: int, options: list[str], env: dict[str, str] | None = None
) -> ServerProcess:
    cmd = [*PROXY, "--port", str(port), *options, "--", sys.executable, str(TARGET)]
    return pool(cmd, port=port, env=build_env({**ENV, **(env or {})}), name="proxy-auth")


def entry(port: int, token: str) -> dict[str, Any]:
    return {"mcpServers": {"p": {"url": f"http://127.0.0.1:{port}/mcp", "auth": token}}}


@pytest.fixture
def keys() -> Any:
    key = KeyPair()
    with JWKS(key) as jwks:
        yield key, jwks


def test_jwt_protected_proxy_refuses_without_a_token(server_process: ServerPool, keys: Any) -> None:
    key, jwks = keys
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    options = ["--auth-jwks-uri", jwks.url, "--auth-issuer", ISSUER, "--auth-audience", resource]
    start(server_process, port, [*options, "--required-scopes", "mcp:use"])
    headers = {"accept": "application/json, text/event-stream"}
    refused = httpx.post(resource, json=INITIALIZE, headers=headers, timeout=30)
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    prm_url = f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"
    assert challenge.startswith("Bearer ") and f'resource_metadata="{prm_url}"' in challenge
    assert refused.json()["error"]["message"]
    prm = httpx.get(prm_url, timeout=10).json()
    assert prm["resource"] == resource and prm["authorization_servers"] == [ISSUER]
    assert prm["scopes_supported"] == ["mcp:use"]

    unscoped = key.mint(iss=ISSUER, aud=resource, sub="ada", scope="other")
    lacking = httpx.post(
        resource, json=INITIALIZE, headers={**headers, "authorization": f"Bearer {unscoped}"}
    )
    assert lacking.status_code == 403 and 'error="insufficient_scope"' in lacking.headers["www-authenticate"]
    elsewhere = key.mint(iss=ISSUER, aud="http://other.example/mcp", sub="ada", scope="mcp:use")
    wrong = httpx.post(resource, json=INITIALIZE, headers={**headers, "authorization": f"Bearer {elsewhere}"})
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_jwt_protected_proxy_serves_a_token(server_process: ServerPool, keys: Any, mode: str) -> None:
    key, jwks = keys
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    start(
        server_process,
        port,
        ["--auth-jwks-uri", jwks.url, "--auth-issuer", ISSUER, "--auth-audience", resource],
    )
    token = key.mint(iss=ISSUER, aud=resource, sub="ada", scope="mcp:use")
    async with MCPClient(entry(port, token), mode=mode, timeout=30) as client:
        session = client.get_session("p")
        assert session.server_info is not None and session.server_info.name == "mcp-use-proxy"
        assert (await session.call_tool("slow", {"seconds": 0})).content[0].text == "finished"
    bad = KeyPair().mint(iss=ISSUER, aud=resource, sub="eve")  # signed by a key the JWKS lacks
    with pytest.raises(ClientError, match="Unauthorized: unknown signing key"):
        async with MCPClient(entry(port, bad), mode=mode, timeout=30) as client:
            await client.get_session("p").call_tool("slow", {"seconds": 0})


async def test_introspection_protected_proxy(server_process: ServerPool) -> None:
    seen: list[str] = []

    def introspect(form: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        seen.append(headers.get("authorization", ""))
        if form.get("token") != "opaque-good":
            return 200, {"active": False}
        return 200, {"active": True, "sub": "ada", "aud": resource, "exp": int(time.time()) + 600}

    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    env = {"MCP_USE_INTROSPECTION_CLIENT_ID": "proxy", "MCP_USE_INTROSPECTION_CLIENT_SECRET": "s3cret"}
    with DocumentServer(post=introspect) as endpoint:
        options = ["--auth-introspection-url", endpoint.url + "/introspect", "--auth-issuer", ISSUER]
        start(server_process, port, [*options, "--auth-audience", resource], env)
        async with httpx.AsyncClient(timeout=30) as http:
            prm = (await http.get(f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp")).json()
            assert prm["authorization_servers"] == [ISSUER]
            async with MCPClient(entry(port, "opaque-good"), mode="auto", timeout=30) as client:
                result = await client.get_session("p").call_tool("slow", {"seconds": 0})
                assert result.content[0].text == "finished"
            refused = await http.post(
                resource, json=INITIALIZE, headers={"authorization": "Bearer opaque-bad"}
            )
        assert refused.status_code == 401
    assert seen and all(h == "Basic " + base64.b64encode(b"proxy:s3cret").decode() for h in seen)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--auth-issuer", ISSUER], {}, "need --auth-jwks-uri, --auth-public-key-file or --auth-introspection-url"),
        (["--auth-jwks-uri", "http://127.0.0.1:1/j", "--auth-introspection-url", "http://127.0.0.1:1/i"], {},
         "choose one way to verify tokens, not --auth-jwks-uri, --auth-introspection-url"),
        (["--auth-public-key-file", "/nonexistent.pem"], {}, "--auth-public-key-file: "),
        (["--auth-introspection-url", "http://127.0.0.1:1/i"], {"MCP_USE_INTROSPECTION_CLIENT_SECRET": "x"},
         "$MCP_USE_INTROSPECTION_CLIENT_SECRET is set but $MCP_USE_INTROSPECTION_CLIENT_ID is not"),
    ],
)  # fmt: skip
def test_auth_option_mistakes(args: list[str], env: dict[str, str], message: str) -> None:
    done = subprocess.run(
        [*PROXY, *args, "--", "cat"],
        env=build_env({**ENV, **env}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
