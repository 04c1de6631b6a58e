"""Secure defaults around authorization: the open-server warning, and `ctx.access_token`
being None on an unprotected server."""

from __future__ import annotations

import sys

import httpx
import pytest

from mcp_use import MCPServer
from tests.helpers import ServerProcess, build_env, free_port
from tests.helpers.oauth import KeyPair

from .auth_client import modern, result

SCRIPT = """
import sys
from mcp_use import Context, MCPServer
from mcp_use.auth import JWTVerifier
auth = None
if sys.argv[2] == "auth":
    auth = JWTVerifier(secret="s" * 32, audience="http://x/mcp")
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
    [("none", "0.0.0.0", True), ("auth", "0.0.0.0", False), ("none", "127.0.0.1", False)],
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
