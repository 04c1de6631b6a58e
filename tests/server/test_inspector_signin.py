"""Sign in from the inspector page to a protected server on another origin.

A real stack (tests/interop/test_sdk_oauth.py `stack`): our protected server verifying
tokens by introspection at the TypeScript SDK's demo authorization server, which
approves at once. The page is the inspector of a second server (another port), in
Debian chromium: typing the protected URL gets a 401 and a "Sign in" button; the
click opens the authorization page in a new tab, whose redirect lands on the debug
server's callback; the page then lists and calls tools through the proxy, which holds
the token. Bad input: a sign-in asked for by another origin's page, a callback with a
wrong or missing state, a callback that never comes (bounded).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port
from tests.helpers.browser import screenshot, sign_in_in_page
from tests.interop.test_sdk_oauth import stack  # noqa: F401  (the shared fixture)

TARGET = Path(__file__).resolve().parent / "servers" / "inspector_target.py"
ERAS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
TIMEOUT_ENV = "MCP_USE_INSPECTOR_SIGNIN_TIMEOUT"


def page_server(tmp_path: Path, **env: str) -> ServerProcess:
    port = free_port()
    cmd = [sys.executable, str(TARGET), str(port), "--name", "page-server"]
    return ServerProcess(cmd, port=port, env=example_env(**env), log_dir=tmp_path, startup_timeout=40)


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with page_server(tmp_path_factory.mktemp("signin-page")) as srv:
        yield srv


def login_url(srv: ServerProcess, target: str) -> str:
    return srv.url("/inspector/proxy/login?url=" + quote(target, safe=""))


def same_origin(srv: ServerProcess) -> dict[str, str]:
    return {"origin": srv.base_url}


@pytest.mark.parametrize("era", list(ERAS))
def test_sign_in_from_the_page_then_list_and_call(
    page: Any,
    stack: tuple[ServerProcess, str],  # noqa: F811
    inspector: ServerProcess,
    era: str,
) -> None:
    _, url = stack
    bodies: list[bytes] = []  # every answer the page (and the tab it opens) received

    def keep(response: Any) -> None:
        try:
            bodies.append(response.body())
        except Exception:  # a stream still open, or a redirect: no body to read
            pass

    page.context.on("response", keep)
    page.goto(inspector.url(f"/inspector?era={era}&url={quote(url, safe='')}"))
    page.wait_for_selector("#status[data-state=error]", timeout=30000)
    assert "sign in" in page.inner_text("#detail").lower()
    screenshot(page, f"inspector-signin-needed-{era}.png")

    with page.context.expect_page() as opened:
        page.click("#sign-in")
    tab = opened.value
    tab.wait_for_load_state()
    tab.wait_for_selector("#outcome", timeout=30000)
    assert "You can close this tab" in tab.inner_text("#outcome"), tab.content()
    assert tab.url.startswith(inspector.url("/inspector/proxy/oauth/callback?"))
    screenshot(tab, f"inspector-signin-callback-{era}.png")
    tab.close()

    page.wait_for_selector("#status[data-state=ok]", timeout=30000)
    assert ERAS[era] in page.inner_text("#protocol")
    assert page.is_visible("#sign-out")
    page.click("button.item[data-name=add]")
    page.fill("[name=a]", "2")
    page.fill("[name=b]", "40")
    page.click("#call-tool")
    page.wait_for_selector("#result .result-head")
    assert '"result": 42' in page.inner_text("#result")
    screenshot(page, f"inspector-signin-done-{era}.png")

    # The token stays on the debug server: not in the page, not in its storage.
    stored = page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert "access_token" not in stored and "token" not in stored.lower()
    assert bodies and not [b for b in bodies if b"access_token" in b or b"refresh_token" in b]

    # Sign out: the proxy stops signing, the server answers 401 again, "Sign in" is back.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in", timeout=30000)
    status = httpx.get(login_url(inspector, url), headers=same_origin(inspector)).json()
    assert status["status"] == "signed-out"


def test_the_token_goes_only_to_the_signed_in_origin(
    page: Any,
    stack: tuple[ServerProcess, str],  # noqa: F811
    inspector: ServerProcess,
) -> None:
    """Signed in to 127.0.0.1:P, the same server under localhost:P is another origin: the
    proxy sends it no token, so it still answers 401."""
    _, url = stack
    page.goto(inspector.url(f"/inspector?url={quote(url, safe='')}"))
    page.wait_for_selector("#sign-in", timeout=30000)
    sign_in_in_page(page)
    page.wait_for_selector("#status[data-state=ok]", timeout=30000)

    ping = b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}'
    headers = {
        **same_origin(inspector),
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
    }
    proxy = inspector.url("/inspector/proxy")
    elsewhere = url.replace("127.0.0.1", "localhost")
    assert httpx.post(proxy, params={"url": elsewhere}, content=ping, headers=headers).status_code == 401
    signed = httpx.post(proxy, params={"url": url}, content=ping, headers=headers)
    assert signed.status_code == 400 and "Mcp-Session-Id" in signed.text, signed.text  # past auth
    httpx.delete(login_url(inspector, url), headers=same_origin(inspector))


def test_a_sign_in_for_another_origin_or_a_program_is_refused(
    stack: tuple[ServerProcess, str],  # noqa: F811
    inspector: ServerProcess,
) -> None:
    _, url = stack
    other = httpx.post(login_url(inspector, url), headers={"origin": "http://evil.example"})
    assert other.status_code == 403 and "serves only pages of" in other.json()["error"]["message"]
    program = httpx.post(login_url(inspector, url))  # no Origin, no Sec-Fetch-Site: not a page
    assert program.status_code == 403
    bad = httpx.post(inspector.url("/inspector/proxy/login?url=ftp://x"), headers=same_origin(inspector))
    assert bad.status_code == 400
    # an unprotected server: nothing to sign in to
    open_url = inspector.url("/mcp")
    unprotected = httpx.post(login_url(inspector, open_url), headers=same_origin(inspector))
    assert unprotected.status_code == 409 and "did not ask for authorization" in unprotected.text


def test_a_callback_with_a_wrong_or_missing_state_is_refused(
    stack: tuple[ServerProcess, str],  # noqa: F811
    inspector: ServerProcess,
) -> None:
    _, url = stack
    started = httpx.post(login_url(inspector, url), headers=same_origin(inspector), timeout=30)
    assert started.status_code == 200, started.text
    authorization_url = started.json()["authorizationUrl"]
    assert "code_challenge_method=S256" in authorization_url and "resource=" in authorization_url
    callback = inspector.url("/inspector/proxy/oauth/callback")
    missing = httpx.get(callback, params={"code": "x"})
    assert missing.status_code == 400 and "no state" in missing.text
    wrong = httpx.get(callback, params={"code": "x", "state": "not-the-state"})
    assert wrong.status_code == 400 and "unknown or expired state" in wrong.text
    # the real flow is still waiting, untouched by the forged callbacks
    status = httpx.get(login_url(inspector, url), headers=same_origin(inspector)).json()
    assert status["status"] == "pending"
    httpx.delete(login_url(inspector, url), headers=same_origin(inspector))
    assert (
        httpx.get(login_url(inspector, url), headers=same_origin(inspector)).json()["status"] == "signed-out"
    )


def test_a_callback_that_never_comes_times_out(
    stack: tuple[ServerProcess, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    _, url = stack
    with page_server(tmp_path, **{TIMEOUT_ENV: "2"}) as srv:
        started = httpx.post(login_url(srv, url), headers=same_origin(srv), timeout=30)
        assert started.status_code == 200, started.text
        began = time.monotonic()
        status = httpx.get(login_url(srv, url) + "&wait=20", headers=same_origin(srv), timeout=30).json()
        took = time.monotonic() - began
        assert status["status"] == "failed" and "within 2s" in status["error"], status
        assert took < 15, took
        # and a callback arriving after that finds no flow waiting
        state = dict(httpx.URL(started.json()["authorizationUrl"]).params)["state"]
        late = httpx.get(srv.url("/inspector/proxy/oauth/callback"), params={"code": "x", "state": state})
        assert late.status_code == 400


def sign_in_over_http(srv: ServerProcess, url: str) -> None:
    """The page's steps without a page: start, follow the authorization URL (the demo
    server approves at once) to the callback, as the opened tab would."""
    started = httpx.post(login_url(srv, url), headers=same_origin(srv), timeout=30)
    assert started.status_code == 200, started.text
    approved = httpx.get(started.json()["authorizationUrl"], follow_redirects=False, timeout=30)
    assert approved.status_code in (302, 303), approved.text
    landed = httpx.get(approved.headers["location"], timeout=30)
    assert landed.status_code == 200 and "You can close this tab" in landed.text, landed.text
    assert httpx.get(login_url(srv, url), headers=same_origin(srv)).json()["status"] == "signed-in"


def proxied_initialize(srv: ServerProcess, url: str) -> Callable[[], httpx.Response]:
    """A POST of `initialize` to `url` through the page server's proxy, as the page sends it."""
    body = (
        b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",'
        b' "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}'
    )
    headers = {
        **same_origin(srv),
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
    }
    proxy = srv.url("/inspector/proxy")
    return lambda: httpx.post(proxy, params={"url": url}, content=body, headers=headers, timeout=30)


