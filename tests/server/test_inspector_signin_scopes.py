"""Page sign-ins per RFC 8707 resource, and scope step-up after a page sign-in.

A real stack: `servers/protected_paths.py` serves two protected MCP endpoints on one
origin (`/a/mcp`, `/b/mcp`, each its own resource, each trusting its own instance of
the TypeScript SDK's demo authorization server, which checks the `resource` strictly and
grants the scopes asked for). The inspector is a second server's debug routes; the
sign-in's browser step is followed over HTTP, as the opened tab would (the demo server
approves at once). Every MCP request goes through the inspector's proxy.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port, node_tools
from tests.helpers.browser import screenshot, sign_in_in_page
from tests.helpers.messages import LEGACY, initialize_message
from tests.interop.conftest import server_env
from tests.server.test_inspector_signin import login_url, page_server, same_origin

SERVERS = Path(__file__).resolve().parent / "servers"
AUTH_SERVER = Path(__file__).resolve().parents[1] / "interop" / "servers" / "ts_auth_server.mjs"


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    node, logs = node_tools(), tmp_path_factory.mktemp("two-resources")
    sdk = str(node.package_dir("@modelcontextprotocol/sdk"))
    port, port_a, port_b = free_port(), free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{port}/a/mcp", f"http://127.0.0.1:{port}/b/mcp"
    auth_a, auth_b = f"http://localhost:{port_a}/", f"http://localhost:{port_b}/"

    def auth(url: str, mcp: str, p: int) -> ServerProcess:
        cmd = [str(node.node), str(AUTH_SERVER), sdk, url, mcp]
        return ServerProcess(cmd, port=p, env=node.env(), log_dir=logs, startup_timeout=40)

    mcp_cmd = [sys.executable, str(SERVERS / "protected_paths.py"), str(port), auth_a, auth_b]
    with (
        auth(auth_a, url_a, port_a),
        auth(auth_b, url_b, port_b),
        ServerProcess(mcp_cmd, port=port, env=server_env(), log_dir=logs, startup_timeout=40),
    ):
        yield url_a, url_b


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with page_server(tmp_path_factory.mktemp("scopes-page")) as srv:
        yield srv


def sign_in(srv: ServerProcess, url: str) -> list[str]:
    """Start a sign-in, follow its browser step to the callback; the scopes it asked for."""
    started = httpx.post(login_url(srv, url), headers=same_origin(srv), timeout=30)
    assert started.status_code == 200, started.text
    authorization_url = started.json()["authorizationUrl"]
    approved = httpx.get(authorization_url, follow_redirects=False, timeout=30)
    assert approved.status_code in (302, 303), approved.text
    landed = httpx.get(approved.headers["location"], timeout=30)
    assert landed.status_code == 200 and "You can close this tab" in landed.text, landed.text
    assert status(srv, url) == "signed-in"
    return parse_qs(urlsplit(authorization_url).query).get("scope", [""])[0].split()


def status(srv: ServerProcess, url: str) -> str:
    return str(httpx.get(login_url(srv, url), headers=same_origin(srv), timeout=30).json()["status"])


def body_of(answer: httpx.Response) -> dict[str, Any]:
    """A JSON-RPC answer, sent as JSON or as one SSE event."""
    if answer.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:] for line in answer.text.splitlines() if line.startswith("data:")]
        return dict(json.loads(data[-1]))
    return dict(answer.json())


def open_session(srv: ServerProcess, url: str) -> tuple[httpx.Response, dict[str, str]]:
    """initialize (and initialized) through the proxy: its answer, and the headers of the
    session it opened (empty when it was refused)."""
    proxy = srv.url("/inspector/proxy")
    headers = {
        **same_origin(srv),
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
    }
    opened = httpx.post(proxy, params={"url": url}, json=initialize_message(), headers=headers, timeout=30)
    if opened.status_code != 200:
        return opened, {}
    session = {**headers, "mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert httpx.post(proxy, params={"url": url}, json=note, headers=session, timeout=30).status_code == 202
    return opened, session


def call(srv: ServerProcess, url: str, tool: str) -> httpx.Response:
    """initialize, then tools/call `tool`, through the proxy; the call's HTTP answer (or the
    initialize's, when that one is refused)."""
    opened, session = open_session(srv, url)
    if not session:
        return opened
    proxy = srv.url("/inspector/proxy")
    request = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": {}}}
    return httpx.post(proxy, params={"url": url}, json=request, headers=session, timeout=30)


