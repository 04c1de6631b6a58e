"""The app `mcp-use inspect` serves on 127.0.0.1: the inspector page, pointed at one target.

- an HTTP target (a URL, or a config entry with `url`): the page talks to it through
  the proxy route, which adds the entry's headers (its token) on the way;
- a stdio target (a config entry with `command`, or `-- COMMAND ARGS`): the command
  runs behind `StdioBridge` at `/stdio/mcp`, which the page talks Streamable HTTP to.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .debug import INSPECTOR_DIR, inspector_page
from .inspector_proxy import InspectorProxy
from .security import HostGuard
from .stdio_bridge import StdioBridge

BRIDGE_PATH = "/stdio/mcp"


def inspector_app(
    *,
    url: str | None = None,
    transport: str = "http",
    headers: Mapping[str, str] | None = None,
    bridge: StdioBridge | None = None,
    title: str = "mcp-use inspect",
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """One of `url` (an HTTP MCP endpoint) or `bridge` (a stdio command) is the target."""
    if (url is None) == (bridge is None):
        raise ValueError("inspector_app needs exactly one of url= or bridge=")
    guard = HostGuard(True, allowed_hosts=allowed_hosts)
    proxy = InspectorProxy(guard, headers)
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
        Route("/proxy", endpoint=proxy.handle, methods=["GET", "POST", "DELETE"]),
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
            if bridge is not None:
                await bridge.stop()

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