class ProtectedStack:
    """The demo authorization server and our introspecting server, on ports kept across
    restarts (`run`: both start, both stop; the MCP server's introspection cache with it)."""

    def __init__(self, tmp_path: Path, **mcp_env: str) -> None:
        from tests.helpers import node_tools
        from tests.interop.conftest import SERVERS, server_env

        self.node, self.tmp_path = node_tools(), tmp_path
        auth_port, mcp_port = free_port(), free_port()
        auth_url = f"http://localhost:{auth_port}/"
        self.mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
        sdk = str(self.node.package_dir("@modelcontextprotocol/sdk"))
        self.auth = (
            [str(self.node.node), str(SERVERS / "ts_auth_server.mjs"), sdk, auth_url, self.mcp_url],
            auth_port,
        )
        mcp = [sys.executable, str(SERVERS / "introspected_server.py"), "--port", str(mcp_port)]
        self.mcp = ([*mcp, "--auth-server", auth_url], mcp_port)
        self.mcp_env = {**server_env(), **mcp_env}

    @contextlib.contextmanager
    def run(self, name: str) -> Iterator[ServerProcess]:
        logs = self.tmp_path / name
        (auth_cmd, auth_port), (mcp_cmd, mcp_port) = self.auth, self.mcp
        with (
            ServerProcess(auth_cmd, port=auth_port, env=self.node.env(), log_dir=logs, startup_timeout=40),
            ServerProcess(mcp_cmd, port=mcp_port, env=self.mcp_env, log_dir=logs, startup_timeout=40) as mcp,
        ):
            yield mcp


