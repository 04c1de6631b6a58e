"""`mcp-use inspect CONFIG SERVER` for an entry whose `"auth"` is an OAuth object.

The stack is a real one: our protected server verifying tokens by introspection at the
TypeScript SDK's demo authorization server (tests/interop/test_sdk_oauth.py `stack`).
`mcp-use inspect` runs the client's own OAuth (the provider `mcp-use login` uses, its
file token storage and its browser step): the "browser" it opens through `$BROWSER` is
a small script that follows the authorization URL to the loopback callback, as a
person clicking "approve" would. The page, in Debian chromium, lists and calls tools
without ever holding the token; a stored token is reused; a refused one is replaced
through the provider's 401 handling.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port
from tests.helpers.browser import screenshot
from tests.interop.test_sdk_oauth import stack  # noqa: F401  (the shared fixture)

MCP_USE = [sys.executable, "-m", "mcp_use.cli"]
ERAS = {"legacy": "2025-11-25", "modern": "2026-07-28"}
BROWSER = textwrap.dedent(
    """
    import sys, urllib.request
    with open(sys.argv[1], "a") as log:
        log.write(sys.argv[2] + "\\n")
    # the demo server approves at once; its redirect lands on the callback on 127.0.0.1
    with urllib.request.urlopen(sys.argv[2], timeout=20) as answer:
        assert b"Authorization complete" in answer.read()
    """
)


def inspect_env(tmp_path: Path) -> dict[str, str]:
    script = tmp_path / "browser.py"
    script.write_text(BROWSER)
    return example_env(
        MCP_USE_AUTH_DIR=str(tmp_path / "auth"),
        DISPLAY=":99",  # "a display": BrowserAuthorizer opens $BROWSER rather than asking for a paste
        BROWSER=f"{sys.executable} {script} {tmp_path / 'visits.log'} %s",
    )


def visits(tmp_path: Path) -> list[str]:
    log = tmp_path / "visits.log"
    return log.read_text().splitlines() if log.exists() else []


def stored_record(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The token record `FileTokenStorage` wrote (`{"key": ..., "value": record}`)."""
    for path in (tmp_path / "auth").glob("*.json"):
        stored = json.loads(path.read_text())
        if "tokens" in stored["value"]:
            return path, stored
    raise AssertionError(f"no token record in {list((tmp_path / 'auth').glob('*'))}")


def inspect(config: Path, tmp_path: Path) -> ServerProcess:
    port = free_port()
    cmd = [*MCP_USE, "inspect", str(config), "ours", "--port", str(port)]
    return ServerProcess(cmd, port=port, env=inspect_env(tmp_path), log_dir=tmp_path, startup_timeout=40)


def add_in_the_page(page: Any, base: str, era: str) -> None:
    page.goto(f"{base}/?era={era}")
    page.wait_for_selector("#status[data-state=ok]", timeout=60000)
    assert ERAS[era] in page.inner_text("#protocol")
    assert "introspected" in page.inner_text("#server-info")
    page.click("button.item[data-name=add]")
    page.fill("[name=a]", "2")
    page.fill("[name=b]", "40")
    page.click("#call-tool")
    page.wait_for_selector("#result .result-head")
    text = page.inner_text("#result")
    assert '"result": 42' in text, text


@pytest.mark.parametrize("era", list(ERAS))
def test_inspect_an_oauth_entry_signs_in_and_the_page_never_holds_the_token(
    page: Any,
    stack: tuple[ServerProcess, str],  # noqa: F811
    tmp_path: Path,
    era: str,
) -> None:
    _, url = stack
    config = tmp_path / "config.json"
    entry = {"url": url, "auth": {"type": "oauth", "scopes": ["mcp:tools"]}}
    config.write_text(json.dumps({"mcpServers": {"ours": entry, "other": {"command": "true"}}}))

    with inspect(config, tmp_path) as srv:
        add_in_the_page(page, srv.base_url, era)
        asked = visits(tmp_path)
        assert len(asked) == 1 and "code_challenge_method=S256" in asked[0] and "resource=" in asked[0]
        path, stored = stored_record(tmp_path)
        token = stored["value"]["tokens"]["access_token"]
        assert token and token not in page.content()
        assert path.stat().st_mode & 0o777 == 0o600
        screenshot(page, f"inspector-oauth-entry-{era}.png")

    # A second run on the same storage: the stored token is used, nobody is asked.
    with inspect(config, tmp_path) as srv:
        add_in_the_page(page, srv.base_url, era)
    assert len(visits(tmp_path)) == 1

    # A stored token the server refuses: the proxy's 401 goes to the provider, which
    # gets a new one (refresh, or a new authorization), and the request is resent.
    stored["value"]["tokens"]["access_token"] = "refused-" + token
    path.write_text(json.dumps(stored))
    with inspect(config, tmp_path) as srv:
        add_in_the_page(page, srv.base_url, era)
    assert len(visits(tmp_path)) == 2  # the demo server issues no refresh token: authorized anew
    renewed = stored_record(tmp_path)[1]["value"]["tokens"]["access_token"]
    assert renewed and renewed != "refused-" + token
    assert renewed not in page.content()


TARGET = Path(__file__).resolve().parent / "servers" / "inspector_target.py"
PING = b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}'


def test_the_entry_credentials_go_only_to_the_entry_origin(tmp_path: Path) -> None:
    """The page may point the proxy at any URL; the entry's token goes only to its own
    server's origin. The same guarded server under another origin (localhost rather than
    127.0.0.1) gets no token from the proxy, so it answers 401."""
    import httpx

    port = free_port()
    cmd = [sys.executable, str(TARGET), str(port), "--token", "s3cret"]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as guarded:
        config = tmp_path / "config.json"
        config.write_text(
            json.dumps({"mcpServers": {"ours": {"url": guarded.url("/mcp"), "auth": "s3cret"}}})
        )
        with inspect(config, tmp_path) as srv:
            headers = {
                "origin": srv.base_url,
                "content-type": "application/json",
                "accept": "application/json, text/event-stream",
            }

            def through_proxy(target: str) -> httpx.Response:
                return httpx.post(srv.url("/proxy"), params={"url": target}, content=PING, headers=headers)

            assert through_proxy(guarded.url("/mcp")).status_code != 401
            elsewhere = through_proxy(f"http://localhost:{port}/mcp")
            assert elsewhere.status_code == 401, elsewhere.text


def test_an_authorization_that_cannot_start_is_a_clear_401(tmp_path: Path) -> None:
    """A server that demands a token but publishes no OAuth metadata: the flow fails at
    discovery, and the page gets a 401 whose JSON-RPC error says why (no hang, no 500)."""
    import httpx

    port = free_port()
    cmd = [sys.executable, str(TARGET), str(port), "--token", "s3cret"]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as guarded:
        config = tmp_path / "config.json"
        entry = {"url": guarded.url("/mcp"), "auth": {"type": "oauth"}}
        config.write_text(json.dumps({"mcpServers": {"ours": entry}}))
        with inspect(config, tmp_path) as srv:
            answer = httpx.post(
                srv.url("/proxy"),
                params={"url": guarded.url("/mcp")},
                content=PING,
                headers={"origin": srv.base_url, "content-type": "application/json"},
                timeout=30,
            )
    assert answer.status_code == 401, answer.text
    message = answer.json()["error"]["message"]
    assert message.startswith("The inspector could not authorize with"), message
    assert visits(tmp_path) == []  # nobody was sent to a browser
