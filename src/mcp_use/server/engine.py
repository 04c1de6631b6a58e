"""The server's protocol engine: one dispatcher for both eras and every transport.

Transports turn bytes into message dicts and a `ServerRequest`; the engine answers it
with a response dict. Every protocol method is implemented here once (`initialize`,
`server/discover`, `subscriptions/listen`, client notifications, the feature methods in
`methods.py`), and so are the input-required rounds and the sealing of `requestState`.
Nothing here knows about HTTP or stdio.

Seams for what plugs in next: `dispatch` is the one table per era (the `tasks/*`
methods of `tasks/` are entries in it, and `tools/call` hands task-capable tools to
them); `handle` is the one place a request passes. MCP-level middleware (`middleware.py`) and layers (a mounted server, a proxy) are composed into those tables
by `use` / `add_layer`, so with none installed a request costs nothing extra.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol import jsonrpc
from ..protocol.errors import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
    MCPError,
    brief,
)
from ..protocol.headers import NAMED_METHODS
from ..protocol.log_levels import LOG_RANK
from ..protocol.versions import (
    LEGACY_VERSIONS,
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    META_SERVER_INFO,
    META_SUBSCRIPTION_ID,
    MODERN_VERSIONS,
    SUPPORTED_VERSIONS,
    negotiate_legacy,
)
from .input_rounds import InputRequired, InputRound, StateSealer
from .methods import FeatureMethods
from .notifications import Hub, Listener
from .outcomes import failed, log_request
from .registry import Features
from .request import Peer, ServerRequest
from .session import MessageSink, ServerSession
from .settings import ServerSettings, TaskSettings
from .state import bus
from .tasks import TaskHandlers

log = logging.getLogger("mcp_use.server")

Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
Layer = Callable[[str, Handler, bool], Handler]
CACHEABLE = frozenset(
    {
        "tools/list",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "server/discover",
    }
)
# Methods whose handler may ask the client for input (an input-required round on 2026-07-28).
INPUT_ROUND_METHODS = frozenset(NAMED_METHODS)
LISTEN_FLAGS = (
    ("toolsListChanged", "tools"),
    ("promptsListChanged", "prompts"),
    ("resourcesListChanged", "resources"),
)


class Engine:
    def __init__(
        self,
        settings: ServerSettings,
        features: Features,
        hub: Hub,
        sealer: StateSealer,
        state: Any = None,
    ) -> None:
        self.settings = settings
        self.identity = settings.identity
        self.caching = settings.caching
        self.features = features
        self.hub = hub
        self.sealer = sealer
        self.state = state
        self.tasks = TaskHandlers(settings.tasks or TaskSettings(), state, hub.task_status)
        self.methods = m = FeatureMethods(features, settings.limits, hub, self.tasks, settings.debug_level)
        common: dict[str, Handler] = {
            "tools/list": m.tools_list,
            "tools/call": m.tools_call,
            "resources/list": m.resources_list,
            "resources/templates/list": m.templates_list,
            "resources/read": m.resources_read,
            "prompts/list": m.prompts_list,
            "prompts/get": m.prompts_get,
            "completion/complete": m.complete,
        }
        self.legacy_handlers: dict[str, Handler] = {
            **common,
            "ping": m.ping,
            "logging/setLevel": m.set_level,
            "resources/subscribe": m.subscribe,
            "resources/unsubscribe": m.unsubscribe,
        }
        self.modern_handlers: dict[str, Handler] = {**common, "server/discover": self._discover}
        self.legacy_handlers.update(self.tasks.methods(modern=False))
        self.modern_handlers.update(self.tasks.methods(modern=True))
        # Answered by the transport holding a stream open, negotiated here (`listen`).
        self.streaming_methods = frozenset({"subscriptions/listen"})
        # Told of each listen opened (awaited before its acknowledgment) and ended: a
        # proxy subscribes its target to what the listens ask for.
        self.listen_observers: list[Callable[[Listener, bool], Awaitable[None] | None]] = []
        self.middleware: list[Any] = []
        self.layers: list[Layer] = []
        # Called after each change of the handlers (middleware, a layer): caches forget.
        self.watchers: list[Callable[[], None]] = []
        self._bare: tuple[dict[str, Handler], dict[str, Handler]] | None = None
        self._initialize_chain: Any = None
        self._notification_chain: Any = None

    # ---- middleware and layers ----------------------------------------------------------
    def use(self, middleware: Any) -> None:
        """Add MCP-level middleware (outermost last added runs innermost)."""
        self.middleware.append(middleware)
        self._compose()

    def add_layer(self, layer: Layer) -> None:
        """Wrap every handler: `layer(method, handler, modern)` returns the handler to use.
        Layers sit under the middleware, so middleware sees what the client sent."""
        self.layers.append(layer)
        self._compose()

    def _compose(self) -> None:
        from .middleware import hooks_for, wrap_handler

        if self._bare is None:
            self._bare = (dict(self.legacy_handlers), dict(self.modern_handlers))
        for table, bare, modern in (
            (self.legacy_handlers, self._bare[0], False),
            (self.modern_handlers, self._bare[1], True),
        ):
            for method, handler in bare.items():
                for layer in self.layers:
                    handler = layer(method, handler, modern)
                table[method] = wrap_handler(method, handler, self.middleware)
        self._initialize_chain = hooks_for(self.middleware, "initialize") or None
        self._notification_chain = hooks_for(self.middleware, "notification", request=False) or None
        for forget in self.watchers:
            forget()

    # ---- identity -------------------------------------------------------------------
    def capabilities(self, *, modern: bool) -> dict[str, Any]:
        """What this server offers; the same on both eras but for tasks (the spec's
        `tasks` capability on 2025-11-25, an extension on 2026-07-28)."""
        caps: dict[str, Any] = {
            "tools": {"listChanged": True},
            "resources": {"subscribe": True, "listChanged": True},
            "prompts": {"listChanged": True},
            "logging": {},
        }
        if self.features.completion is not None:
            caps["completions"] = {}
        self.tasks.advertise(caps, modern=modern)
        if self.identity.extra_capabilities:
            caps.update(self.identity.extra_capabilities)
        return caps

    async def initialize(
        self,
        params: dict[str, Any],
        session_id: str | None,
        stream: MessageSink | None = None,
        peer: Peer | None = None,
    ) -> tuple[ServerSession, dict[str, Any]]:
        """Answer a legacy `initialize`: the session it opens (notified from now on, on
        `stream` when the transport has a standalone channel) and the result to send.
        `peer` is what the transport knows of the client, for middleware."""
        if self._initialize_chain is None:
            return self._initialize(params, session_id, stream)
        from .middleware import run_initialize

        return await run_initialize(
            self._initialize_chain, params, lambda p: self._initialize(p, session_id, stream), peer
        )

    def _initialize(
        self, params: dict[str, Any], session_id: str | None, stream: MessageSink | None
    ) -> tuple[ServerSession, dict[str, Any]]:
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise MCPError(INVALID_PARAMS, "initialize: protocolVersion is required")
        version = negotiate_legacy(requested)
        session = ServerSession(session_id, version, params)
        session.stream = stream
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self.capabilities(modern=False),
            "serverInfo": self.identity.info,
        }
        if self.identity.instructions:
            result["instructions"] = self.identity.instructions
        self.hub.watch(session)
        return session, result

    async def _discover(self, req: ServerRequest) -> dict[str, Any]:
        result: dict[str, Any] = {
            "supportedVersions": list(MODERN_VERSIONS + LEGACY_VERSIONS),
            "capabilities": self.capabilities(modern=True),
            "serverInfo": self.identity.info,
        }
        if self.identity.instructions:
            result["instructions"] = self.identity.instructions
        return result

    # ---- building requests ----------------------------------------------------------
    def modern_request(
        self, message: jsonrpc.Message, *, sink: MessageSink | None = None, headers: Any = None
    ) -> ServerRequest:
        """Check a 2026-07-28 request's `_meta` and make its `ServerRequest`."""
        params = message.get("params")
        if params is None:
            params = {}
        meta = params.get("_meta")
        if not isinstance(meta, dict):
            raise MCPError(
                INVALID_PARAMS,
                f"Missing params._meta: a {MODERN_VERSIONS[0]} request must carry "
                f"'{META_PROTOCOL_VERSION}' and '{META_CLIENT_CAPABILITIES}' in _meta",
                http_status=400,
            )
        version = meta.get(META_PROTOCOL_VERSION)
        if not isinstance(version, str):
            raise MCPError(INVALID_PARAMS, f"Missing _meta['{META_PROTOCOL_VERSION}']", http_status=400)
        if version not in MODERN_VERSIONS:
            raise MCPError(
                UNSUPPORTED_PROTOCOL_VERSION,
                f"Unsupported protocol version: {version}",
                {"supported": list(SUPPORTED_VERSIONS), "requested": version},
                http_status=400,
            )
        capabilities = meta.get(META_CLIENT_CAPABILITIES)
        if not isinstance(capabilities, dict):
            raise MCPError(
                INVALID_PARAMS,
                f"Missing _meta['{META_CLIENT_CAPABILITIES}']: declare the client's "
                "capabilities (an empty object for none) on every request",
                http_status=400,
            )
        level = meta.get(META_LOG_LEVEL)
        if level is not None and (not isinstance(level, str) or level not in LOG_RANK):
            raise MCPError(INVALID_PARAMS, f"Invalid log level: {brief(level)}", http_status=400)
        return ServerRequest(
            message["id"],
            message["method"],
            params,
            modern=True,
            version=version,
            client_capabilities=capabilities,
            client_info=meta.get(META_CLIENT_INFO),
            sink=sink,
            log_level=level,
            headers=headers,
        )

    def legacy_request(
        self,
        message: jsonrpc.Message,
        session: ServerSession,
        *,
        sink: MessageSink | None = None,
        headers: Any = None,
    ) -> ServerRequest:
        return ServerRequest(
            message["id"],
            message["method"],
            message.get("params") or {},
            modern=False,
            version=session.protocol_version,
            client_capabilities=session.client_capabilities,
            client_info=session.client_info,
            session=session,
            sink=sink,
            headers=headers,
        )

    # ---- dispatch -------------------------------------------------------------------
    def knows(self, method: str, *, modern: bool) -> bool:
        if modern and method in self.streaming_methods:
            return True
        return method in (self.modern_handlers if modern else self.legacy_handlers)

    async def handle(self, req: ServerRequest) -> jsonrpc.Message:
        """Serve one request; always returns a response message (result or error)."""
        modern = req.modern
        handler = (self.modern_handlers if modern else self.legacy_handlers).get(req.method)
        started = time.perf_counter()
        status: str | None = None  # an error's; a result's is read only for the log line
        result: Any = None
        try:
            if handler is None:
                raise MCPError(METHOD_NOT_FOUND, f"Method not found: {req.method}")
            if not modern:
                result = await handler(req)
            elif req.method in INPUT_ROUND_METHODS:
                result = self.modern_result(req.method, await self._input_round(req, handler))
            else:
                result = self.modern_result(req.method, await handler(req))
            response = jsonrpc.result(req.id, result)
        except (Exception, InputRequired) as exc:  # never CancelledError: cancelled calls are not answered
            response, status = failed(req.id, req.method, exc)
        log_request(req.method, req.params, req.session, modern, status, result, started)
        return response

    def modern_result(self, method: str, result: dict[str, Any]) -> dict[str, Any]:
        """A 2026-07-28 result as sent: its `resultType`, caching hints and server info."""
        result.setdefault("resultType", "complete")
        if method in CACHEABLE and result["resultType"] == "complete":
            result.setdefault("ttlMs", self.caching.ttl_ms)
            result.setdefault("cacheScope", self.caching.scope)
        meta = result.get("_meta")
        if meta is None:
            result["_meta"] = {META_SERVER_INFO: self.identity.info}
        elif isinstance(meta, dict) and META_SERVER_INFO not in meta:
            meta[META_SERVER_INFO] = self.identity.info
        return result

    async def _input_round(self, req: ServerRequest, handler: Handler) -> dict[str, Any]:
        """Run `handler` with the answers of earlier rounds; when it asks for more, end
        this round with an `InputRequiredResult` and a sealed `requestState`."""
        params = req.params  # as the client sent them (middleware may swap req.params)
        arguments = params.get("arguments")
        answers: dict[str, Any] = {}
        state = params.get("requestState")
        if state is not None:
            target, principal = _round_key(req, params)
            answers = self.sealer.open(state, req.method, target, arguments, principal)
        responses = params.get("inputResponses")
        if responses is None and "inputResponses" in params:
            raise MCPError(INVALID_PARAMS, "inputResponses must be an object, not null")
        if responses is not None:
            if not isinstance(responses, dict) or not all(isinstance(v, dict) for v in responses.values()):
                raise MCPError(INVALID_PARAMS, "inputResponses must map request keys to result objects")
            answers = {**answers, **responses}
        req.round = InputRound(answers)
        try:
            return await handler(req)
        except InputRequired:
            # Calls awaited together (asyncio.gather) register their requests on the
            # next turns of the loop: give them those turns, then ask for all at once.
            for _ in range(3):
                await asyncio.sleep(0)
            round_ = req.round
            kept = {k: v for k, v in answers.items() if k not in round_.requests}
            target, principal = _round_key(req, params)
            return {
                "resultType": "input_required",
                "inputRequests": round_.requests,
                "requestState": self.sealer.seal(req.method, target, arguments, kept, principal),
            }

    # ---- subscriptions/listen (2026-07-28) ----------------------------------------------
    def agree_subscriptions(self, requested: Any) -> dict[str, Any]:
        """The notifications a listen asked for that this server can send, as acknowledged."""
        if not isinstance(requested, dict):
            return {}
        caps = self.capabilities(modern=True)
        agreed: dict[str, Any] = {}
        for flag, cap in LISTEN_FLAGS:
            if requested.get(flag) and cap in caps:
                agreed[flag] = True
        uris = requested.get("resourceSubscriptions")
        if isinstance(uris, list) and "resources" in caps:
            agreed["resourceSubscriptions"] = [u for u in uris if isinstance(u, str)]
        task_ids = requested.get("taskIds")
        if isinstance(task_ids, list):  # SEP-2663: notifications/tasks for these tasks
            agreed["taskIds"] = [t for t in task_ids if isinstance(t, str)]
        return agreed

    async def listen(self, req: ServerRequest, sink: MessageSink) -> Listener:
        """Open a `subscriptions/listen`: acknowledge the agreed notifications on `sink`,
        then deliver them there until `unlisten`."""
        agreed = await self.tasks.visible_only(req, self.agree_subscriptions(req.params.get("notifications")))
        listener = Listener(req.id, agreed, sink)
        for observe in self.listen_observers:
            outcome = observe(listener, True)
            if outcome is not None:
                await outcome
        await sink(
            jsonrpc.notification(
                "notifications/subscriptions/acknowledged",
                {"notifications": listener.filter, "_meta": {META_SUBSCRIPTION_ID: req.id}},
            )
        )
        self.hub.listen(listener)
        return listener

    def unlisten(self, listener: Listener) -> jsonrpc.Message:
        """End a listen; the final response, for a transport that sends one (stdio)."""
        self.hub.unlisten(listener)
        for observe in self.listen_observers:
            observe(listener, False)
        sid = listener.subscription_id
        return jsonrpc.result(sid, {"resultType": "complete", "_meta": {META_SUBSCRIPTION_ID: sid}})

    # ---- client notifications (legacy era) ----------------------------------------------
    async def notification(
        self, message: jsonrpc.Message, session: ServerSession, peer: Peer | None = None
    ) -> None:
        """A client notification of a legacy session (`peer`: the transport's view of
        the client, for middleware)."""
        if self._notification_chain is not None:
            from .middleware import run_notification

            await run_notification(self._notification_chain, message, session, self._notification, peer)
            return
        await self._notification(message, session)

    async def _notification(self, message: jsonrpc.Message, session: ServerSession) -> None:
        method = message["method"]
        params = message.get("params") or {}
        if method == "notifications/initialized":
            session.initialized = True
        elif method == "notifications/cancelled":
            state = self.state
            if not session.cancel(params.get("requestId")) and state is not None and state.ready:
                # The request may run in another process.
                await state.broadcast(bus.cancel(session.id, params.get("requestId")))
        elif method == "notifications/progress" and session.correlator is not None:
            await session.correlator.progress(params)
        await self._user_notification(method, params)

    async def modern_notification(
        self, message: jsonrpc.Message, peer: Peer | None = None, cancel: Callable[[Any], Any] | None = None
    ) -> None:
        """A 2026-07-28 client notification (no session): through the `on_notification`
        middleware to the server's handlers. Its one core kind, `notifications/cancelled`,
        stops a request through `cancel` where the transport names requests by id (stdio);
        on Streamable HTTP closing the request's stream is the cancellation instead."""

        async def deliver(delivered: jsonrpc.Message, _session: Any) -> None:
            params = delivered.get("params") or {}
            if delivered["method"] == "notifications/cancelled" and cancel is not None:
                cancel(params.get("requestId"))
            await self._user_notification(delivered["method"], params)

        if self._notification_chain is not None:
            from .middleware import run_notification

            await run_notification(self._notification_chain, message, None, deliver, peer)
            return
        await deliver(message, None)

    async def _user_notification(self, method: str, params: dict[str, Any]) -> None:
        handler = self.features.notification_handlers.get(method)
        if handler is not None:
            outcome = handler(params)
            if inspect.isawaitable(outcome):
                await outcome


def _round_key(req: ServerRequest, params: dict[str, Any]) -> tuple[str, str | None]:
    """What a `requestState` is sealed to besides the arguments: the call's target and,
    on a protected server, the caller (one principal's round cannot be finished by
    another). Worked out only when a round opens or ends a state: most calls never ask."""
    target = str(params.get(NAMED_METHODS[req.method]) or "")
    principal = req.access_token.principal if req.access_token is not None else None
    return target, principal