def test_a_token_the_server_stops_accepting_offers_sign_in_again(tmp_path: Path) -> None:
    """The authorization server restarts (its tokens are forgotten): the proxy's 401 goes to
    the provider, which may not open a browser behind the page's back, so the proxy says
    "sign in" (data.signIn), stops signing, and the next request gets the server's own
    challenge. A new sign-in then works."""
    pair = ProtectedStack(tmp_path)
    mcp_url, protected = pair.mcp_url, pair.run

    with page_server(tmp_path / "page") as srv:
        post = proxied_initialize(srv, mcp_url)
        with protected("first"):
            sign_in_over_http(srv, mcp_url)
            signed = post()
            assert signed.status_code == 200 and "introspected" in signed.text, signed.text
        with protected("second"):
            refused = post()
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"]["data"] == {"signIn": True}
            assert "needs a new sign-in" in refused.json()["error"]["message"]
            assert (
                httpx.get(login_url(srv, mcp_url), headers=same_origin(srv)).json()["status"] == "signed-out"
            )
            plain = post()
            assert plain.status_code == 401 and "resource_metadata=" in plain.headers["www-authenticate"]
            sign_in_over_http(srv, mcp_url)
            again = post()
            assert again.status_code == 200 and "introspected" in again.text, again.text


def test_requests_refused_together_all_offer_sign_in(tmp_path: Path) -> None:
    """The page's GET stream reconnecting and a call, refused at the same moment (the
    authorization server restarted): each answer says "sign in", not only the first one
    to forget the dead sign-in (the page shows the call's answer, whichever lost: it
    once got a bare "could not authorize" and no button)."""
    from concurrent.futures import ThreadPoolExecutor

    pair = ProtectedStack(tmp_path)
    with page_server(tmp_path / "page") as srv:
        post = proxied_initialize(srv, pair.mcp_url)
        with pair.run("first"):
            sign_in_over_http(srv, pair.mcp_url)
            assert post().status_code == 200
        with pair.run("second"), ThreadPoolExecutor(4) as pool:
            refused = list(pool.map(lambda _: post(), range(4)))
        # what the page reads as "sign in" (wire.js): the proxy's data.signIn, or the
        # server's own OAuth challenge relayed (the request left before the sign-in died)
        for answer in refused:
            assert answer.status_code == 401, answer.text
            signed_out = answer.json()["error"].get("data") == {"signIn": True}
            challenged = "resource_metadata=" in answer.headers.get("www-authenticate", "")
            assert signed_out or challenged, (answer.headers, answer.text)
        assert any(a.json()["error"].get("data") == {"signIn": True} for a in refused)


