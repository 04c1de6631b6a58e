"""The inspector's proxy route: who may use it, what it forwards, how it streams.

Real processes: a debug server (the page's origin) and a second server on another
port that demands a bearer token and a custom header. The non-loopback-client case
runs the same app in process with a client address set, since no test may send
traffic to a non-loopback address.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import orjson
import pytest

from mcp_use import MCPServer
from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port

TARGET = Path(__file__).resolve().parent / "servers" / "inspector_target.py"
LEGACY = "2025-11-25"
ACCEPT = "application/json, text/event-stream"


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    port = free_port()
    cmd = [sys.executable, str(TARGET), str(port), "--name", "page-server"]
    logs = tmp_path_factory.mktemp("page")
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=logs, startup_timeout=40) as srv:
        yield srv


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    port = free_port()
    cmd = [sys.executable, str(TARGET), str(port), "--token", "s3cret", "--header", "X-Tenant:acme"]
    logs = tmp_path_factory.mktemp("guarded")
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=logs, startup_timeout=40) as srv:
        yield srv


def proxy_url(page: ServerProcess, target: str) -> str:
    return page.url("/inspector/proxy?url=" + quote(target, safe=""))


def initialize(rid: int = 1) -> bytes:
    params = {
        "protocolVersion": LEGACY,
        "capabilities": {"elicitation": {}},
        "clientInfo": {"name": "t", "version": "1"},
    }
    return orjson.dumps({"jsonrpc": "2.0", "id": rid, "method": "initialize", "params": params})


def same_origin(page: ServerProcess, **extra: str) -> dict[str, str]:
    return {"origin": page.base_url, "content-type": "application/json", "accept": ACCEPT, **extra}


def test_forwards_token_custom_headers_and_session(
    page_server: ServerProcess, guarded: ServerProcess
) -> None:
    url = proxy_url(page_server, guarded.url("/mcp"))
    with httpx.Client(timeout=10) as http:
        refused = http.post(url, content=initialize(), headers=same_origin(page_server))
        assert refused.status_code == 401 and refused.json()["error"]["message"] == "bad token"
        headers = same_origin(page_server, authorization="Bearer s3cret", **{"x-tenant": "acme"})
        opened = http.post(url, content=initialize(), headers={**headers, "cookie": "debug-server=secret"})
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        body = opened.text
        result = orjson.loads(body[body.index("{") :]) if "data:" not in body else _sse_result(body)
        assert result["result"]["serverInfo"]["name"] == "target-server"
        listed = http.post(
            url,
            content=b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}',
            headers={**headers, "mcp-session-id": session, "mcp-protocol-version": LEGACY},
        )
        assert listed.status_code == 200
        assert "ask_name" in listed.text


def _sse_result(body: str) -> dict:
    data = [line[5:].strip() for line in body.splitlines() if line.startswith("data:") and line[5:].strip()]
    return orjson.loads(data[-1])


def test_streams_sse_through_as_it_comes(page_server: ServerProcess, guarded: ServerProcess) -> None:
    """A server request arrives before the response: it must not wait for the end."""
    url = proxy_url(page_server, guarded.url("/mcp"))
    headers = same_origin(page_server, authorization="Bearer s3cret", **{"x-tenant": "acme"})
    with httpx.Client(timeout=15) as http:
        opened = http.post(url, content=initialize(), headers=headers)
        headers |= {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
        http.post(url, content=b'{"jsonrpc":"2.0","method":"notifications/initialized"}', headers=headers)
        call = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ask_name","arguments":{}}}'
        with http.stream("POST", url, content=call, headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            asked = None
            for line in lines:
                if line.startswith("data:") and line[5:].strip():  # not the empty priming event
                    asked = orjson.loads(line[5:])
                    if asked.get("method") == "elicitation/create":
                        break
            assert asked is not None and asked["method"] == "elicitation/create"
            answer = {
                "jsonrpc": "2.0",
                "id": asked["id"],
                "result": {"action": "accept", "content": {"name": "Ada"}},
            }
            posted = http.post(url, content=orjson.dumps(answer), headers=headers)
            assert posted.status_code == 202
            final = None
            for line in lines:
                if line.startswith("data:") and line[5:].strip():
                    msg = orjson.loads(line[5:])
                    if msg.get("id") == 7:
                        final = msg
                        break
        assert final is not None and "Hello, Ada" in final["result"]["content"][0]["text"]


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"origin": "http://evil.example"}, "serves only pages of"),
        ({"origin": None, "sec-fetch-site": "cross-site"}, "same-origin pages"),
        ({"origin": None}, "no Origin or Sec-Fetch-Site"),
        ({"host": "evil.example", "origin": "http://evil.example"}, "refuses Host"),
    ],
)
def test_refuses_other_pages_and_programs(
    page_server: ServerProcess, guarded: ServerProcess, extra: dict[str, str | None], why: str
) -> None:
    headers: dict[str, str] = same_origin(page_server)
    for key, value in extra.items():
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    response = httpx.post(proxy_url(page_server, guarded.url("/mcp")), content=initialize(), headers=headers)
    assert response.status_code == 403
    assert why in response.json()["error"]["message"]


def test_same_origin_get_without_origin_passes(page_server: ServerProcess) -> None:
    """A browser's same-origin GET carries Sec-Fetch-Site but no Origin."""
    target = page_server.url("/mcp")
    response = httpx.get(
        proxy_url(page_server, target),
        headers={"sec-fetch-site": "same-origin", "accept": "text/event-stream"},
    )
    assert response.status_code in (400, 405)  # the target's own answer: no session, or no GET stream
    assert response.headers.get("content-type", "").startswith("application/json")


