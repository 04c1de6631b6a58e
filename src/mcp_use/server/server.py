"""`MCPServer`: the friendly facade over the engine, the registries and the transports."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from ..protocol import jsonrpc
from ..protocol.versions import LEGACY_VERSIONS
from .engine import Engine
from .http.security import HostGuard
from .mrtr import StateSealer
from .notifications import Hub
from .prompts import Prompt, make_prompt
from .resources import Resource, make_resource
from .router import named_decorator
from .session import ServerSession
from .state.memory import MemoryEventStore
from .tools import Tool, make_tool

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("mcp_use.server")

DEFAULT_MAX_BODY = 4 * 1024 * 1024


def _debug_level() -> int:
    try:
        return int(os.environ.get("DEBUG", "0") or 0)
    except ValueError:
        return 1 if os.environ.get("DEBUG", "").lower() in ("true", "yes", "on") else 0


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
        auth: Any = None,
        mask_errors: bool = False,
        page_size: int | None = None,
        cache_ttl_ms: int = 0,
        cache_scope: str = "public",
        max_body_size: int = DEFAULT_MAX_BODY,
        capabilities: dict[str, Any] | None = None,
        event_store: Any = None,
        max_sessions: int = 10_000,
        session_idle_timeout: float = 3600.0,
        sse_retry_ms: int = 1000,
        tasks: Any = None,
    ) -> None:
        self.name = name
        self.version = version
        self.instructions = instructions
        info: dict[str, Any] = {"name": name, "version": version}
        if title:
            info["title"] = title
        if description:
            info["description"] = description
        if website_url:
            info["websiteUrl"] = website_url
        if icons:
            info["icons"] = [getattr(i, "to_wire", lambda i=i: i)() for i in icons]
        self.info = info
        env_debug = _debug_level()
        self.debug_level = max(env_debug, 1 if debug else 0)
        self.debug = self.debug_level >= 1
        self.mcp_path = mcp_path
        self.docs_path = docs_path
        self.inspector_path = inspector_path
        self.openmcp_path = openmcp_path
        self.sse_path = sse_path
        self.messages_path = messages_path
        self.pretty_print_jsonrpc = pretty_print_jsonrpc
        if (state is None and os.environ.get("MCP_USE_REDIS_URL")) or isinstance(state, str):
            from .state.redis import state_from

            state = state_from(state)
        self.state = state
        self.auth = auth
        self.mask_errors = mask_errors
        self.page_size = page_size
        self.cache_ttl_ms = cache_ttl_ms
        self.cache_scope = cache_scope
        self.max_body_size = max_body_size
        self.extra_capabilities = capabilities or {}
        self.sse_retry_ms = sse_retry_ms
        self.task_settings = tasks  # a `TaskSettings`, or None for the defaults
        self.max_sessions = max_sessions
        self.session_idle_timeout = session_idle_timeout
        if event_store is None:
            event_store = getattr(state, "events", None)  # not `or`: an empty store is falsy
        if event_store is None:
            event_store = MemoryEventStore()
        self._events = event_store
        self._guard = HostGuard(dns_rebinding_protection, allowed_hosts, allowed_origins)
        self._sealer = StateSealer(state_secret)
        self._tools: dict[str, Tool] = {}
        self._resources: dict[str, Resource] = {}
        self._templates: dict[str, Resource] = {}
        self._prompts: dict[str, Prompt] = {}
        self._completion: Callable[..., Any] | None = None
        self._custom_routes: list[Any] = []
        self._notification_handlers: dict[str, Callable[..., Any]] = {}
        self._hub = Hub()
        self._engine = Engine(self)
        self._engine.tasks.listeners = self._hub.task_status
        self._running = False
        self._background: set[asyncio.Task[Any]] = set()
        self._http: Any = None
        self._sse: Any = None
        self._app: Any = None
        self._streamable_app: Any = None
        self._sse_app: Any = None

    # ---- registration ---------------------------------------------------------------
    def tool(self, fn: Any = None, /, **options: Any) -> Any:
        """Register a tool: `@server.tool`, `@server.tool()`, `@server.tool(name=...)`."""
        return named_decorator(lambda f, o: self.add_tool(f, **o), fn, options)

    def add_tool(self, fn: Callable[..., Any], **options: Any) -> Tool:
        tool = make_tool(fn, **options)
        self._tools[tool.name] = tool
        self._changed("tools")
        return tool

    def remove_tool(self, name: str) -> None:
        if self._tools.pop(name, None) is not None:
            self._changed("tools")

    def resource(self, uri: str, /, **options: Any) -> Callable[[F], F]:
        """Register a resource at `uri`; `{placeholders}` make it a template."""
        if callable(uri):
            raise TypeError("@server.resource needs a URI: @server.resource('scheme://path')")

        def register(f: F) -> F:
            self.add_resource(f, uri, **options)
            return f

        return register

    def add_resource(self, fn: Callable[..., Any], uri: str, **options: Any) -> Resource:
        if "mimeType" in options:
            options["mime_type"] = options.pop("mimeType")
        resource = make_resource(fn, uri, **options)
        if resource.is_template:
            self._templates[uri] = resource
        else:
            self._resources[uri] = resource
        self._changed("resources")
        return resource

    def remove_resource(self, uri: str) -> None:
        if self._resources.pop(uri, None) or self._templates.pop(uri, None):
            self._changed("resources")

    def prompt(self, fn: Any = None, /, **options: Any) -> Any:
        """Register a prompt: `@server.prompt`, `@server.prompt()`, `@server.prompt(name=...)`."""
        return named_decorator(lambda f, o: self.add_prompt(f, **o), fn, options)

    def add_prompt(self, fn: Callable[..., Any], **options: Any) -> Prompt:
        prompt = make_prompt(fn, **options)
        self._prompts[prompt.name] = prompt
        self._changed("prompts")
        return prompt

    def remove_prompt(self, name: str) -> None:
        if self._prompts.pop(name, None) is not None:
            self._changed("prompts")

    def include_router(self, router: Any, prefix: str = "") -> None:
        """Add the tools, resources and prompts of an `MCPRouter`; names get `prefix`."""
        router.apply(self, prefix)

    def completion(self, fn: Any = None, /) -> Any:
        """Register the `completion/complete` handler: `handler(ref, argument, context)`."""

        def register(f: F) -> F:
            self._completion = f
            return f

        return register(fn) if callable(fn) else register

    def on_notification(self, method: str) -> Callable[[F], F]:
        """Handle a client notification, e.g. `notifications/roots/list_changed`."""

        def register(f: F) -> F:
            self._notification_handlers[method] = f
            return f

        return register

    def custom_route(
        self,
        path: str,
        methods: list[str] | None = None,
        *,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[F], F]:
        """Serve a plain HTTP route beside the MCP endpoint (health checks and the like)."""

        def register(f: F) -> F:
            self._custom_routes.append((path, f, methods or ["GET"], name))
            self._app = None
            return f

        return register

    # ---- change notifications -------------------------------------------------------
    def _changed(self, kind: str) -> None:
        if not (self._hub.sessions or self._hub.listeners or self._hub.relay):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._hub.list_changed(kind))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def notify_resource_updated(self, uri: str) -> asyncio.Future[None] | None:
        """Tell every client subscribed to `uri` that it changed (await it, or not)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return loop.create_task(self._hub.resource_updated(uri))

    async def notify_list_changed(self, kind: str) -> None:
        """Announce a change to the `tools`, `resources` or `prompts` list."""
        await self._hub.list_changed(kind)

    async def _on_notification(self, message: jsonrpc.Message, session: ServerSession) -> None:
        method = message["method"]
        params = message.get("params") or {}
        if method == "notifications/initialized":
            session.initialized = True
        elif method == "notifications/cancelled":
            if not session.cancel(params.get("requestId")) and self.state is not None and self.state.ready:
                # The request may run in another process.
                await self.state.broadcast({"t": "cancel", "sid": session.id, "rid": params.get("requestId")})
        elif method == "notifications/progress" and session.correlator is not None:
            await session.correlator.progress(params)
        handler = self._notification_handlers.get(method)
        if handler is not None:
            outcome = handler(params)
            if inspect.isawaitable(outcome):
                await outcome

    # ---- operations: health and metrics ----------------------------------------------
    async def ready(self) -> bool:
        """Readiness: this process can serve (its shared state, when configured, answers)."""
        if self.state is None:
            return True
        if not self.state.ready and await self.http_transport()._start_shared() is not None:
            return False
        return bool(await self.state.healthy())

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
        transport = self.http_transport()
        rows = [
            ("sessions_open", "gauge", "Legacy-era sessions held by this process.", len(transport.sessions)),
            ("sessions_evicted_total", "counter", "Sessions dropped for idleness.", transport.evicted),
            ("sessions_rejected_total", "counter", "initialize refused at max_sessions.", transport.rejected),
        ]
        if self.state is not None:
            rows.append(
                ("sessions_loaded_total", "counter", "Sessions loaded from shared state.", transport.loaded)
            )
            rows.append(
                (
                    "responses_routed_total",
                    "counter",
                    "Client answers forwarded to the process whose request waits for them.",
                    transport.routed,
                )
            )
            up = 1 if self.state.ready and await self.state.healthy() else 0
            rows.append(("shared_state_up", "gauge", "1 when the shared state answers.", up))
        lines = []
        for name, kind, help_text, value in rows:
            lines += [
                f"# HELP mcp_use_{name} {help_text}",
                f"# TYPE mcp_use_{name} {kind}",
                f"mcp_use_{name} {value}",
            ]
        return "\n".join(lines) + "\n"

    # ---- apps and running -----------------------------------------------------------
    @property
    def app(self) -> Any:
        """The ASGI application with every route: MCP, legacy SSE, custom and debug routes."""
        if self._app is None:
            from .http.app import build_app

            self._app = build_app(self, mcp=True, sse=True)
        return self._app

    def streamable_http_app(self) -> Any:
        """A Starlette app serving the MCP endpoint (and custom/debug routes).

        Built once: middleware added to it (CORS, ...) is kept, and
        `run(transport="streamable-http")` serves this app once it exists.
        """
        if self._streamable_app is None:
            from .http.app import build_app

            self._streamable_app = build_app(self, mcp=True, sse=False)
        return self._streamable_app

    def sse_app(self) -> Any:
        """A Starlette app serving the legacy HTTP+SSE transport (and custom/debug routes).

        Built once, like `streamable_http_app()`; `run(transport="sse")` serves it.
        """
        if self._sse_app is None:
            from .http.app import build_app

            self._sse_app = build_app(self, mcp=False, sse=True)
        return self._sse_app

    def http_transport(self) -> Any:
        if self._http is None:
            from .transports.streamable_http import StreamableHTTPTransport

            self._http = StreamableHTTPTransport(self)
        return self._http

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
        from .runner import run

        run(
            self,
            transport,
            host=host,
            port=port,
            reload=reload,
            workers=workers,
            log_level=log_level,
            **uvicorn_options,
        )

    async def run_stdio_async(self) -> None:
        from .transports.stdio import serve_stdio

        await serve_stdio(self)

    def __repr__(self) -> str:
        return f"MCPServer(name={self.name!r}, tools={len(self._tools)})"


__all__ = ["LEGACY_VERSIONS", "MCPServer"]
