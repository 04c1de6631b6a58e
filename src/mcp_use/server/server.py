"""`MCPServer`: the thin facade. It packs its arguments into settings, builds the
`ServerCore` once, hands what its decorators make to the registries, and builds the
apps and runs them. Everything below it receives the core, never this object."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from typing import Any, TypeVar

from ..protocol.versions import LEGACY_VERSIONS
from .core import ServerCore
from .http.security import HostGuard
from .input_rounds import StateSealer
from .prompts import Prompt, make_prompt
from .registration import prompt_later, resource_later, resource_options, tool_later
from .resources import Resource, make_resource
from .router import named_decorator
from .settings import (
    DEFAULT_MAX_BODY,
    Caching,
    Identity,
    Limits,
    Paths,
    ServerSettings,
    debug_level_from_env,
    server_info,
)
from .tools import Tool, make_tool

F = TypeVar("F", bound=Callable[..., Any])


def _shared_state(state: Any) -> Any:
    """A Redis URL (the argument, or `MCP_USE_REDIS_URL` when none was given) becomes a
    `RedisState`; anything else is the state object itself. redis-py loads only then."""
    if (state is None and os.environ.get("MCP_USE_REDIS_URL")) or isinstance(state, str):
        from .state.redis import state_from

        return state_from(state)
    return state


class MCPServer:
    """An MCP server. Register tools, resources and prompts; then `run()` or serve `app`."""

    def __init__(
        self,
        name: str,
        version: str = "0.1.0",
        instructions: str | None = None,
        *,
        title: str | None = None,
        description: str | None = None,
        website_url: str | None = None,
        icons: list[Any] | None = None,
        debug: bool = False,
        mcp_path: str = "/mcp",
        docs_path: str = "/docs",
        inspector_path: str = "/inspector",
        openmcp_path: str = "/openmcp.json",
        sse_path: str = "/sse",
        messages_path: str = "/messages/",
        dns_rebinding_protection: bool | None = None,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
        pretty_print_jsonrpc: bool = False,
        state: Any = None,
        state_secret: str | bytes | None = None,
        mask_errors: bool | None = None,
        auth: Any = None,
        authorization_servers: list[str] | None = None,
        resource_url: str | None = None,
        required_scopes: list[str] | None = None,
        page_size: int | None = None,
        cache_ttl_ms: int = 0,
        cache_scope: str = "public",
        max_body_size: int = DEFAULT_MAX_BODY,
        capabilities: dict[str, Any] | None = None,
        event_store: Any = None,
        max_sessions: int = 10_000,
        session_idle_timeout: float = 1800.0,
        sse_retry_ms: int = 1000,
        input_timeout: float | None = 300.0,
        tool_timeout: float | None = None,
        max_header_bytes: int = 32 * 1024,
        body_timeout: float = 30.0,
        tasks: Any = None,  # a `TaskSettings`; None: the defaults
        middleware: list[Any] | None = None,
    ) -> None:
        state = _shared_state(state)
        info = server_info(
            name, version, title=title, description=description, website_url=website_url, icons=icons
        )
        self.settings = ServerSettings(
            identity=Identity(name, version, instructions, info, capabilities or {}),
            limits=Limits(
                *(max_body_size, max_sessions, session_idle_timeout, page_size, mask_errors),
                *(sse_retry_ms, input_timeout, tool_timeout, max_header_bytes, body_timeout),
            ),
            caching=Caching(cache_ttl_ms, cache_scope),
            paths=Paths(mcp_path, sse_path, messages_path, docs_path, inspector_path, openmcp_path),
            debug_level=debug_level_from_env(debug),
            pretty_print_jsonrpc=pretty_print_jsonrpc,
            tasks=tasks,
        )
        self.core = ServerCore(
            self.settings,
            guard=HostGuard(dns_rebinding_protection, allowed_hosts, allowed_origins),
            sealer=StateSealer(state_secret),
            state=state,
            event_store=event_store,
        )
        self.core.features.owner = self
        self._features = self.core.features
        self.auth = auth
        self.resource_url = resource_url
        if auth is not None or authorization_servers or required_scopes:
            from .http.auth import protect  # only protected servers pay for importing it

            protect(self.core, auth, resource_url, authorization_servers, required_scopes)
        self._custom_routes: list[Any] = []
        # built on first use: the two transports, the three apps, a proxy's target connection
        self._http = self._sse = self._app = self._streamable_app = self._sse_app = self._proxy = None
        for item in middleware or ():
            self.use(item)

    # ---- identity (read-only views of the settings) -----------------------------------
    @property
    def name(self) -> str:
        return self.settings.identity.name

    @property
    def version(self) -> str:
        return self.settings.identity.version

    @property
    def instructions(self) -> str | None:
        return self.settings.identity.instructions

    @property
    def info(self) -> dict[str, Any]:
        return self.settings.identity.info

    @property
    def state(self) -> Any:
        return self.core.state

    @property
    def debug(self) -> bool:
        return self.settings.debug

    @debug.setter
    def debug(self, on: bool) -> None:
        self.debug_level = max(self.debug_level, 1) if on else 0

    @property
    def debug_level(self) -> int:
        return self.settings.debug_level

    @debug_level.setter
    def debug_level(self, level: int) -> None:
        """Change the debug level (as `mcp-use dev` does): takes effect in apps built after."""
        self.settings = dataclasses.replace(self.settings, debug_level=level)
        self.core.settings = self.settings
        self.core.engine.methods.debug_level = level

    @property
    def mcp_path(self) -> str:
        return self.settings.paths.mcp

    @property
    def sse_path(self) -> str:
        return self.settings.paths.sse

    @property
    def messages_path(self) -> str:
        return self.settings.paths.messages

    @property
    def docs_path(self) -> str:
        return self.settings.paths.docs

    @property
    def inspector_path(self) -> str:
        return self.settings.paths.inspector

    @property
    def openmcp_path(self) -> str:
        return self.settings.paths.openmcp

    # ---- middleware and composition ---------------------------------------------------
    def use(self, middleware: Any) -> MCPServer:
        """Add MCP-level middleware (a `Middleware`); runs after those added before it.

        Not `add_middleware`: that name belongs to the ASGI app, for Starlette middleware.
        """
        from .middleware import Middleware

        if not isinstance(middleware, Middleware):
            raise TypeError(f"server.use() takes a Middleware instance, got {type(middleware).__name__}")
        self.core.engine.use(middleware)
        return self

    def mount(self, other: MCPServer, prefix: str) -> None:
        """Serve `other`'s tools and prompts as `<prefix>_<name>`, and its resources under
        their own URIs, live; `other` keeps its middleware (see `mount.py`)."""
        from .mount import Mount

        if other is self:
            raise ValueError("a server cannot mount itself")
        self.core.engine.add_layer(Mount(self.core, other.core, prefix).layer)

    @classmethod
    def as_proxy(
        cls,
        target: Any,
        *,
        server: str | None = None,
        name: str = "mcp-use-proxy",
        timeout: float | None = 300.0,
        input_timeout: float = 300.0,
        **options: Any,
    ) -> MCPServer:
        """A server that serves `target` (a config entry: stdio command or URL; a whole
        config, `server` picking the entry; a URL; an `MCPServer`) through its own front,
        on every transport and era, with its own auth, paths and limits (see `proxy.py`).
        `timeout` bounds each forwarded call; `await proxy.close_proxy()` ends the target."""
        from .proxy import ProxyLayer
        from .proxy_target import target_entry

        capabilities = {"completions": {}, **(options.pop("capabilities", None) or {})}
        front = cls(name, capabilities=capabilities, **options)
        front._proxy = ProxyLayer(
            front.core, target_entry(target, server), timeout=timeout, input_timeout=input_timeout
        )
        front.core.engine.add_layer(front._proxy.layer)
        return front

    async def close_proxy(self) -> None:
        """Close the connection to a proxy's target (and stop it, when it is a child)."""
        if self._proxy is not None:
            await self._proxy.close()

    # ---- registration ---------------------------------------------------------------
    def tool(self, fn: Any = None, /, **options: Any) -> Any:
        """Register a tool: `@server.tool`, `@server.tool()`, `@server.tool(name=...)`.
        Built on first use, like resources and prompts (`registration.py`)."""
        return named_decorator(lambda f, o: tool_later(self._features, f, o), fn, options)

    def add_tool(self, fn: Callable[..., Any], **options: Any) -> Tool:
        tool = make_tool(fn, **options)
        return self._features.tools.add(tool.name, tool)

    def remove_tool(self, name: str) -> None:
        self._features.tools.remove(name)

    def resource(self, uri: str, /, **options: Any) -> Callable[[F], F]:
        """Register a resource at `uri`; `{placeholders}` make it a template."""
        if callable(uri):
            raise TypeError("@server.resource needs a URI: @server.resource('scheme://path')")

        def register(f: F) -> F:
            resource_later(self._features, f, uri, options)
            return f

        return register

    def add_resource(self, fn: Callable[..., Any], uri: str, **options: Any) -> Resource:
        resource = make_resource(fn, uri, **resource_options(options))
        registry = self._features.templates if resource.is_template else self._features.resources
        return registry.add(uri, resource)

    def remove_resource(self, uri: str) -> None:
        if self._features.resources.remove(uri) is None:
            self._features.templates.remove(uri)

    def prompt(self, fn: Any = None, /, **options: Any) -> Any:
        """Register a prompt: `@server.prompt`, `@server.prompt()`, `@server.prompt(name=...)`."""
        return named_decorator(lambda f, o: prompt_later(self._features, f, o), fn, options)

    def add_prompt(self, fn: Callable[..., Any], **options: Any) -> Prompt:
        prompt = make_prompt(fn, **options)
        return self._features.prompts.add(prompt.name, prompt)

    def remove_prompt(self, name: str) -> None:
        self._features.prompts.remove(name)

    def include_router(self, router: Any, prefix: str = "") -> None:
        """Add the tools, resources and prompts of an `MCPRouter`; names get `prefix`."""
        router.apply(self, prefix)

    def completion(self, fn: Any = None, /) -> Any:
        """Register the `completion/complete` handler: `handler(ref, argument, context)`."""

        def register(f: F) -> F:
            self._features.completion = f
            return f

        return register(fn) if callable(fn) else register

    def on_notification(self, method: str) -> Callable[[F], F]:
        """Handle a client notification, e.g. `notifications/roots/list_changed`."""

        def register(f: F) -> F:
            self._features.notification_handlers[method] = f
            return f

        return register

    def custom_route(
        self,
        path: str,
        methods: list[str] | None = None,
        *,
        name: str | None = None,
        include_in_schema: bool = True,
        auth: bool = False,
    ) -> Callable[[F], F]:
        """Serve a plain HTTP route beside the MCP endpoint (health checks and the like).

        Custom routes stay open on a protected server unless `auth=True`: then they need
        the same bearer token as the MCP endpoint (`request.scope["mcp_use.access_token"]`).
        """
        if auth and self.core.authenticator is None:
            raise ValueError("custom_route(auth=True) needs MCPServer(auth=...)")

        def register(f: F) -> F:
            self._custom_routes.append((path, f, methods or ["GET"], name, auth))
            self._app = None
            return f

        return register

    # ---- change notifications -------------------------------------------------------
    def notify_resource_updated(self, uri: str) -> asyncio.Future[None] | None:
        """Tell every client subscribed to `uri` that it changed (await it, or not)."""
        return self.core.resource_updated(uri)

    async def notify_list_changed(self, kind: str) -> None:
        """Announce a change to the `tools`, `resources` or `prompts` list."""
        await self.core.hub.list_changed(kind)

    # ---- operations: health and metrics ----------------------------------------------
    async def ready(self) -> bool:
        """Readiness: this process can serve (its shared state, when configured, answers)."""
        from .ops import ready

        return await ready(self.core)

    def add_health_routes(self, live_path: str = "/healthz", ready_path: str = "/readyz") -> None:
        """Liveness and readiness routes for load balancers and orchestrators.

        Liveness answers 200 while the process runs; readiness answers 503 while the
        shared state (Redis) is unreachable or disagrees, so traffic goes elsewhere.
        Call before the app is first served.
        """

        @self.custom_route(live_path, name="liveness", include_in_schema=False)
        def live() -> dict[str, str]:
            return {"status": "ok"}

        @self.custom_route(ready_path, name="readiness", include_in_schema=False)
        async def ready() -> Any:
            if await self.ready():
                return {"status": "ready"}
            return {"status": "unavailable"}, 503

    def add_metrics_route(self, path: str = "/metrics") -> None:
        """Opt-in Prometheus metrics of this process (sessions open, evicted, rejected...)."""

        @self.custom_route(path, name="metrics", include_in_schema=False)
        async def metrics() -> Any:
            from starlette.responses import Response

            return Response(await self.metrics_text(), media_type="text/plain; version=0.0.4")

    async def metrics_text(self) -> str:
        """The Prometheus text exposition of this process's counters."""
        from .ops import metrics_text

        return await metrics_text(self.core)

    # ---- apps and running -----------------------------------------------------------
    @property
    def app(self) -> Any:
        """The ASGI application with every route: MCP, legacy SSE, custom and debug routes."""
        if self._app is None:
            self._app = self._build_app(mcp=True, sse=True)
        return self._app

    def streamable_http_app(self) -> Any:
        """A Starlette app serving the MCP endpoint (and custom/debug routes).

        Built once: middleware added to it (CORS, ...) is kept, and
        `run(transport="streamable-http")` serves this app once it exists.
        """
        if self._streamable_app is None:
            self._streamable_app = self._build_app(mcp=True, sse=False)
        return self._streamable_app

    def sse_app(self) -> Any:
        """A Starlette app serving the legacy HTTP+SSE transport (and custom/debug routes).

        Built once, like `streamable_http_app()`; `run(transport="sse")` serves it.
        """
        if self._sse_app is None:
            self._sse_app = self._build_app(mcp=False, sse=True)
        return self._sse_app

    def http_transport(self) -> Any:
        """The raw ASGI endpoint serving Streamable HTTP (one per server, shared by its apps)."""
        if self._http is None:
            from .transports.streamable_http import StreamableHTTPServerTransport

            self._http = StreamableHTTPServerTransport(self.core)
        return self._http

    def _sse_transport(self) -> Any:
        if self._sse is None:
            from .transports.sse import SSEServerTransport

            self._sse = SSEServerTransport(self.core)
        return self._sse

    def _build_app(self, *, mcp: bool, sse: bool) -> Any:
        from .http.app import build_app
        from .runner import configure_from_env

        configure_from_env(self.core)
        self._features.settle()  # a bad signature fails here, before anything is served
        return build_app(
            self.core,
            mcp_endpoint=self.http_transport().entry if mcp else None,
            sse_transport=self._sse_transport() if sse else None,
            custom_routes=self._custom_routes,
        )

    def run(
        self,
        transport: str = "stdio",
        host: str = "0.0.0.0",
        port: int = 8000,
        reload: bool = False,
        workers: int = 1,
        log_level: str | None = None,
        **uvicorn_options: Any,
    ) -> None:
        """Serve on `stdio`, `streamable-http` (alias `http`) or legacy `sse`."""
        from .runner import run, transport_kind

        kind = transport_kind(transport)
        if kind == "sse":
            app, attr = self.sse_app, "sse_app"
        elif self._streamable_app is not None:  # the one the user customized (middleware)
            app, attr = (lambda: self._served(self.streamable_http_app())), "streamable_http_app"
        else:
            app, attr = (lambda: self._served(self.app)), "app"
        run(self.core, kind, app=app, app_attr=attr, owner=self, stdio=self.run_stdio_async,
            host=host, port=port, reload=reload, workers=workers, log_level=log_level,
            **uvicorn_options)  # fmt: skip

    def _served(self, app: Any) -> Any:
        """What `run()` hands uvicorn: the endpoint's plain-call lane in front of `app` when
        the app hands it MCP requests directly (no user middleware, no DEBUG=2 log)."""
        transport = self._http
        if transport is not None and app.direct_endpoint() is transport.entry:
            return transport.front(app, self.core.settings.paths.mcp)
        return app

    def connect_in_memory(self, deliver: Any) -> Any:
        """A client connection in this process: `await conn.send(message)` delivers a
        message to the server, and what the server sends goes to `await deliver(message)`;
        `await conn.close()` ends it. `MCPClient(server)` uses this."""
        from .transports.memory import MemoryConnection

        return MemoryConnection(self.core, deliver)

    async def run_stdio_async(self) -> None:
        from .transports.stdio import serve_stdio

        await serve_stdio(self.core)

    def __repr__(self) -> str:
        return f"MCPServer(name={self.name!r}, tools={len(self._features.tools)})"


__all__ = ["LEGACY_VERSIONS", "MCPServer"]
