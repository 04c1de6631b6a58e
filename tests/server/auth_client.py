"""Helpers for the authorization tests: raw HTTP on both eras, and the protected test server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from tests.helpers import ServerProcess, build_env, free_port, python_cmd
from tests.helpers.messages import initialize_message
from tests.helpers.oauth import JWKS, KeyPair

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
}


def bearer(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token is not None else {}


def post(url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        url,
        content=orjson.dumps(body),
        headers={"content-type": "application/json", "accept": ACCEPT, **(headers or {})},
        timeout=10.0,
        verify=not url.startswith("https://"),  # https here is nginx with a self-signed certificate
    )


def initialize(url: str, token: str | None) -> httpx.Response:
    return post(url, initialize_message(LEGACY), bearer(token))


def open_session(url: str, token: str) -> str:
    response = initialize(url, token)
    assert response.status_code == 200, response.text
    session = response.headers["mcp-session-id"]
    notified = post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, _session(session, token))
    assert notified.status_code == 202
    return session


def _session(session: str, token: str | None) -> dict[str, str]:
    return {"mcp-session-id": session, "mcp-protocol-version": LEGACY, **bearer(token)}


def legacy(url: str, session: str, token: str | None, method: str, params: dict[str, Any]) -> httpx.Response:
    return post(
        url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, _session(session, token)
    )


def modern_message(
    method: str, params: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A 2026-07-28 request and the headers that must mirror it (no Authorization)."""
    params = {**(params or {}), "_meta": META}
    headers = {"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": method}
    name = params.get("name") or params.get("uri")
    if name is not None:
        headers["mcp-name"] = name
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, headers


def modern(url: str, token: str | None, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
    body, headers = modern_message(method, params)
    return post(url, body, {**headers, **bearer(token)})


def result(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert "result" in body, body
    return body["result"]


def challenge(response: httpx.Response) -> dict[str, str]:
    """The `WWW-Authenticate: Bearer k="v", ...` parameters."""
    value = response.headers["www-authenticate"]
    scheme, _, rest = value.partition(" ")
    assert scheme == "Bearer", value
    params = {}
    for part in rest.split('", '):
        key, _, raw = part.partition("=")
        params[key.strip()] = raw.strip().strip('"')
    return params


# ---- the protected test server (tests/server/servers/auth_server.py) ------------------
ISSUER = "https://issuer.test"
KEY = KeyPair()


class Protected:
    """A running protected server and tokens for it (signed with `KEY`, served in the JWKS)."""

    def __init__(self, server: ServerProcess, resource: str | None = None) -> None:
        self.server = server
        self.url = server.url("/mcp")
        self.resource = resource or self.url
        parts = urlsplit(self.resource)  # RFC 9728: the well-known path goes before the resource's
        self.metadata = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"

    def token(self, sub: str = "alice", scope: str = "mcp:use", key: KeyPair = KEY, **claims: object) -> str:
        claims.setdefault("aud", self.resource)
        claims.setdefault("iss", ISSUER)
        return key.mint(sub=sub, scope=scope, client_id="client-1", **claims)


@contextlib.contextmanager
def start_protected(jwks: JWKS, log_dir: Path, transport: str, *extra: str) -> Iterator[Protected]:
    """The protected test server; `extra`: `--resource URL`, `--redis URL`."""
    port = free_port()
    args = ["--port", port, "--jwks", jwks.url, "--transport", transport, *extra]
    resource = extra[extra.index("--resource") + 1] if "--resource" in extra else None
    with ServerProcess(
        python_cmd("tests/server/servers/auth_server.py", *args),
        port=port,
        env=build_env({"PYTHONPATH": "src"}),
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200,
        log_dir=log_dir,
    ) as srv:
        yield Protected(srv, resource)
        assert srv.is_running(), srv.describe()


def refused(response: httpx.Response, status: int, reason: str, protected: Protected) -> dict[str, str]:
    """Assert a refusal: status, challenge with resource_metadata, JSON-RPC body with the reason."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["jsonrpc"] == "2.0" and reason in body["error"]["message"], body
    params = challenge(response)
    assert params["resource_metadata"] == protected.metadata
    return params
