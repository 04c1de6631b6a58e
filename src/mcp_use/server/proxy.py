"""A proxy: this server's front (any transport, either era, its auth, paths and limits)
in front of another MCP server, reached with our `MCPClient` (`proxy_target.py`).

`ProxyLayer.layer` is an engine layer (`Engine.add_layer`): lists are the front's own
items followed by the target's; a call the front cannot serve itself is forwarded.
What the target sends back travels to the client of the front request in flight:
progress and log messages, and its requests (elicitation, sampling, roots). On a
legacy front those become server-to-client requests. On a 2026-07-28 front the call to
the target is parked: the front request ends with an input-required round under the
target's own input keys, and the retry that carries the answers resumes the same parked
call (`proxy_rounds.py`). With several calls in flight at once, each request of the
target goes to the call it belongs to (`proxy_routing.py`). A 2026-07-28 target is told
the real client's capabilities with each forwarded request, so it asks only for what
that client can answer.
List changes and resource updates of the target are announced by the front; the target
is subscribed to what the front's clients subscribe to or listen for (`proxy_listen.py`).
A task-augmented call runs as a task on the target, and the front's `tasks/*` about it
reach that task (`proxy_tasks.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..protocol.versions import META_CLIENT_CAPABILITIES
from .http.headers import check_params
from .proxy_listen import TargetSubscriptions
from .proxy_rounds import ParkedCalls
from .proxy_routing import FrontCall, Routing
from .proxy_target import ProxyTarget
from .proxy_task_news import TaskNews
from .proxy_tasks import TASK_METHODS, ProxyTasks, asks_for_task
from .request import ServerRequest
from .tasks.handlers import TASKS_EXTENSION

if TYPE_CHECKING:
    from .core import ServerCore

log = logging.getLogger("mcp_use.server.proxy")
Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
LISTS = {
    "tools/list": ("tools", "tools"),
    "prompts/list": ("prompts", "prompts"),
    "resources/list": ("resources", "resources"),
    "resources/templates/list": ("resourceTemplates", "templates"),
}
INTERACTIVE = {"tools/call": "tools", "prompts/get": "prompts"}
FRONT_ONLY = ("requestState", "inputResponses")


class ProxyLayer:
    def __init__(
        self, core: ServerCore, entry: Any, *, timeout: float | None = 300.0, input_timeout: float = 300.0
    ) -> None:
        self.core = core
        self.input_timeout = input_timeout
        self.routing = Routing(input_timeout)
        self.rounds = ParkedCalls(input_timeout)
        self.target = ProxyTarget(
            entry,
            timeout=timeout,
            callbacks={
                "elicitation_callback": self._elicit,
                "sampling_callback": self._sample,
                "list_roots_callback": self._roots,
                "logging_callback": self._log,
                "list_changed_callback": self._target_list_changed,
                "resource_updated_callback": core.resource_updated,
                "message_handler": self._heard,
            },
        )
        self.subscriptions = TargetSubscriptions(self.target)
        self.news = TaskNews(self.target, core.hub.task_status)
        self.tasks = ProxyTasks(self.target, self.routing, core.engine.methods, self.news)
        core.engine.listen_observers.append(self.subscriptions.observe)
        core.engine.listen_observers.append(self.news.observe)

    async def _heard(self, message: dict[str, Any]) -> None:
        await self.news.heard(message)

    def _target_list_changed(self, kind: str) -> None:
        if kind == "tools":
            self.target.forget_tools()
        self.core.announce(kind)

    # ---- the layer ----------------------------------------------------------------
    def layer(self, method: str, handler: Handler, modern: bool) -> Handler:
        if method in LISTS:
            return self._list(method, handler)
        if method in INTERACTIVE:
            return self._interactive(method, handler)
        if method == "resources/read":
            return self._read(handler)
        if method == "completion/complete":
            return self._complete(handler)
        if method in ("logging/setLevel", "resources/subscribe", "resources/unsubscribe"):
            return self._also(method, handler)
        if method in TASK_METHODS:
            return self.tasks.layer(method, handler)
        return handler

    def _list(self, method: str, handler: Handler) -> Handler:
        key, registry = LISTS[method]

        async def merged(req: ServerRequest) -> dict[str, Any]:
            own = await handler(req) if len(getattr(self.core.features, registry)) else {key: []}
            if own.get("nextCursor") is not None:
                return own
            return {key: [*(own.get(key) or []), *await self.target.list_all(method, key)]}

        return merged

    def _interactive(self, method: str, handler: Handler) -> Handler:
        registry = getattr(self.core.features, INTERACTIVE[method])

        async def forward(req: ServerRequest) -> dict[str, Any]:
            if req.params.get("name") in registry:
                return await handler(req)  # one of the front's own
            if method == "tools/call" and req.modern and req.headers is not None:
                await self._check_headers(req)
            if req.modern:
                return await self._modern_round(method, req)
            return await self._send(method, req.params, FrontCall(req, self.core.engine.methods))

        return forward

    async def _check_headers(self, req: ServerRequest) -> None:
        """A 2026-07-28 HTTP call of a target tool: its `Mcp-Param-*` headers must say what
        its arguments say, as for the front's own tools (the transport checks those)."""
        schema = await self.target.tool_schema(req.params.get("name"))
        arguments = req.params.get("arguments")
        if schema is not None:
            check_params(arguments if isinstance(arguments, dict) else {}, req.headers, schema)

    def _read(self, handler: Handler) -> Handler:
        from .mount import serves

        async def forward(req: ServerRequest) -> dict[str, Any]:
            uri = req.params.get("uri")
            if isinstance(uri, str) and serves(self.core, uri):
                return await handler(req)
            return await self.target.request("resources/read", target_params(req.params))

        return forward

    def _complete(self, handler: Handler) -> Handler:
        async def forward(req: ServerRequest) -> dict[str, Any]:
            ref = req.params.get("ref")
            name = ref.get("name") if isinstance(ref, dict) else None
            if name is not None and name in self.core.features.prompts:
                return await handler(req)
            return await self.target.request("completion/complete", target_params(req.params))

        return forward

    def _also(self, method: str, handler: Handler) -> Handler:
        """Done on the front (its session's level, its subscriptions) and on the target."""

        async def both(req: ServerRequest) -> dict[str, Any]:
            result = await handler(req)
            uri = req.params.get("uri")
            if method == "resources/subscribe" and isinstance(uri, str):
                await self.subscriptions.add(uri)
            elif method == "resources/unsubscribe" and isinstance(uri, str):
                await self.subscriptions.remove(uri)
            else:
                await self.target.apply(method, req.params)
            return result

        return both

    # ---- forwarding a call ----------------------------------------------------------
    async def _send(self, method: str, params: dict[str, Any], call: FrontCall) -> dict[str, Any]:
        async def progress(value: float, total: float | None, message: str | None) -> None:
            await call.ctx.report_progress(value, total, message)

        options: dict[str, Any] = {}
        if call.req.log_level is not None:  # 2026-07-28 front: logs are asked for per request
            await self.target.apply("logging/setLevel", {"level": call.req.log_level})
        era = (await self.target.session()).era
        if method == "tools/call" and asks_for_task(call.req, era):
            return await self.tasks.start(call.req, target_params(params), call)
        if call.req.progress_token is not None:
            options["progress_callback"] = progress
        sent = target_params(params)
        if era == "modern":  # the target sees what the real client can answer, per request
            responses = params.get("inputResponses")
            if isinstance(responses, dict) and responses:  # answers given up front: the target's to use
                sent["inputResponses"] = responses
            sent["_meta"] = {
                **(sent.get("_meta") or {}),
                META_CLIENT_CAPABILITIES: front_capabilities(call.req),
            }
        with self.routing.running(call):
            return await self.target.request(method, sent, **options)

    async def _modern_round(self, method: str, req: ServerRequest) -> dict[str, Any]:
        return await self.rounds.round(
            req, self.core.engine.methods, lambda call: self._send(method, req.params, call)
        )

    # ---- what the target asks of the client ----------------------------------------
    async def _ask(self, method: str, params: dict[str, Any]) -> Any:
        return await self.routing.ask(method, params)

    async def _elicit(self, session: Any, params: Any) -> Any:
        return await self._ask("elicitation/create", params.to_wire())

    async def _sample(self, session: Any, params: Any) -> Any:
        return await self._ask("sampling/createMessage", params.to_wire())

    async def _roots(self, session: Any, params: Any) -> Any:
        answer = await self._ask("roots/list", params if isinstance(params, dict) else {})
        return answer.get("roots", []) if isinstance(answer, dict) else []

    async def _log(self, session: Any, message: Any) -> None:
        await self.routing.log(message.to_wire())

    async def close(self) -> None:
        self.rounds.close()
        self.tasks.close()
        await self.target.close()


def front_capabilities(req: ServerRequest) -> dict[str, Any]:
    """The front client's capabilities, as the proxy's request to a 2026-07-28 target
    declares them: what it cannot answer the target must not ask. The tasks extension is
    left out (a call that runs as a task goes through `proxy_tasks`)."""
    caps = dict(req.client_capabilities or {})
    extensions = caps.get("extensions")
    if isinstance(extensions, dict) and TASKS_EXTENSION in extensions:
        kept = {k: v for k, v in extensions.items() if k != TASKS_EXTENSION}
        if kept:
            caps["extensions"] = kept
        else:
            caps.pop("extensions")
    return caps


def target_params(params: dict[str, Any]) -> dict[str, Any]:
    """The front request's params without what belongs to the front: its input-round
    fields and its `_meta` protocol keys (the client adds its own)."""
    out = {k: v for k, v in params.items() if k not in FRONT_ONLY}
    meta = out.get("_meta")
    if isinstance(meta, dict):
        kept = {
            k: v
            for k, v in meta.items()
            if k != "progressToken" and not k.startswith("io.modelcontextprotocol/")
        }
        if kept:
            out["_meta"] = kept
        else:
            out.pop("_meta")
    return out
