"""Raw HTTP helpers for the authorization tests: both eras, with a bearer token or none."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

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
    )


def initialize(url: str, token: str | None) -> httpx.Response:
    return post(
        url,
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        bearer(token),
    )


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


def modern(url: str, token: str | None, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
    params = {**(params or {}), "_meta": META}
    headers = {"mcp-protocol-version": MODERN, "mcp-method": method, **bearer(token)}
    name = params.get("name") or params.get("uri")
    if name is not None:
        headers["mcp-name"] = name
    return post(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, headers)


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
