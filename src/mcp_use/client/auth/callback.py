"""The user's part of the authorization code flow: `authorize(url) -> redirect_url`.

`BrowserAuthorizer` (the default) opens the authorization URL in the browser and waits
for the redirect on a one-shot HTTP server bound to 127.0.0.1 at the redirect URI's
port. Without a display (or with `open_browser=False`) it prints the URL to stderr and
reads the redirect URL the user pastes on stdin. Either wait is bounded by `timeout`.
Nothing is written to stdout, so a stdio MCP server's stream stays clean.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from .errors import OAuthError

Authorize = Callable[[str], Awaitable[str] | str]

PAGE = b"<!doctype html><title>Signed in</title><p>Authorization complete. You can close this tab."


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redirect_uri_for(port: int, path: str = "/callback", host: str = "127.0.0.1") -> str:
    """The loopback redirect URI: `mcp-use login`'s one-shot server answers `/callback`;
    the inspector's debug server receives it under its proxy route instead."""
    if not path.startswith("/"):
        raise ValueError(f"redirect path must start with '/': {path!r}")
    return f"http://{host}:{port}{path}"


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class BrowserAuthorizer:
    """Browser + loopback callback, or print-and-paste when headless; waits at most `timeout`."""

    def __init__(
        self,
        *,
        open_browser: bool | None = None,
        timeout: float = 300.0,
        open_url: Callable[[str], object] | None = None,
    ) -> None:
        self.open_browser = _has_display() if open_browser is None else open_browser
        self.timeout = timeout
        self.open_url = open_url  # default: webbrowser.open (honours $BROWSER)

    async def __call__(self, url: str) -> str:
        redirect = parse_qs(urlsplit(url).query).get("redirect_uri", [""])[0]
        if self.open_browser:
            return await self._via_callback(url, redirect)
        return await self._via_paste(url)

    async def _via_callback(self, url: str, redirect: str) -> str:
        target = urlsplit(redirect)
        if target.hostname not in ("127.0.0.1", "localhost") or target.port is None:
            raise OAuthError(
                f"the redirect URI {redirect!r} is not a loopback URL this process can listen on"
            )
        from aiohttp import web

        got: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def handle(request: web.Request) -> web.Response:
            if not got.done():
                got.set_result(str(request.url))
            return web.Response(body=PAGE, content_type="text/html")

        app = web.Application()
        app.router.add_get(target.path or "/", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", target.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise OAuthError(
                f"cannot listen for the OAuth callback on 127.0.0.1:{target.port}: {exc}"
            ) from None
        try:
            import webbrowser

            print(f"Opening the browser to authorize; if it does not open, visit:\n  {url}", file=sys.stderr)
            await asyncio.to_thread(self.open_url or webbrowser.open, url)
            return await asyncio.wait_for(got, self.timeout)
        except TimeoutError:
            raise OAuthError(f"no authorization callback arrived within {self.timeout:g}s") from None
        finally:
            await runner.cleanup()

    async def _via_paste(self, url: str) -> str:
        print(
            f"Open this URL in a browser and authorize:\n  {url}\n"
            "Then paste the full URL you were redirected to (it has ?code=...):",
            file=sys.stderr,
            flush=True,
        )
        try:
            line = await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), self.timeout)
        except TimeoutError:
            raise OAuthError(f"no redirect URL was pasted within {self.timeout:g}s") from None
        if not line.strip():
            raise OAuthError("no redirect URL was pasted (stdin closed)")
        return line.strip()


async def call_authorize(authorize: Authorize, url: str, timeout: float) -> str:
    """Run the user's hook (sync or async) with a bound on the wait."""
    try:
        result = authorize(url)
        if isinstance(result, Awaitable):
            result = await asyncio.wait_for(result, timeout)
    except TimeoutError:
        raise OAuthError(f"the authorize step did not finish within {timeout:g}s") from None
    if not isinstance(result, str):
        raise OAuthError(f"authorize() must return the redirect URL as a string, got {type(result).__name__}")
    return result


__all__ = ["Authorize", "BrowserAuthorizer", "call_authorize", "free_port", "redirect_uri_for"]
