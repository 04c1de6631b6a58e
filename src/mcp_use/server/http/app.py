"""The server's Starlette application: MCP endpoints, custom routes and debug pages.

No lifespan is needed: everything starts lazily on the first request, so the app works
when mounted inside another Starlette or FastAPI application.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, request_response

if TYPE_CHECKING:
    from ..core import ServerCore


def to_response(value: Any) -> Response:
    """What a custom route returned, as a Response: dicts and lists are JSON."""
    if isinstance(value, Response):
        return value
    status = 200
    headers = None
    if isinstance(value, tuple):
        if len(value) == 2:
            value, status = value
        elif len(value) == 3:
            value, status, headers = value
        else:
            raise TypeError("A custom route may return (body, status) or (body, status, headers)")
        if isinstance(value, Response):
            value.status_code = status
            if headers:
                value.headers.update(headers)
            return value
    if value is None:
        return Response(status_code=204 if status == 200 else status, headers=headers)
    if isinstance(value, (str, bytes)):
        return Response(value, status_code=status, headers=headers, media_type="text/plain; charset=utf-8")
    return JSONResponse(value, status_code=status, headers=headers)


def custom_endpoint(fn: Callable[..., Any], guard: Any = None) -> Callable[[Request], Any]:
    """A custom route's handler as a Starlette endpoint; `guard` set: it needs a bearer token."""
    wants_request = bool(inspect.signature(fn).parameters)

    async def endpoint(request: Request) -> Response:
        if guard is not None:
            refused = await guard.check_request(request.scope)
            if refused is not None:
                return refused
        value = fn(request) if wants_request else fn()
        if inspect.isawaitable(value):
            value = await value
        return to_response(value)

    endpoint.__name__ = getattr(fn, "__name__", "custom_route")
    return endpoint


def endpoint_path(scope: Any) -> str:
    """The request's path inside this app (a mount's `root_path` taken off)."""
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :]
    return path


class MCPShortcut:
    """The innermost layer of a user's middleware: the MCP endpoint's own verbs go to it
    at once, everything else on to Starlette's exception layer and router.

    The user's middleware (CORS, auth, timing...) sees every request as before; the
    endpoint answers its own errors, so the router's matching and the exception layer's
    `Request` object cost it nothing.
    """

    VERBS = ("POST", "GET", "DELETE")  # the route's methods; HEAD and the rest: the router

    def __init__(self, app: Any, endpoint: Any, path: str) -> None:
        self.app = app
        self.endpoint = endpoint
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in self.VERBS and endpoint_path(scope) == self.path:
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)


class MCPApp(Starlette):
    """Starlette with a shortcut for the MCP endpoint.

    While no middleware has been added, requests for the endpoint skip the router and
    Starlette's exception layers (the endpoint answers its own errors): a tenth of the
    cost of a call. Once a user adds middleware, every request goes through it, and the
    endpoint's requests leave the stack right after the user's last middleware
    (`MCPShortcut`), unless the user registered exception handlers of their own, which
    then see everything the endpoint raises, as on any route.
    """

    def __init__(self, *, mcp_path: str | None, mcp_endpoint: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._mcp_path = mcp_path
        self._mcp_endpoint = mcp_endpoint

    def direct_endpoint(self) -> Any:
        """The MCP endpoint that `__call__` hands its path's requests with nothing in
        between, or None once user middleware is in the stack (it sees every request)."""
        return self._mcp_endpoint if not self.user_middleware else None

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None:
        from .cors_check import check_cors_middleware

        check_cors_middleware(middleware_class, kwargs)
        super().add_middleware(middleware_class, *args, **kwargs)

    def build_middleware_stack(self) -> Any:
        own_handlers = any(key not in (500, Exception) for key in self.exception_handlers)
        if self._mcp_endpoint is None or not self.user_middleware or own_handlers:
            return super().build_middleware_stack()
        from starlette.middleware import Middleware

        users = self.user_middleware
        shortcut = Middleware(MCPShortcut, endpoint=self._mcp_endpoint, path=self._mcp_path)
        self.user_middleware = [*users, shortcut]
        try:
            return super().build_middleware_stack()
        finally:
            self.user_middleware = users

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._mcp_endpoint is not None and not self.user_middleware and scope["type"] == "http":
            if (endpoint_path(scope) if scope.get("root_path") else scope["path"]) == self._mcp_path:
                scope["app"] = self
                await self._mcp_endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def build_app(
    core: ServerCore,
    *,
    mcp_endpoint: Any = None,
    sse_transport: Any = None,
    custom_routes: Sequence[Any] = (),
) -> Starlette:
    """The app serving the given endpoints (a Streamable HTTP endpoint, a legacy SSE
    transport, or both), the custom routes, on a protected server the RFC 9728 metadata
    and, at DEBUG>=1, the debug pages."""
    settings = core.settings
    paths = settings.paths
    routes: list[Any] = []
    # DEBUG>=2: every JSON-RPC message in and out is logged; below that, no wrapper at all.
    log_messages = settings.debug_level >= 2
    if log_messages:
        from .debug import JsonRpcLogger

    def logged(app: Any, where: str) -> Any:
        return JsonRpcLogger(app, settings.pretty_print_jsonrpc, where) if log_messages else app

    endpoint = None
    if mcp_endpoint is not None:
        endpoint = logged(mcp_endpoint, "")
        routes.append(Route(paths.mcp, endpoint=endpoint, methods=["GET", "POST", "DELETE"]))
    if sse_transport is not None:
        if log_messages:
            connect: Any = logged(request_response(sse_transport.connect), "sse")
            post: Any = logged(request_response(sse_transport.post), "sse")
        else:
            connect, post = sse_transport.connect, sse_transport.post
        routes.append(Route(paths.sse, endpoint=connect, methods=["GET"]))
        routes.append(Route(paths.messages.rstrip("/"), endpoint=post, methods=["POST"]))
        routes.append(Route(paths.messages, endpoint=post, methods=["POST"]))
    if core.authenticator is not None:
        from .prm import metadata_routes

        routes.extend(metadata_routes(core.authenticator))
    for path, fn, methods, name, auth in custom_routes:
        guard = core.authenticator if auth else None
        routes.append(Route(path, endpoint=custom_endpoint(fn, guard), methods=methods, name=name))
    if settings.debug:
        from .debug import debug_routes

        routes.extend(debug_routes(core, sse_only=endpoint is None))
    else:
        from .debug_hint import debug_off_routes

        routes.extend(debug_off_routes(core))
    return MCPApp(routes=routes, mcp_path=paths.mcp if endpoint is not None else None, mcp_endpoint=endpoint)
