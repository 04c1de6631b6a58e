"""Bad input gets a clear JSON-RPC error (or an HTTP 4xx with a JSON-RPC error body) and
never wedges the server: raw Streamable HTTP with httpx against a real uvicorn process,
and raw newline-delimited JSON on a real stdio process. No client library in between.

Server: tests/server/servers/bad_input_server.py (``max_body_size=4096``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import ServerProcess
from tests.helpers.messages import initialize_message

from .conftest import ACCEPT, LEGACY, MODERN, MODERN_META, StdioPeer
from .servers.bad_input_server import MAX_BODY

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

JSON_HEADERS = {"accept": ACCEPT, "content-type": "application/json"}


# --------------------------------------------------------------------------- helpers
def post(url: str, body: bytes | Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else httpx.Request("POST", url, json=body).content
    return httpx.post(url, content=content, headers={**JSON_HEADERS, **(headers or {})}, timeout=15.0)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC error in a response body (which must be JSON)."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0", body
    assert "result" not in body, body
    return body["error"]


def result_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "error" not in body, body
    return body["result"]


def initialize(url: str) -> dict[str, str]:
    """Open a legacy session; returns the headers later requests carry."""
    response = post(
        url,
        initialize_message(LEGACY, name="raw-httpx"),
    )
    assert result_of(response)["protocolVersion"] == LEGACY
    headers = {"mcp-session-id": response.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
    assert post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers).status_code == 202
    return headers


def modern(method: str, params: dict[str, Any] | None = None, id: int = 1) -> tuple[dict[str, Any], dict]:
    """A 2026-07-28 request body and its headers."""
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": {**(params or {}), "_meta": MODERN_META}}
    headers = {"mcp-protocol-version": MODERN, "mcp-method": method}
    if method == "tools/call":
        headers["mcp-name"] = body["params"]["name"]
    return body, headers


def call(name: str, arguments: dict[str, Any], id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


@pytest.fixture
def url(bad_input_http: ServerProcess) -> str:
    return bad_input_http.url("/mcp")


@pytest.fixture
def session(url: str) -> dict[str, str]:
    return initialize(url)


# ------------------------------------------------------------------ HTTP: envelopes
def test_http_malformed_json_is_parse_error(url: str) -> None:
    response = post(url, b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == PARSE_ERROR
    assert "Parse error" in error["message"]


def test_http_malformed_json_in_a_session_is_parse_error(url: str, session: dict[str, str]) -> None:
    response = post(url, b"{not json", session)
    assert response.status_code == 400
    assert error_of(response)["code"] == PARSE_ERROR


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"42", "must be a JSON object"),
        (b'"tools/list"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', '"jsonrpc" must be "2.0"'),
        (b'{"id": 1, "method": "tools/list"}', '"jsonrpc" must be "2.0"'),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 7}', '"method" must be a string'),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [1]}', '"params" must be an object'),
        (b'{"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}', '"id" must be a string or an integer'),
        (b'{"jsonrpc": "2.0", "id": 1}', 'missing "method"'),
    ],
)
def test_http_invalid_envelope_is_invalid_request(
    url: str, session: dict[str, str], body: bytes, why: str
) -> None:
    response = post(url, body, session)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert why in error["message"]


def test_http_batch_is_invalid_request(url: str, session: dict[str, str]) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 2, "method": "ping"},
    ]
    response = post(url, batch, session)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert "batch" in error["message"].lower()


def test_http_empty_batch_is_invalid_request(url: str) -> None:
    response = post(url, b"[]")
    assert response.status_code == 400
    assert error_of(response)["code"] == INVALID_REQUEST


def test_http_wrong_content_type_is_415(url: str) -> None:
    response = httpx.post(url, content=b"{}", headers={"accept": ACCEPT, "content-type": "text/plain"})
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert "Content-Type" in error["message"]


def test_http_body_over_limit_is_413(url: str, session: dict[str, str]) -> None:
    padding = "x" * (MAX_BODY + 1)
    response = post(url, call("add", {"a": 1, "b": 2, "pad": padding}), session)
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert str(MAX_BODY) in error["message"]
    # Just under the limit is served.
    ok = post(url, call("add", {"a": 1, "b": 2, "pad": "x" * 100}, id=2), session)
    assert result_of(ok)["structuredContent"] == {"result": 3}


def test_http_body_over_limit_without_content_length_is_413(url: str) -> None:
    """A chunked body (no Content-Length) is counted as it arrives."""

    def chunks():
        yield b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "'
        for _ in range(MAX_BODY // 512 + 2):
            yield b"y" * 512
        yield b'"}}'

    response = httpx.post(url, content=chunks(), headers=JSON_HEADERS, timeout=15.0)
    assert response.status_code == 413
    assert error_of(response)["code"] == INVALID_REQUEST


# ---------------------------------------------------------------- HTTP: legacy era
def test_http_legacy_unknown_method_is_jsonrpc_error(url: str, session: dict[str, str]) -> None:
    response = post(url, {"jsonrpc": "2.0", "id": 9, "method": "tools/teleport"}, session)
    assert response.status_code == 200  # a JSON-RPC error, not a transport refusal
    body = response.json()
    assert body["id"] == 9
    assert body["error"]["code"] == METHOD_NOT_FOUND
    assert "tools/teleport" in body["error"]["message"]


def test_http_legacy_request_before_initialize_is_400(url: str) -> None:
    response = post(url, {"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert "Mcp-Session-Id" in error["message"] and "initialize" in error["message"]


def test_http_unknown_session_is_404(url: str) -> None:
    headers = {"mcp-session-id": "0123456789abcdef0123456789abcdef", "mcp-protocol-version": LEGACY}
    response = post(url, {"jsonrpc": "2.0", "id": 4, "method": "tools/list"}, headers)
    assert response.status_code == 404
    error = error_of(response)
    assert "Session not found" in error["message"]
    assert response.json()["id"] == 4


def test_http_deleted_session_is_404(url: str) -> None:
    headers = initialize(url)
    assert httpx.delete(url, headers=headers, timeout=15.0).status_code == 200
    response = post(url, {"jsonrpc": "2.0", "id": 5, "method": "tools/list"}, headers)
    assert response.status_code == 404
    assert "Session not found" in error_of(response)["message"]


def test_http_second_initialize_in_a_session_is_refused(url: str, session: dict[str, str]) -> None:
    again = {
        "jsonrpc": "2.0",
        "id": 6,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "x", "version": "1"},
        },
    }
    response = post(url, again, session)
    assert response.status_code == 400
    assert "already initialized" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("arguments", "field", "why"),
    [
        ({"a": 1}, "b", "Field required"),
        ({}, "a", "Field required"),
        ({"a": "one", "b": 2}, "a", "integer"),
        ({"point": {"x": 1}}, "point.y", "Field required"),
        ({"point": {"x": 1, "y": "up"}, "by": 2}, "point.y", "integer"),
    ],
)
def test_http_legacy_wrong_arguments_name_the_field(
    url: str, session: dict[str, str], arguments: dict[str, Any], field: str, why: str
) -> None:
    tool = "shift" if "point" in arguments else "add"
    result = result_of(post(url, call(tool, arguments), session))
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert f"{field}:" in text and why in text, text
    assert tool in text


def test_http_legacy_tool_that_raises_is_an_error_result_and_server_keeps_serving(
    url: str, session: dict[str, str]
) -> None:
    result = result_of(post(url, call("explode", {"message": "gremlins"}), session))
    assert result["isError"] is True
    # Masked by default (mask_errors=None, DEBUG unset): the detail stays in the server log.
    assert result["content"][0]["text"] == "Error executing tool explode"
    # Same session, next call: served normally.
    again = result_of(post(url, call("add", {"a": 20, "b": 22}, id=2), session))
    assert again["isError"] is False
    assert again["structuredContent"] == {"result": 42}


def test_http_legacy_unknown_tool_is_invalid_params(url: str, session: dict[str, str]) -> None:
    response = post(url, call("no_such_tool", {}), session)
    assert response.status_code == 200
    error = response.json()["error"]
    assert error["code"] == INVALID_PARAMS
    assert "no_such_tool" in error["message"]


# ---------------------------------------------------------------- HTTP: modern era
def test_http_modern_unknown_method_is_404(url: str) -> None:
    body, headers = modern("tools/teleport")
    response = post(url, body, headers)
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == METHOD_NOT_FOUND
    assert "tools/teleport" in error["message"]


def test_http_modern_request_missing_meta_is_400(url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = post(url, body, {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == INVALID_PARAMS
    assert "_meta" in error["message"]


def test_http_modern_request_missing_capabilities_is_400(url: str) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/list",
        "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}},
    }
    response = post(url, body, {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == INVALID_PARAMS
    assert "clientCapabilities" in error["message"]


def test_http_modern_wrong_arguments_name_the_field(url: str) -> None:
    body, headers = modern("tools/call", {"name": "shift", "arguments": {"point": {"x": 1}}})
    result = result_of(post(url, body, headers))
    assert result["isError"] is True
    assert "point.y: Field required" in result["content"][0]["text"]


def test_http_modern_tool_that_raises_then_next_call_works(url: str) -> None:
    body, headers = modern("tools/call", {"name": "explode", "arguments": {"message": "modern boom"}})
    result = result_of(post(url, body, headers))
    assert result["isError"] is True
    assert result["content"][0]["text"] == "Error executing tool explode"  # "modern boom" masked
    body, headers = modern("tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}}, id=2)
    assert result_of(post(url, body, headers))["structuredContent"] == {"result": 5}


# --------------------------------------------------------------- HTTP: DNS rebinding
def test_http_foreign_host_is_rejected(url: str) -> None:
    response = post(url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, {"host": "evil.example.com"})
    assert 400 <= response.status_code < 500
    assert response.status_code == 421
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert "Host" in error["message"] and "evil.example.com" in error["message"]


def test_http_foreign_origin_is_rejected(url: str, session: dict[str, str]) -> None:
    response = post(url, call("add", {"a": 1, "b": 1}), {**session, "origin": "http://evil.example.com"})
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == INVALID_REQUEST
    assert "Origin" in error["message"] and "evil.example.com" in error["message"]


def test_http_local_origin_is_accepted(url: str, session: dict[str, str]) -> None:
    port = httpx.URL(url).port
    headers = {**session, "origin": f"http://localhost:{port}", "host": f"localhost:{port}"}
    assert result_of(post(url, call("add", {"a": 1, "b": 1}), headers))["structuredContent"] == {"result": 2}


# ------------------------------------------------------------------------- stdio
def test_stdio_malformed_json_is_parse_error(stdio_peer: StdioPeer) -> None:
    stdio_peer.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": ')
    message = stdio_peer.read()
    assert message["error"]["code"] == PARSE_ERROR
    assert message.get("id") is None
    # The stream stays usable.
    assert stdio_peer.initialize()["result"]["serverInfo"]["name"] == "bad-input-server"


@pytest.mark.parametrize(
    "line",
    [b"42", b'"text"', b'{"jsonrpc": "1.0", "id": 1, "method": "ping"}', b'{"jsonrpc": "2.0", "method": 3}'],
)
def test_stdio_invalid_envelope_is_invalid_request(stdio_peer: StdioPeer, line: bytes) -> None:
    stdio_peer.send_raw(line)
    assert stdio_peer.read()["error"]["code"] == INVALID_REQUEST


def test_stdio_batch_is_invalid_request(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    stdio_peer.send([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])
    message = stdio_peer.read()
    assert message["error"]["code"] == INVALID_REQUEST
    assert "batch" in message["error"]["message"].lower()


def test_stdio_request_before_initialize_is_an_error(stdio_peer: StdioPeer) -> None:
    message = stdio_peer.ask({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert message["id"] == 1
    assert message["error"]["code"] == INVALID_REQUEST
    assert "initialize" in message["error"]["message"]


def test_stdio_unknown_method_is_method_not_found(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    message = stdio_peer.ask({"jsonrpc": "2.0", "id": 2, "method": "tools/teleport"})
    assert message["id"] == 2
    assert message["error"]["code"] == METHOD_NOT_FOUND


def test_stdio_wrong_arguments_name_the_field(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    message = stdio_peer.ask(call("add", {"a": 1}, id=3))
    assert message["id"] == 3
    assert message["result"]["isError"] is True
    assert "b: Field required" in message["result"]["content"][0]["text"]


def test_stdio_tool_that_raises_then_next_call_works(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    failed = stdio_peer.ask(call("explode", {"message": "stdio boom"}, id=4))
    assert failed["result"]["isError"] is True
    assert failed["result"]["content"][0]["text"] == "Error executing tool explode"  # masked
    ok = stdio_peer.ask(call("add", {"a": 4, "b": 5}, id=5))
    assert ok["id"] == 5
    assert ok["result"]["structuredContent"] == {"result": 9}


def test_stdio_line_over_limit_is_refused_and_stream_survives(stdio_peer: StdioPeer) -> None:
    """An over-limit line gets one error; the message right behind it is still served."""
    stdio_peer.initialize()
    stdio_peer.send(call("add", {"a": 1, "b": 2, "pad": "z" * (MAX_BODY * 2)}, id=6))
    stdio_peer.send(call("add", {"a": 1, "b": 2}, id=7))
    refused = stdio_peer.read()
    assert refused["error"]["code"] == INVALID_REQUEST
    assert str(MAX_BODY) in refused["error"]["message"]
    served = stdio_peer.read(timeout=5.0)
    assert served["id"] == 7 and served["result"]["structuredContent"] == {"result": 3}


def test_stdio_modern_request_missing_capabilities_is_invalid_params(stdio_peer: StdioPeer) -> None:
    message = stdio_peer.ask(
        {
            "jsonrpc": "2.0",
            "id": 8,
            "method": "tools/list",
            "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}},
        }
    )
    assert message["id"] == 8
    assert message["error"]["code"] == INVALID_PARAMS
    assert "clientCapabilities" in message["error"]["message"]


def test_stdio_modern_unknown_method_is_method_not_found(stdio_peer: StdioPeer) -> None:
    message = stdio_peer.ask(
        {"jsonrpc": "2.0", "id": 9, "method": "tools/teleport", "params": {"_meta": MODERN_META}}
    )
    assert message["id"] == 9
    assert message["error"]["code"] == METHOD_NOT_FOUND