def text_of(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    result = body_of(answer)["result"]
    return str(result["content"][0]["text"])


def test_two_resources_on_one_origin_get_a_sign_in_each(
    endpoints: tuple[str, str], inspector: ServerProcess
) -> None:
    url_a, url_b = endpoints
    sign_in(inspector, url_a)
    assert text_of(call(inspector, url_a, "whoami")).startswith("endpoint-a mcp:read")

    # B is on the same origin but is another resource: no token of A's goes there. The
    # proxy passes B's own challenge through, and it names no error (no token was sent;
    # a token for A would get `invalid_token`).
    refused = call(inspector, url_b, "whoami")
    assert refused.status_code == 401, refused.text
    challenge = refused.headers["www-authenticate"]
    assert "resource_metadata=" in challenge and "error=" not in challenge, challenge
    assert status(inspector, url_b) == "signed-out"
    assert status(inspector, url_a) == "signed-in"

    sign_in(inspector, url_b)
    assert text_of(call(inspector, url_b, "whoami")).startswith("endpoint-b mcp:read")
    assert text_of(call(inspector, url_a, "whoami")).startswith("endpoint-a")  # A's sign-in is intact

    # signing out of A leaves B signed in
    httpx.delete(login_url(inspector, url_a), headers=same_origin(inspector))
    assert call(inspector, url_a, "whoami").status_code == 401
    assert text_of(call(inspector, url_b, "whoami")).startswith("endpoint-b")
    httpx.delete(login_url(inspector, url_b), headers=same_origin(inspector))


def test_a_tool_needing_another_scope_is_reached_by_signing_in_again(
    endpoints: tuple[str, str], inspector: ServerProcess
) -> None:
    """The sign-in asked for the challenge's `mcp:read`; `admin` needs `mcp:admin` too. The
    403 step-up needs the browser, so the proxy says "sign in" (data.signIn); the next
    sign-in asks for the union, and the call then succeeds: no loop of plain sign-ins."""
    url_a, _ = endpoints
    first = sign_in(inspector, url_a)
    assert "mcp:read" in first and "mcp:admin" not in first, first
    lacking = call(inspector, url_a, "admin")
    assert lacking.status_code == 401, lacking.text
    error = lacking.json()["error"]
    assert error["data"] == {"signIn": True}
    assert "needs scopes this sign-in lacks (mcp:admin" in error["message"], error
    assert status(inspector, url_a) == "signed-out"

    second = sign_in(inspector, url_a)
    assert {"mcp:read", "mcp:admin"} <= set(second), second
    assert text_of(call(inspector, url_a, "admin")) == "endpoint-a admin ok"
    assert "mcp:admin" in text_of(call(inspector, url_a, "whoami"))

    # signing out forgets the step-up too: a new sign-in starts from the challenge again
    httpx.delete(login_url(inspector, url_a), headers=same_origin(inspector))
    assert "mcp:admin" not in sign_in(inspector, url_a)
    httpx.delete(login_url(inspector, url_a), headers=same_origin(inspector))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sign_in_then_stop_leaves_no_unclosed_session(
    endpoints: tuple[str, str], tmp_path: Path, sig: signal.Signals
) -> None:
    """The sign-ins' shared aiohttp session is closed at shutdown: a debug server that
    signed in and proxied, then was stopped, says it closed it and aiohttp prints no
    "Unclosed client session" (nor "Unclosed connector"). A proxied event stream still
    open (the page's GET stream) ends at once, not after uvicorn's graceful bound. Ctrl-C
    exits 0; on SIGTERM uvicorn re-raises the signal once it has shut down cleanly (exit
    -15, by design)."""
    url_a, _ = endpoints
    srv = page_server(tmp_path).start()
    try:
        sign_in(srv, url_a)
        assert text_of(call(srv, url_a, "whoami")).startswith("endpoint-a")
        _, session = open_session(srv, url_a)
        listen = {**session, "accept": "text/event-stream"}
        proxy = srv.url("/inspector/proxy")
        with httpx.stream("GET", proxy, params={"url": url_a}, headers=listen, timeout=30) as stream:
            assert stream.status_code == 200 and next(stream.iter_raw())  # open, through the proxy
            assert srv.proc is not None
            began = time.monotonic()
            srv.proc.send_signal(sig)
            code = srv.proc.wait(timeout=30)
            took = time.monotonic() - began
    finally:
        srv.stop()
    log = srv.stderr_path.read_text()
    assert took < 4 and "graceful shutdown exceeded" not in log, (took, log)
    assert code == (0 if sig == signal.SIGINT else -signal.SIGTERM), log
    assert "signed in to" in log and "closed the sign-ins' HTTP session" in log, log
    assert "Unclosed" not in log and "Traceback" not in log, log


def test_page_sign_in_under_mcp_use_inspect_url(
    page: Any, endpoints: tuple[str, str], tmp_path: Path
) -> None:
    """`mcp-use inspect URL` as a user types it: the page gets the 401, offers "Sign in",
    the tab lands on the inspect app's own callback, and the tool call goes through; at
    SIGTERM the command closes the sign-ins' session, with no aiohttp warning."""
    url_a, _ = endpoints
    port = free_port()
    cmd = [sys.executable, "-m", "mcp_use.cli", "inspect", "--port", str(port), "--log-level", "info", url_a]
    srv = ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40).start()
    try:
        page.goto(srv.url("/?era=legacy"))
        page.wait_for_selector("#sign-in", timeout=30000)
        screenshot(page, "inspect-url-signin-needed.png")
        assert sign_in_in_page(page).startswith(srv.url("/proxy/oauth/callback?"))
        page.wait_for_selector("#status[data-state=ok]", timeout=30000)
        page.click("button.item[data-name=whoami]")
        page.click("#call-tool")
        page.wait_for_selector("#result .result-head")
        assert "endpoint-a mcp:read" in page.inner_text("#result")
        screenshot(page, "inspect-url-signed-in.png")
        assert srv.proc is not None
        srv.proc.send_signal(signal.SIGTERM)
        code = srv.proc.wait(timeout=30)
    finally:
        srv.stop()
    log = srv.stderr_path.read_text()
    assert code in (0, -signal.SIGTERM) and "closed the sign-ins' HTTP session" in log, log
    assert "Unclosed" not in log and "Traceback" not in log, log


