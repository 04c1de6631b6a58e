"""The server's protocol engine: one dispatcher for both eras and every transport.

Transports turn bytes into message dicts and a `ServerRequest`; the engine answers it
with a response dict. Nothing here knows about HTTP or stdio.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..protocol import jsonrpc
from ..protocol.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    RESOURCE_NOT_FOUND_LEGACY,
    UNSUPPORTED_PROTOCOL_VERSION,
    MCPError,
)
from ..protocol.versions import (
    LEGACY_VERSIONS,
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    META_SERVER_INFO,
    MODERN_VERSIONS,
    SUPPORTED_VERSIONS,
    negotiate_legacy,
)
from .context import Context
from .mrtr import InputRequired, RoundState
from .request import ServerRequest, Sink
from .session import LOG_RANK, ServerSession
from .tasks import TaskHandlers, TaskSettings
from .tools import Tool, ToolError, error_result

if TYPE_CHECKING:
    from .server import MCPServer

log = logging.getLogger("mcp_use.server")
request_log = logging.getLogger("mcp_use.server.requests")

Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
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
ROUND_TRIP_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})


class Engine:
    def __init__(self, server: MCPServer) -> None:
        self.server = server
        common: dict[str, Handler] = {
            "tools/list": self._tools_list,
            "tools/call": self._tools_call,
            "resources/list": self._resources_list,
            "resources/templates/list": self._templates_list,
            "resources/read": self._resources_read,
            "prompts/list": self._prompts_list,
            "prompts/get": self._prompts_get,
            "completion/complete": self._complete,
        }
        self.legacy_handlers: dict[str, Handler] = {
            **common,
            "ping": self._ping,
            "logging/setLevel": self._set_level,
            "resources/subscribe": self._subscribe,
            "resources/unsubscribe": self._unsubscribe,
        }
        self.modern_handlers: dict[str, Handler] = {**common, "server/discover": self._discover}
        self.tasks = TaskHandlers(getattr(server, "task_settings", None) or TaskSettings(), server.state)
        self.legacy_handlers.update(self.tasks.methods(modern=False))
        self.modern_handlers.update(self.tasks.methods(modern=True))

    # ---- identity -------------------------------------------------------------------
    def capabilities(self, *, modern: bool) -> dict[str, Any]:
        server = self.server
        caps: dict[str, Any] = {
            "tools": {"listChanged": True},
            "resources": {"subscribe": True, "listChanged": True},
            "prompts": {"listChanged": True},
            "logging": {},
        }
        if server._completion is not None:
            caps["completions"] = {}
        self.tasks.advertise(caps, modern=modern)
        if server.extra_capabilities:
            caps.update(server.extra_capabilities)
        return caps

    def initialize(
        self, params: dict[str, Any], session_id: str | None
    ) -> tuple[ServerSession, dict[str, Any]]:
        """Answer a legacy `initialize`: the session it opens and the result to send."""
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise MCPError(INVALID_PARAMS, "initialize: protocolVersion is required")
        version = negotiate_legacy(requested)
        session = ServerSession(session_id, version, params)
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self.capabilities(modern=False),
            "serverInfo": self.server.info,
        }
        if self.server.instructions:
            result["instructions"] = self.server.instructions
        return session, result

    # ---- building requests ----------------------------------------------------------
    def modern_request(
        self,
        message: jsonrpc.Message,
        *,
        sink: Sink | None = None,
        headers: Any = None,
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
        if level is not None and level not in LOG_RANK:
            raise MCPError(INVALID_PARAMS, f"Invalid log level: {level!r}", http_status=400)
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
        sink: Sink | None = None,
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
        return method in (self.modern_handlers if modern else self.legacy_handlers)

    async def handle(self, req: ServerRequest) -> jsonrpc.Message:
        """Serve one request; always returns a response message (result or error)."""
        handlers = self.modern_handlers if req.modern else self.legacy_handlers
        handler = handlers.get(req.method)
        started = time.perf_counter()
        try:
            if handler is None:
                raise MCPError(METHOD_NOT_FOUND, f"Method not found: {req.method}")
            if req.modern and req.method in ROUND_TRIP_METHODS:
                result = await self._with_rounds(req, handler)
            else:
                result = await handler(req)
            if req.modern:
                result = self._modern_result(req.method, result)
            response = jsonrpc.result(req.id, result)
            status = "error" if result.get("isError") else result.get("resultType", "ok")
        except MCPError as exc:
            response = jsonrpc.error_from(req.id, exc)
            status = f"error {exc.code}"
        except InputRequired:
            response = jsonrpc.error(req.id, INVALID_REQUEST, f"{req.method} cannot ask the client for input")
            status = "error"
        except Exception as exc:
            log.exception("Unhandled error in %s", req.method)
            response = jsonrpc.error(req.id, INTERNAL_ERROR, f"Internal error: {type(exc).__name__}")
            status = "error"
        if request_log.isEnabledFor(logging.INFO):
            self._log_request(req, status, started)
        return response

    def _log_request(self, req: ServerRequest, status: str, started: float) -> None:
        params = req.params
        name = params.get("name") or params.get("uri") or ""
        session = req.session.id[:8] if req.session is not None and req.session.id else "-"
        era = "modern" if req.modern else "legacy"
        request_log.info(
            "%s %s %s session=%s era=%s %.1fms",
            req.method,
            name,
            status,
            session,
            era,
            (time.perf_counter() - started) * 1000,
        )

    def _modern_result(self, method: str, result: dict[str, Any]) -> dict[str, Any]:
        result.setdefault("resultType", "complete")
        if method in CACHEABLE and result["resultType"] == "complete":
            result.setdefault("ttlMs", self.server.cache_ttl_ms)
            result.setdefault("cacheScope", self.server.cache_scope)
        meta = result.get("_meta")
        if meta is None:
            result["_meta"] = {META_SERVER_INFO: self.server.info}
        elif isinstance(meta, dict) and META_SERVER_INFO not in meta:
            meta[META_SERVER_INFO] = self.server.info
        return result

    async def _with_rounds(self, req: ServerRequest, handler: Handler) -> dict[str, Any]:
        params = req.params
        target = params.get("name") or params.get("uri") or ""
        arguments = params.get("arguments")
        sealer = self.server._sealer
        answers: dict[str, Any] = {}
        state = params.get("requestState")
        if state is not None:
            answers = sealer.open(state, req.method, str(target), arguments)
        responses = params.get("inputResponses")
        if responses is None and "inputResponses" in params:
            raise MCPError(INVALID_PARAMS, "inputResponses must be an object, not null")
        if responses is not None:
            if not isinstance(responses, dict) or not all(isinstance(v, dict) for v in responses.values()):
                raise MCPError(INVALID_PARAMS, "inputResponses must map request keys to result objects")
            answers = {**answers, **responses}
        req.round = RoundState(answers)
        try:
            return await handler(req)
        except InputRequired:
            # Calls awaited together (asyncio.gather) register their requests on the
            # next turns of the loop: give them those turns, then ask for all at once.
            for _ in range(3):
                await asyncio.sleep(0)
            round_ = req.round
            kept = {k: v for k, v in answers.items() if k not in round_.requests}
            return {
                "resultType": "input_required",
                "inputRequests": round_.requests,
                "requestState": sealer.seal(req.method, str(target), arguments, kept),
            }

    # ---- legacy-only methods --------------------------------------------------------
    async def _ping(self, req: ServerRequest) -> dict[str, Any]:
        return {}

    async def _set_level(self, req: ServerRequest) -> dict[str, Any]:
        level = req.params.get("level")
        if level not in LOG_RANK:
            raise MCPError(INVALID_PARAMS, f"Invalid log level: {level!r}")
        if req.session is not None:
            req.session.log_level = level
        return {}

    async def _subscribe(self, req: ServerRequest) -> dict[str, Any]:
        uri = req.params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "resources/subscribe: uri must be a string")
        if req.session is not None:
            if req.session.subscriptions is None:
                req.session.subscriptions = set()
            req.session.subscriptions.add(uri)
            self.server._hub.watch(req.session)
        return {}

    async def _unsubscribe(self, req: ServerRequest) -> dict[str, Any]:
        uri = req.params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "resources/unsubscribe: uri must be a string")
        if req.session is not None and req.session.subscriptions:
            req.session.subscriptions.discard(uri)
        return {}

    # ---- modern-only methods --------------------------------------------------------
    async def _discover(self, req: ServerRequest) -> dict[str, Any]:
        result: dict[str, Any] = {
            "supportedVersions": list(MODERN_VERSIONS + LEGACY_VERSIONS),
            "capabilities": self.capabilities(modern=True),
            "serverInfo": self.server.info,
        }
        if self.server.instructions:
            result["instructions"] = self.server.instructions
        return result

    # ---- tools ----------------------------------------------------------------------
    async def _tools_list(self, req: ServerRequest) -> dict[str, Any]:
        tools = self.server._tools
        return self._page(req, "tools", [t.wire for t in tools.values()])

    async def _tools_call(self, req: ServerRequest) -> dict[str, Any]:
        params = req.params
        name = params.get("name")
        if not isinstance(name, str):
            raise MCPError(INVALID_PARAMS, "tools/call: params.name must be a string")
        tool = self.server._tools.get(name)
        if tool is None:
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {name}")
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        elif not isinstance(arguments, dict):
            raise MCPError(INVALID_PARAMS, "tools/call: params.arguments must be an object")
        try:
            kwargs = tool.bind(arguments)
        except ToolError as exc:
            return error_result(str(exc))
        if tool.context_param is not None:
            kwargs[tool.context_param] = Context(req, self.server)
        if tool.task:
            return await self.tasks.call(req, tool, kwargs, lambda kw: self._run_tool(tool, kw))
        return await self._run_tool(tool, kwargs)

    async def _run_tool(self, tool: Tool, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Call the function; its exceptions become `isError` results (an MCPError stays one)."""
        try:
            value = await tool.run(kwargs)
        except ToolError as exc:
            return error_result(str(exc))
        except MCPError:
            raise
        except Exception as exc:
            if self.server.mask_errors:
                log.exception("Tool %s failed", tool.name)
                return error_result(f"Error executing tool {tool.name}")
            log.debug("Tool %s failed", tool.name, exc_info=True)
            return error_result(f"Error executing tool {tool.name}: {exc}")
        return tool.to_result(value)

    # ---- resources ------------------------------------------------------------------
    async def _resources_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "resources", [r.wire for r in self.server._resources.values()])

    async def _templates_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "resourceTemplates", [t.wire for t in self.server._templates.values()])

    async def _resources_read(self, req: ServerRequest) -> dict[str, Any]:
        uri = req.params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "resources/read: params.uri must be a string")
        return await self.read_resource(uri, req)

    async def read_resource(self, uri: str, req: ServerRequest) -> dict[str, Any]:
        server = self.server
        resource = server._resources.get(uri)
        values: dict[str, str] | None = {} if resource is not None else None
        if resource is None:
            for template in server._templates.values():
                values = template.match(uri)
                if values is not None:
                    resource = template
                    break
        if resource is None or values is None:
            code = INVALID_PARAMS if req.modern else RESOURCE_NOT_FOUND_LEGACY
            raise MCPError(code, f"Resource not found: {uri}", {"uri": uri})
        kwargs = resource.bind(values) if resource.is_template else {}
        if resource.signature.context_param is not None:
            kwargs[resource.signature.context_param] = Context(req, server)
        value = resource.fn(**kwargs)
        if inspect.isawaitable(value):
            value = await value
        return {"contents": resource.contents(uri, value)}

    # ---- prompts --------------------------------------------------------------------
    async def _prompts_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "prompts", [p.wire for p in self.server._prompts.values()])

    async def _prompts_get(self, req: ServerRequest) -> dict[str, Any]:
        name = req.params.get("name")
        if not isinstance(name, str):
            raise MCPError(INVALID_PARAMS, "prompts/get: params.name must be a string")
        prompt = self.server._prompts.get(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name}")
        arguments = req.params.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise MCPError(INVALID_PARAMS, "prompts/get: params.arguments must be an object")
        kwargs = prompt.bind(arguments)
        if prompt.signature.context_param is not None:
            kwargs[prompt.signature.context_param] = Context(req, self.server)
        value = prompt.fn(**kwargs)
        if inspect.isawaitable(value):
            value = await value
        return prompt.to_result(value)

    # ---- completion -----------------------------------------------------------------
    async def _complete(self, req: ServerRequest) -> dict[str, Any]:
        handler = self.server._completion
        params = req.params
        ref = params.get("ref")
        argument = params.get("argument")
        if not isinstance(ref, dict) or not isinstance(argument, dict):
            raise MCPError(INVALID_PARAMS, "completion/complete: ref and argument are required")
        if handler is None:
            return {"completion": {"values": [], "total": 0, "hasMore": False}}
        from ..protocol.types import (
            Completion,
            CompletionArgument,
            CompletionContext,
            PromptReference,
            ResourceReference,
        )

        ref_model: Any = (
            PromptReference.model_validate(ref)
            if ref.get("type") == "ref/prompt"
            else ResourceReference.model_validate(ref)
        )
        context = CompletionContext.model_validate(params.get("context") or {})
        value = handler(ref_model, CompletionArgument.model_validate(argument), context)
        if inspect.isawaitable(value):
            value = await value
        if value is None:
            values: dict[str, Any] = {"values": []}
        elif isinstance(value, Completion):
            values = value.to_wire()
        elif isinstance(value, dict):
            values = value
        else:
            items = [str(v) for v in value]
            values = {"values": items[:100], "total": len(items), "hasMore": len(items) > 100}
        return {"completion": values}

    # ---- pagination -----------------------------------------------------------------
    def _page(self, req: ServerRequest, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        cursor = req.params.get("cursor")
        size = self.server.page_size
        start = 0
        if cursor is not None:
            try:
                start = int(base64.urlsafe_b64decode(str(cursor).encode()).decode())
                if start < 0 or start > len(items):
                    raise ValueError
            except (ValueError, UnicodeDecodeError):
                raise MCPError(INVALID_PARAMS, f"Invalid cursor: {cursor!r}") from None
        if size is None or size <= 0:
            return {key: items[start:] if start else items}
        end = start + size
        result: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            result["nextCursor"] = base64.urlsafe_b64encode(str(end).encode()).decode()
        return result
