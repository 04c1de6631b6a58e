"""A protected server behind nginx running examples/deploy/nginx.conf (TLS at the proxy).

The server is told its public URL (`resource_url`): tokens are minted for it, the
`WWW-Authenticate` challenge and the metadata document name it, and the metadata is
reachable through the proxy at the URL the challenge gives.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, free_port
from tests.helpers.oauth import JWKS

from .auth_client import KEY, Protected, challenge, modern, open_session, post, result, start_protected
from .test_load_balancing import deploy_conf, self_signed


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Protected, str]]:
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx_bin).exists(), "nginx is not installed (apt-get install nginx)"
    tmp = tmp_path_factory.mktemp("auth-nginx")
    https_port, http_port = free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}/mcp"
    self_signed(tmp)
    with JWKS(KEY) as jwks, start_protected(jwks, tmp, "http", "--resource", public) as server:
        conf = tmp / "nginx.conf"
        conf.write_text(deploy_conf(tmp, [server.server.port] * 3, https_port, http_port))
        daemon = f"daemon off; pid {tmp}/nginx.pid;" + (" user root;" if os.geteuid() == 0 else "")
        with ServerProcess(
            [nginx_bin, "-p", str(tmp), "-c", str(conf), "-g", daemon],
            port=https_port,
            log_dir=tmp,
            name="nginx",
        ):
            yield server, public


def test_challenge_and_metadata_name_the_public_url(behind_nginx: tuple[Protected, str]) -> None:
    _, public = behind_nginx
    with httpx.Client(verify=False, timeout=10) as http:
        response = http.post(public, json={}, headers={"accept": "application/json, text/event-stream"})
        assert response.status_code == 401
        metadata_url = challenge(response)["resource_metadata"]
        assert metadata_url == public.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
        document = http.get(metadata_url).json()
    assert document["resource"] == public
    assert document["authorization_servers"] == ["https://issuer.test"]


def test_calls_with_a_token_for_the_public_url(behind_nginx: tuple[Protected, str]) -> None:
    server, public = behind_nginx
    token = server.token(sub="erin")
    called = result(modern(public, token, "tools/call", {"name": "whoami", "arguments": {}}))
    assert called["structuredContent"]["subject"] == "erin"
    session = open_session(public, token)
    listed = post(
        public,
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"mcp-session-id": session, "authorization": f"Bearer {token}"},
    )
    assert {t["name"] for t in result(listed)["tools"]} >= {"whoami", "reset"}