def test_a_call_refused_mid_session_offers_sign_in_there_and_runs_again(
    page: Any, endpoints: tuple[str, str], inspector: ServerProcess
) -> None:
    """In the page: signed in with the challenge's scope, the `admin` call is refused
    (the step-up needs the browser: data.signIn). Its result panel offers "Sign in"; after
    the sign-in the same call runs again by itself, with no reconnect by hand (the new
    token's session is re-opened by the page's client), and succeeds."""
    url_a, _ = endpoints
    page.goto(inspector.url(f"/inspector?era=legacy&url={quote(url_a, safe='')}"))
    page.wait_for_selector("#sign-in", timeout=30000)
    sign_in_in_page(page)
    page.wait_for_selector("#status[data-state=ok]", timeout=30000)

    page.click("button.item[data-name=admin]")
    page.click("#call-tool")
    page.wait_for_selector("#result #sign-in", timeout=30000)
    assert "mcp:admin" in page.inner_text("#result")
    screenshot(page, "inspector-signin-mid-call-needed.png")
    sign_in_in_page(page, "#result #sign-in")
    page.wait_for_selector("#result .result-head", timeout=30000)
    assert "endpoint-a admin ok" in page.inner_text("#result")
    page.wait_for_selector("#status[data-state=ok]", timeout=30000)
    page.wait_for_selector("#sign-out", timeout=30000)  # the redrawn header still offers it
    assert page.inner_text("#result").count("mcp:admin") == 0  # the old error is gone
    events = page.inner_text("#events")
    assert "Signed in anew: opening a session for the new token" in events
    assert "restarted?" not in events  # nothing was restarted: the new token has its own session
    screenshot(page, "inspector-signin-mid-call-rerun.png")
    httpx.delete(login_url(inspector, url_a), headers=same_origin(inspector))


