"""The app `mcp-use inspect` serves on 127.0.0.1: the inspector page, pointed at one target.

- an HTTP target (a URL, or a config entry with `url`): the page talks to it through
  the proxy route, which adds the entry's headers (its token) on the way, or, for an
  entry whose `"auth"` is an object, the token of the client's OAuth provider (`auth`);
- a stdio target (a config entry with `command`, or `-- COMMAND ARGS`): the command
  runs behind `StdioBridge` at `/stdio/mcp`, which the page talks Streamable HTTP to.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .debug import INSPECTOR_DIR, inspector_page
from .inspector_login import login_routes
from .security import HostGuard
from .stdio_bridge import StdioBridge

if TYPE_CHECKING:
    from ...client.transports.http_auth import HTTPAuth

BRIDGE_PATH = "/stdio/mcp"


def inspector_app(
    *,
    url: str | None = None,
    transport: str = "http",
    headers: Mapping[str, str] | None = None,
    bridge: StdioBridge | None = None,
    title: str = "mcp-use inspect",
    allowed_hosts: list[str] | None = None,
    auth: HTTPAuth | None = None,
    on_close: Callable[[], Awaitable[None]] | None = None,
    lifecycle: Any = None,
) -> Starlette:
    """One of `url` (an HTTP MCP endpoint) or `bridge` (a stdio command) is the target.

    `auth` (the client's OAuth provider) signs the proxied requests to `url`;
    `on_close` releases what it holds (the client's HTTP pool) when the app stops;
    `lifecycle` (a server `Lifecycle`) ends the proxied streams at SIGTERM/SIGINT."""
    if (url is None) == (bridge is None):
        raise ValueError("inspector_app needs exactly one of url= or bridge=")
    guard = HostGuard(True, allowed_hosts=allowed_hosts)
    proxy_routes, logins = login_routes("/proxy", guard, headers, auth, target=url, lifecycle=lifecycle)
    config: dict[str, Any] = {
        "mcpPath": url if url is not None else BRIDGE_PATH,
        "transport": transport,
        "proxyPath": "/proxy",
        "serverName": title,
    }

    async def page(request: Request) -> HTMLResponse:
        return inspector_page("/assets", config, title)

    routes: list[BaseRoute] = [
        Route("/", endpoint=page, methods=["GET"]),
        Route("/inspector", endpoint=page, methods=["GET"]),
        Mount("/assets", app=StaticFiles(directory=INSPECTOR_DIR), name="inspector_assets"),
        *proxy_routes,
    ]
    if bridge is not None:
        routes.append(
            Route(BRIDGE_PATH, endpoint=_guarded(bridge.handle, guard), methods=["GET", "POST", "DELETE"])
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await logins.aclose()
            if bridge is not None:
                await bridge.stop()
            if on_close is not None:
                await on_close()

    return Starlette(routes=routes, lifespan=lifespan)


def _guarded(endpoint: Any, guard: HostGuard) -> Any:
    """The bridge runs a command for whoever calls it: loopback Hosts and Origins only."""
    from starlette.responses import JSONResponse

    async def checked(request: Request) -> Any:
        refused = guard.check(request.scope, request.headers.get("host"), request.headers.get("origin"))
        if refused is not None:
            return JSONResponse(refused.body(), refused.status)
        return await endpoint(request)

    return checked