def test_sign_in_to_the_inspectors_own_protected_server(page: Any, tmp_path: Path) -> None:
    """A protected server's own inspector (debug routes on): its /mcp answers 401, the page
    signs in through its own server's sign-in route, and from then on reaches its own
    endpoint through the proxy, which holds the token."""
    pair = ProtectedStack(tmp_path, DEBUG="1")
    with pair.run("own") as srv:
        page.goto(srv.url("/inspector?era=legacy"))
        page.wait_for_selector("#sign-in", timeout=30000)
        sign_in_in_page(page)
        page.wait_for_selector("#status[data-state=ok]", timeout=30000)
        assert "via proxy" in page.inner_text("#server-info")
        page.click("button.item[data-name=whoami]")
        page.click("#call-tool")
        page.wait_for_selector("#result .result-head")
        assert "mcp:tools" in page.inner_text("#result")
        screenshot(page, "inspector-signin-own-server.png")


def test_a_token_revoked_mid_session_offers_sign_in_in_the_call(page: Any, tmp_path: Path) -> None:
    """In the page: the authorization server restarts (its tokens are gone, no refresh),
    and so does the MCP server. The next call is refused with data.signIn; its result
    panel offers "Sign in", and after it the call runs again and succeeds, with no
    reconnect by hand."""
    pair = ProtectedStack(tmp_path)
    with page_server(tmp_path / "page") as srv:
        with pair.run("first"):
            page.goto(srv.url(f"/inspector?era=legacy&url={quote(pair.mcp_url, safe='')}"))
            page.wait_for_selector("#sign-in", timeout=30000)
            sign_in_in_page(page)
            page.wait_for_selector("#status[data-state=ok]", timeout=30000)
            page.click("button.item[data-name=whoami]")
        with pair.run("second"):
            page.click("#call-tool")
            page.wait_for_selector("#result #sign-in", timeout=30000)
            assert "sign in" in page.inner_text("#result").lower()
            screenshot(page, "inspector-signin-revoked-mid-call.png")
            sign_in_in_page(page, "#result #sign-in")
            page.wait_for_selector("#result .result-head", timeout=30000)
            assert "mcp:tools" in page.inner_text("#result")
            page.wait_for_selector("#status[data-state=ok]", timeout=30000)
            screenshot(page, "inspector-signin-revoked-rerun.png")