@pytest.fixture
def greedy() -> Iterator[str]:
    """A protected server (tests/client/auth/rig.py: discovery, registration, an
    authorization server approving at once) that answers every signed request 403
    `insufficient_scope`, however many scopes the token was asked with: no sign-in can
    satisfy it. Served from a thread, as the debug server is another process."""
    from aiohttp import web

    from tests.client.auth.rig import Rig

    rig = Rig()

    async def mcp(request: web.Request) -> web.StreamResponse:
        if "authorization" not in request.headers:
            return await Rig.mcp(rig, request)
        challenge = (
            'Bearer error="insufficient_scope", scope="mcp:read mcp:admin", '
            f'resource_metadata="{rig.base}/.well-known/oauth-protected-resource/mcp"'
        )
        return web.json_response(
            {"error": "insufficient_scope"}, status=403, headers={"WWW-Authenticate": challenge}
        )

    rig.handlers["/mcp"] = mcp
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(rig.start(), loop).result(10)
    try:
        yield rig.url
    finally:
        asyncio.run_coroutine_threadsafe(rig.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def test_step_up_sign_ins_are_bounded(greedy: str, inspector: ServerProcess) -> None:
    """A server that keeps refusing for scopes gets the first sign-in and at most
    MAX_SCOPE_SIGN_INS step-up sign-ins; then the proxy says so and stops offering another
    (no data.signIn), until Sign out starts afresh."""
    from mcp_use.server.http.inspector_login import MAX_SCOPE_SIGN_INS

    proxy = inspector.url("/inspector/proxy")
    headers = {**same_origin(inspector), "content-type": "application/json", "accept": "application/json"}
    ping = b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}'

    def send() -> dict[str, Any]:
        answer = httpx.post(proxy, params={"url": greedy}, content=ping, headers=headers, timeout=30)
        assert answer.status_code == 401, answer.text
        return dict(answer.json()["error"])

    asked = [sign_in(inspector, greedy)]
    offered = send()
    assert offered.get("data") == {"signIn": True} and "lacks (mcp:read mcp:admin" in offered["message"], (
        offered
    )
    for _ in range(MAX_SCOPE_SIGN_INS - 1):
        asked.append(sign_in(inspector, greedy))
        again = send()
        assert again.get("data") == {"signIn": True} and "still refuses the token" in again["message"], again
    asked.append(sign_in(inspector, greedy))
    final = send()
    assert "data" not in final and "stops asking" in final["message"], final
    assert len(asked) == 1 + MAX_SCOPE_SIGN_INS
    assert all({"mcp:read", "mcp:admin"} <= set(a) for a in asked[1:]), asked
    # a later sign-in (by hand) is refused at once for scopes, with no new offer either
    sign_in(inspector, greedy)
    assert "data" not in send()
    httpx.delete(login_url(inspector, greedy), headers=same_origin(inspector))
    sign_in(inspector, greedy)  # after Sign out: the first sign-in again, and an offer
    assert send().get("data") == {"signIn": True}
    httpx.delete(login_url(inspector, greedy), headers=same_origin(inspector))