def test_unreachable_target_and_bad_url(page_server: ServerProcess) -> None:
    dead = f"http://127.0.0.1:{free_port()}/mcp"
    response = httpx.post(
        proxy_url(page_server, dead), content=initialize(), headers=same_origin(page_server)
    )
    assert response.status_code == 502
    assert "cannot reach" in response.json()["error"]["message"]
    for bad in ("file:///etc/passwd", "not a url", ""):
        response = httpx.post(proxy_url(page_server, bad), content=b"{}", headers=same_origin(page_server))
        assert response.status_code == 400, bad
        assert "needs ?url=" in response.json()["error"]["message"]


async def post_to_proxy(server: MCPServer, client_ip: str) -> httpx.Response:
    """The app in process, as a request from `client_ip` (no traffic leaves loopback)."""
    transport = httpx.ASGITransport(app=server.app, client=(client_ip, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
        return await http.post(
            "/inspector/proxy?url=" + quote("http://127.0.0.1:1/mcp", safe=""),
            content=b"{}",
            headers={"origin": "http://localhost:8000"},
        )


async def test_refuses_clients_on_other_machines() -> None:
    response = await post_to_proxy(MCPServer("p", debug=True), "192.0.2.10")
    assert response.status_code == 403
    assert "loopback" in response.json()["error"]["message"]


async def test_never_at_debug_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """`DEBUG=0` in the environment wins over `debug=True`: no debug routes, no proxy."""
    monkeypatch.setenv("DEBUG", "0")
    server = MCPServer("p", debug=True)
    assert not server.debug
    assert (await post_to_proxy(server, "127.0.0.1")).status_code == 404
    transport = httpx.ASGITransport(app=server.app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
        page = await http.get("/inspector")
        assert page.status_code == 404 and "DEBUG=0" in page.json()["message"]
    monkeypatch.setenv("DEBUG", "1")
    assert "/inspector/proxy" in {getattr(r, "path", None) for r in MCPServer("q").app.routes}


def test_the_proxy_leaves_no_connection_open_at_exit(guarded: ServerProcess, tmp_path: Path) -> None:
    """aiohttp warns "Unclosed client session" at exit for a session left open."""
    port = free_port()
    cmd = [sys.executable, str(TARGET), str(port), "--name", "short-lived"]
    srv = ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40).start()
    try:
        url = proxy_url(srv, guarded.url("/mcp"))
        headers = same_origin(srv, authorization="Bearer s3cret", **{"x-tenant": "acme"})
        for _ in range(3):
            assert httpx.post(url, content=initialize(), headers=headers, timeout=10).status_code == 200
        assert srv.proc is not None
        srv.proc.send_signal(signal.SIGINT)  # Ctrl-C: Python runs its finalizers, which would warn
        srv.proc.wait(timeout=20)
    finally:
        srv.stop()
    log = srv.stderr_path.read_text()
    assert "stopped" in log and "Unclosed" not in log, log


# ---- the sign-in routes beside the proxy (browser flow: test_inspector_signin.py) ----
async def in_process(server: MCPServer, client_ip: str, method: str, path: str) -> httpx.Response:
    """The app in process, as a request from `client_ip` (no traffic leaves loopback)."""
    transport = httpx.ASGITransport(app=server.app, client=(client_ip, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
        return await http.request(method, path, headers={"origin": "http://localhost:8000"})


LOGIN = "/inspector/proxy/login?url=" + quote("http://127.0.0.1:1/mcp", safe="")
CALLBACK = "/inspector/proxy/oauth/callback?state=s&code=c"


async def test_sign_in_routes_refuse_other_machines_and_are_absent_at_debug_0(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = MCPServer("p", debug=True)
    for method, path in (("POST", LOGIN), ("GET", LOGIN), ("DELETE", LOGIN), ("GET", CALLBACK)):
        refused = await in_process(server, "192.0.2.10", method, path)
        assert refused.status_code == 403, (method, path)
        assert "this machine" in refused.text or "loopback" in refused.text
    monkeypatch.setenv("DEBUG", "0")
    hidden = MCPServer("p", debug=True)
    for method, path in (("POST", LOGIN), ("GET", CALLBACK)):
        assert (await in_process(hidden, "127.0.0.1", method, path)).status_code == 404


def test_a_bad_sign_in_timeout_setting_is_refused_at_start() -> None:
    from mcp_use.server.http.inspector_login import login_routes
    from mcp_use.server.http.security import HostGuard

    for bad in ("soon", "-1", "0"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("MCP_USE_INSPECTOR_SIGNIN_TIMEOUT", bad)
            with pytest.raises(ValueError, match="MCP_USE_INSPECTOR_SIGNIN_TIMEOUT"):
                login_routes("/proxy", HostGuard(True))
