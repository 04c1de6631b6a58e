"""`mcp-use login`, `call` and `logout` against a protected server, as a user runs them.

Headless: the authorization URL goes to stderr and the pasted redirect is read from
stdin (nothing on stdout). With a display: `$BROWSER` is opened on the URL and the
redirect arrives at the one-shot callback server on 127.0.0.1. After a login, `call`
connects without asking (stdin closed); `logout` forgets the tokens.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.client.conftest import ENV, SERVERS
from tests.helpers import REPO_ROOT, build_env

CLI = [sys.executable, "-m", "mcp_use.cli"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def location_of(url: str) -> str:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code in (302, 303), exc.code
        return exc.headers["Location"]
    raise AssertionError("the authorization endpoint did not redirect")


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    return build_env({**ENV, "HOME": str(home), "MCP_USE_AUTH_DIR": str(home / "auth"), **extra})


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CLI + args,
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_headless_login_then_call_then_logout(sdk_oauth: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, DISPLAY="", WAYLAND_DISPLAY="")
    proc = subprocess.Popen(
        [*CLI, "login", sdk_oauth, "--no-browser"],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None and proc.stdin is not None
    url = ""
    for line in proc.stderr:
        if line.startswith("  http"):
            url = line.strip()
            break
    assert "/authorize?" in url, url
    proc.stdin.write(location_of(url) + "\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == ""  # only stderr is used: stdout stays clean
    assert "logged in to default" in err
    assert len(list((tmp_path / "auth").glob("*.json"))) == 2  # the record and the server's pointer

    called = run(["call", sdk_oauth, "whoami"], env)  # stdin closed: it must not ask
    assert called.returncode == 0, called.stderr
    assert called.stdout.strip() == "codes=1 refreshes=0"

    out_of = run(["logout", sdk_oauth], env)
    assert out_of.returncode == 0 and "logged out of default" in out_of.stderr
    assert not list((tmp_path / "auth").glob("*.json"))
    everything = run(["logout"], env)
    assert everything.returncode == 0 and "forgot 0" in everything.stderr


def test_browser_login_through_the_loopback_callback(sdk_oauth: str, tmp_path: Path) -> None:
    browser = tmp_path / "browser"  # $BROWSER names one executable, which gets the URL
    browser.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SERVERS / "visit.py"}" "$@"\n')
    browser.chmod(0o755)
    env = cli_env(tmp_path, DISPLAY=":99", BROWSER=str(browser))
    done = run(["login", sdk_oauth], env)
    assert done.returncode == 0, done.stderr
    assert "Opening the browser" in done.stderr and "logged in to default" in done.stderr
    listed = run(["list", sdk_oauth], env)
    assert listed.returncode == 0, listed.stderr
    assert "whoami" in listed.stdout


def test_login_refuses_a_server_without_oauth(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"mcpServers": {"plain": {"url": "http://127.0.0.1:9/mcp"}}}')
    done = run(["login", str(config), "plain"], cli_env(tmp_path))
    assert done.returncode == 2 and "has no OAuth 'auth' object" in done.stderr
