"""Limits that keep one request from costing too much, and texts that stay short."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import orjson

from mcp_use import MCPServer
from mcp_use.server.runner import bound_address
from tests.helpers import REPO_ROOT

from .asgi import ACCEPT, MODERN_META, client, initialize, initialize_body, legacy_headers, post_scope


def _server(**options: Any) -> MCPServer:
    server = MCPServer("limits", **{"dns_rebinding_protection": False, **options})

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    return server


def _modern_headers(name: str = "add") -> dict[str, str]:
    return {
        "accept": ACCEPT,
        "content-type": "application/json",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
    }


def _call(request_id: Any = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": MODERN_META},
    }


async def test_oversized_headers_are_refused_with_431() -> None:
    async with client(_server()) as http:
        headers = {**_modern_headers(), **{f"x-pad-{i}": "v" * 1000 for i in range(40)}}
        response = await http.post("/mcp", headers=headers, json=_call())
        assert response.status_code == 431
        assert response.json()["error"]["message"].startswith("Request Header Fields Too Large")
        ok = await http.post("/mcp", headers=_modern_headers(), json=_call())
        assert ok.json()["result"]["structuredContent"] == {"result": 3}


async def test_a_long_session_id_is_refused_before_any_lookup() -> None:
    async with client(_server()) as http:
        session = await initialize(http)
        headers = {**legacy_headers(session), "mcp-session-id": "a" * 5000}
        response = await http.post(
            "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
        )
        assert response.status_code == 400
        assert "Mcp-Session-Id is longer than 128" in response.json()["error"]["message"]
        assert len(response.content) < 300


async def test_a_mismatched_header_is_not_echoed_back_whole() -> None:
    async with client(_server(max_header_bytes=4 * 1024 * 1024)) as http:
        headers = {**_modern_headers("x" * 1_000_000)}
        response = await http.post("/mcp", headers=headers, json=_call())
        assert response.status_code == 400
        message = response.json()["error"]["message"]
        assert message.startswith("Header mismatch: Mcp-Name header value 'xxx")
        assert len(message) < 600


async def test_a_body_that_does_not_arrive_gets_408() -> None:
    server = _server(body_timeout=0.3)
    sent: list[dict[str, Any]] = []
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b'{"jsonrpc": "2.0", ', "more_body": True}
        await asyncio.sleep(60)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = post_scope([])
    started = time.monotonic()
    await asyncio.wait_for(server.app(scope, receive, send), 10)
    assert time.monotonic() - started < 5
    assert sent[0]["status"] == 408
    assert (
        orjson.loads(sent[1]["body"])["error"]["message"]
        == "Request Timeout: the body did not arrive within 0.3s"
    )


async def test_integer_ids_beyond_64_bits_are_answered_exactly() -> None:
    big = 2**70 + 1
    async with client(_server()) as http:
        response = await http.post(
            "/mcp",
            headers=_modern_headers(),
            content=orjson.dumps(_call(0)).replace(b'"id":0', f'"id":{big}'.encode()),
        )
        assert f'"id":{big}'.encode() in response.content
        assert response.json()["result"]["structuredContent"] == {"result": 3}
        negative = -(2**80)
        body = orjson.dumps(_call(0)).replace(b'"id":0', f'"id":{negative}'.encode())
        response = await http.post("/mcp", headers=_modern_headers(), content=body)
        assert f'"id":{negative}'.encode() in response.content


async def test_an_https_origin_is_refused_on_an_http_loopback_server() -> None:
    async with client(_server(dns_rebinding_protection=True)) as http:
        for origin, status in [
            ("https://127.0.0.1", 403),
            ("https://localhost:8000", 403),
            ("http://127.0.0.1", 200),
            ("http://localhost:8000", 200),
            ("http://evil.example", 403),
        ]:
            response = await http.post("/mcp", headers={**_modern_headers(), "origin": origin}, json=_call())
            assert response.status_code == status, (origin, response.text)


def test_the_bound_address_is_logged_as_bound() -> None:
    assert bound_address("0.0.0.0", 8000, "/mcp") == (
        "http://0.0.0.0:8000/mcp (all interfaces; from this machine http://127.0.0.1:8000/mcp)"
    )
    assert bound_address("127.0.0.1", 9000, "/mcp") == "http://127.0.0.1:9000/mcp"
    assert bound_address("::1", 9000, "/sse") == "http://[::1]:9000/sse"


STDIO_SERVER = """
import asyncio
from mcp_use import MCPServer
server = MCPServer("eof")

@server.tool()
async def add(a: int, b: int) -> int:
    await asyncio.sleep(0.3)
    return a + b

server.run(transport="stdio")
"""


def test_stdio_answers_a_last_request_without_newline_at_eof(tmp_path: Any) -> None:
    script = tmp_path / "eof_server.py"
    script.write_text(STDIO_SERVER)
    init = initialize_body(1)
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 2, "b": 5}},
    }
    stdin = orjson.dumps(init) + b"\n" + orjson.dumps(call)  # no trailing newline
    done = subprocess.run(
        [sys.executable, str(script)],
        input=stdin,
        capture_output=True,
        timeout=30,
        cwd=REPO_ROOT,
        check=False,
    )
    answers = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [a["id"] for a in answers] == [1, 2], done.stderr.decode()[-2000:]
    assert answers[1]["result"]["structuredContent"] == {"result": 7}
    assert done.returncode == 0
