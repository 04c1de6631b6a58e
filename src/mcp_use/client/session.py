"""`ClientSession`: typed calls to one server, on whichever protocol era it speaks.

The wire path moves plain dicts through the shared `Correlator`; a pydantic model is
built only for the result handed back to the caller. The era is settled once in
`connect()`: `mode="auto"` probes `server/discover` (2026-07-28) and falls back to the
`initialize` handshake on any answer a legacy server gives; `"legacy"` or a pinned
version skip the probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from ..protocol import jsonrpc
from ..protocol.correlator import Correlator, ProgressCallback, RequestTimeout
from ..protocol.errors import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
    MCPError,
)
from ..protocol.headers import encode_value, header_params, value_at
from ..protocol.types import (
    CallToolResult,
    CompleteResult,
    GetPromptResult,
    Implementation,
    LoggingMessage,
    Prompt,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    ServerCapabilities,
    Tool,
)
from ..protocol.versions import (
    LATEST_LEGACY,
    LATEST_MODERN,
    LEGACY_VERSIONS,
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    META_SERVER_INFO,
    MODERN_VERSIONS,
)
from . import callbacks as cb
from .errors import (
    ClientError,
    ConfigError,
    ConnectError,
    HTTPStatusError,
    RequestTimedOut,
    ServerDisconnected,
    ServerError,
)
from .transports.base import ClientTransport

log = logging.getLogger("mcp_use.client")

DEFAULT_CLIENT_INFO = {"name": "mcp-use", "version": "0.1.0"}
PROBE_TIMEOUT = 10.0
MAX_INPUT_ROUNDS = 16
MODERN_ERRORS = frozenset({HEADER_MISMATCH, MISSING_REQUIRED_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION})


class _FallBack(Exception):
    """The discover probe got an answer only a legacy server gives."""


class ClientSession:
    """A connection to one MCP server with typed methods for every client call."""

    def __init__(
        self,
        transport: ClientTransport,
        *,
        name: str | None = None,
        mode: str = "auto",
        timeout: float | None = 60.0,
        client_info: Mapping[str, Any] | None = None,
        sampling_callback: cb.Callback | None = None,
        elicitation_callback: cb.Callback | None = None,
        list_roots_callback: cb.Callback | None = None,
        roots: list[Any] | None = None,
        logging_callback: cb.Callback | None = None,
        message_handler: cb.Callback | None = None,
        list_changed_callback: cb.Callback | None = None,
        resource_updated_callback: cb.Callback | None = None,
        sse_fallback: Callable[[], ClientTransport] | None = None,
    ) -> None:
        self.name = name or transport.server
        self.transport = transport
        self.mode = mode
        self.timeout = timeout
        self.client_info = dict(client_info or DEFAULT_CLIENT_INFO)
        self._sampling = cb.adapt(sampling_callback)
        self._elicitation = cb.adapt(elicitation_callback)
        if list_roots_callback is None and roots is not None:
            fixed = list(roots)
            list_roots_callback = lambda _params: fixed  # noqa: E731
        self._roots = cb.adapt(list_roots_callback)
        self._logging = cb.adapt(logging_callback)
        self._message_handler = message_handler
        self._list_changed = list_changed_callback
        self._resource_updated = resource_updated_callback
        self._sse_fallback = sse_fallback
        self._correlator = Correlator(default_timeout=timeout)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._modern = False
        self._meta: dict[str, Any] = {}
        self._log_level: str | None = None
        self._tool_headers: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._invalid_tools: dict[str, str] = {}
        self._tools_listed = False
        self._listen_id: jsonrpc.RequestId | None = None
        self._subscriptions: list[str] = []
        self.connected = False
        self._closed = False
        self.protocol_version: str | None = None
        self.server_info: Implementation | None = None
        self.server_capabilities: ServerCapabilities = ServerCapabilities()
        self.instructions: str | None = None
        self.supported_versions: list[str] = []

    # ---- who we are -------------------------------------------------------------------
    @property
    def era(self) -> str:
        return "modern" if self._modern else "legacy"

    @property
    def capabilities(self) -> dict[str, Any]:
        caps: dict[str, Any] = {}
        if self._roots is not None:
            caps["roots"] = {"listChanged": True}
        if self._sampling is not None:
            caps["sampling"] = {}
        if self._elicitation is not None:
            caps["elicitation"] = {"form": {}, "url": {}}
        return caps

    # ---- connecting -------------------------------------------------------------------
    async def connect(self) -> ClientSession:
        """Open the transport and settle the protocol era; idempotent."""
        if self.connected:
            return self
        self.transport.bind(self)
        await self.transport.start()
        try:
            await self._negotiate()
        except BaseException:
            self._correlator.fail_all(ServerDisconnected(self.name, "connection abandoned"))
            with contextlib.suppress(Exception):
                await self.transport.close()
            raise
        self.connected = True
        if self._modern and (self._list_changed is not None or self._resource_updated is not None):
            await self._listen()
        return self

    initialize = connect

    async def _negotiate(self) -> None:
        mode = self.mode or "auto"
        if not self.transport.modern_capable:
            await self._handshake(mode if mode in LEGACY_VERSIONS else LATEST_LEGACY)
        elif mode == "legacy" or mode in LEGACY_VERSIONS:
            await self._handshake(LATEST_LEGACY if mode == "legacy" else mode)
        elif mode == "auto":
            try:
                await self._discover(LATEST_MODERN, fallback=True)
            except _FallBack as why:
                log.debug("[%s] no 2026-07-28 (%s); using the initialize handshake", self.name, why)
                self._set_legacy()
                await self._handshake(LATEST_LEGACY)
        elif mode == "modern" or mode in MODERN_VERSIONS:
            await self._discover(LATEST_MODERN if mode == "modern" else mode, fallback=False)
        else:
            raise ConfigError(
                f"mcpServers.{self.name}.mode: {mode!r} is not 'auto', 'legacy' or a known protocol "
                f"version ({', '.join((*MODERN_VERSIONS, *LEGACY_VERSIONS))})"
            )

    def _set_modern(self, version: str) -> None:
        self._modern = True
        self.protocol_version = version
        self.transport.protocol_version = version
        meta: dict[str, Any] = {
            META_PROTOCOL_VERSION: version,
            META_CLIENT_CAPABILITIES: self.capabilities,
            META_CLIENT_INFO: self.client_info,
        }
        if self._log_level is not None:
            meta[META_LOG_LEVEL] = self._log_level
        self._meta = meta

    def _set_legacy(self) -> None:
        self._modern = False
        self._meta = {}
        self.protocol_version = None
        self.transport.protocol_version = None

    async def _discover(self, version: str, *, fallback: bool) -> None:
        timeout = min(self.timeout or PROBE_TIMEOUT, PROBE_TIMEOUT) if fallback else self.timeout
        for attempt in range(3):
            self._set_modern(version)
            try:
                result = await self.request("server/discover", None, timeout=timeout)
            except RequestTimedOut as exc:
                if fallback:
                    raise _FallBack("server/discover timed out") from exc
                raise
            except HTTPStatusError as exc:
                if fallback and exc.status in (400, 404, 405):
                    raise _FallBack(f"HTTP {exc.status}") from exc
                raise
            except ServerError as exc:
                if exc.code == UNSUPPORTED_PROTOCOL_VERSION and attempt < 2:
                    supported = exc.data.get("supported") if isinstance(exc.data, dict) else None
                    ours = [v for v in MODERN_VERSIONS if isinstance(supported, list) and v in supported]
                    if ours:
                        version = ours[0]
                        continue
                    if fallback:
                        raise _FallBack("the server supports no modern version we speak") from exc
                if fallback and exc.code not in MODERN_ERRORS:
                    raise _FallBack(f"error {exc.code}: {exc.detail}") from exc
                raise
            supported = result.get("supportedVersions")
            supported = supported if isinstance(supported, list) else []
            if version not in supported:
                ours = [v for v in MODERN_VERSIONS if v in supported]
                if ours:
                    self._set_modern(ours[0])
                elif fallback:
                    raise _FallBack(f"server/discover lists {supported}")
                else:
                    raise ConnectError(
                        self.name, f"the server does not support {version} (it lists {supported})"
                    )
            self._adopt(result)
            self.supported_versions = [v for v in supported if isinstance(v, str)]
            return

    async def _handshake(self, version: str) -> None:
        self._set_legacy()
        params = {
            "protocolVersion": version,
            "capabilities": self.capabilities,
            "clientInfo": self.client_info,
        }
        try:
            result = await self.request("initialize", params)
        except HTTPStatusError as exc:
            if exc.status in (404, 405) and self._sse_fallback is not None:
                await self._switch_to_sse(exc)
                return
            raise
        negotiated = result.get("protocolVersion")
        if negotiated not in LEGACY_VERSIONS:
            raise ConnectError(
                self.name,
                f"the server chose protocol version {negotiated!r}, which this client does not speak",
            )
        self.protocol_version = negotiated
        self.transport.protocol_version = negotiated
        self._adopt(result)
        await self.notify("notifications/initialized")
        self.transport.on_initialized()

    async def _switch_to_sse(self, why: HTTPStatusError) -> None:
        """The server answered POST as an SSE-only server does: use the legacy SSE transport."""
        log.info("[%s] HTTP %s to POST: trying the legacy SSE transport", self.name, why.status)
        assert self._sse_fallback is not None
        old, self.transport = self.transport, self._sse_fallback()
        self._sse_fallback = None
        with contextlib.suppress(Exception):
            await old.close()
        self._correlator = Correlator(default_timeout=self.timeout)
        self.transport.bind(self)
        try:
            await self.transport.start()
        except ClientError as exc:
            raise ConnectError(
                self.name, f"POST answered HTTP {why.status} and the SSE fallback failed too: {exc.detail}"
            ) from None
        await self._handshake(self.mode if self.mode in LEGACY_VERSIONS else LATEST_LEGACY)

    def _adopt(self, result: dict[str, Any]) -> None:
        caps = result.get("capabilities")
        self.server_capabilities = ServerCapabilities.model_validate(caps if isinstance(caps, dict) else {})
        info = result.get("serverInfo")
        if not isinstance(info, dict):
            meta = result.get("_meta")
            info = meta.get(META_SERVER_INFO) if isinstance(meta, dict) else None
        if isinstance(info, dict):
            with contextlib.suppress(Exception):
                self.server_info = Implementation.model_validate(info)
        instructions = result.get("instructions")
        self.instructions = instructions if isinstance(instructions, str) else None

    # ---- the wire -----------------------------------------------------------------------
    def _with_meta(self, params: dict[str, Any] | None) -> dict[str, Any]:
        if params is None:
            return {"_meta": self._meta}
        params = dict(params)
        meta = params.get("_meta")
        params["_meta"] = {**self._meta, **meta} if isinstance(meta, dict) else self._meta
        return params

    async def _send(self, message: jsonrpc.Message) -> None:
        await self.transport.send(message)

    async def _send_with(self, headers: Mapping[str, str], message: jsonrpc.Message) -> None:
        await self.transport.send(message, headers)

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | Any | None = ...,
        progress_callback: ProgressCallback | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send any request and return its raw result dict (the typed methods build on this)."""
        if self._modern:
            params = self._with_meta(params)
        send = self._send if headers is None else partial(self._send_with, headers)
        try:
            return await self._correlator.request(
                send,
                method,
                params,
                timeout=timeout,
                on_progress=progress_callback,
                on_cancel=self._on_cancel,
            )
        except ClientError:
            raise
        except RequestTimeout as exc:
            raise RequestTimedOut(self.name, method, exc.timeout) from None
        except MCPError as exc:
            raise ServerError.wrap(self.name, exc) from None

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        if self._modern:
            params = self._with_meta(params)
        await self.transport.send(jsonrpc.notification(method, params))

    async def _on_cancel(self, request_id: jsonrpc.RequestId, reason: str) -> None:
        self.transport.cancel(request_id)
        if self._modern and self.transport.uses_headers:
            return  # on 2026-07-28 HTTP, closing the response stream is the cancellation
        self._spawn(
            self._quiet_notify("notifications/cancelled", {"requestId": request_id, "reason": reason})
        )

    async def _quiet_notify(self, method: str, params: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.notify(method, params), 5.0)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _rounds(
        self,
        method: str,
        params: dict[str, Any],
        *,
        timeout: Any = ...,
        progress_callback: ProgressCallback | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A request that may come back input-required (2026-07-28): answer and retry."""
        result = await self.request(
            method, params, timeout=timeout, progress_callback=progress_callback, headers=headers
        )
        rounds = 0
        while result.get("resultType") == "input_required":
            rounds += 1
            if rounds > MAX_INPUT_ROUNDS:
                raise ClientError(self.name, f"{method} still needs input after {MAX_INPUT_ROUNDS} rounds")
            asked = result.get("inputRequests")
            asked = asked if isinstance(asked, dict) else {}
            keys = list(asked)
            answers = await asyncio.gather(*(self._input_for(asked[k]) for k in keys))
            params = {k: v for k, v in params.items() if k not in ("inputResponses", "requestState")}
            params["inputResponses"] = dict(zip(keys, answers, strict=True))
            if "requestState" in result:
                params["requestState"] = result["requestState"]
            result = await self.request(
                method, params, timeout=timeout, progress_callback=progress_callback, headers=headers
            )
        return result

    async def _input_for(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            raise ClientError(self.name, f"the server sent a malformed input request: {request!r}")
        params = request.get("params")
        return await self._answer_input(request["method"], params if isinstance(params, dict) else {})

    async def _answer_input(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run the callback for one thing the server asked of us (either era)."""
        if method == "sampling/createMessage":
            if self._sampling is None:
                raise MCPError(METHOD_NOT_FOUND, "This client has no sampling_callback")
            value = await self._sampling(self, cb.CreateMessageRequestParams.model_validate(params))
            return cb.sampling_result(value)
        if method == "elicitation/create":
            if self._elicitation is None:
                raise MCPError(METHOD_NOT_FOUND, "This client has no elicitation_callback")
            value = await self._elicitation(self, cb.ElicitRequestParams.model_validate(params))
            return cb.elicitation_result(value, params)
        if method == "roots/list":
            if self._roots is None:
                raise MCPError(METHOD_NOT_FOUND, "This client exposes no roots")
            return cb.roots_result(await self._roots(self, params))
        if method == "ping":
            return {}
        raise MCPError(METHOD_NOT_FOUND, f"Method not found: {method}")

    # ---- the Receiver interface (called by the transport) ------------------------------
    async def feed(self, message: jsonrpc.Message) -> None:
        method = message.get("method")
        if method is None:
            if not self._correlator.resolve(message):
                log.debug("[%s] dropped a response nobody waits for: %r", self.name, message.get("id"))
            return
        if "id" in message:
            self._spawn(self._serve(message))
            return
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        try:
            await self._notification(method, params, message)
        except Exception:
            log.exception("[%s] a notification callback failed on %s", self.name, method)

    def fail(self, request_id: jsonrpc.RequestId, error: MCPError) -> None:
        self._correlator.fail(request_id, error)

    def closed(self, error: MCPError) -> None:
        if self._closed:
            return
        self.connected = False
        log.warning("%s", error.message)
        self._correlator.fail_all(error)

    async def _notification(self, method: str, params: dict[str, Any], message: jsonrpc.Message) -> None:
        if method == "notifications/progress":
            await self._correlator.progress(params)
        elif method == "notifications/message":
            if self._logging is not None:
                await self._logging(self, LoggingMessage.model_validate(params))
        elif method.endswith("/list_changed"):
            if method == "notifications/tools/list_changed":
                self._tools_listed = False
            if self._list_changed is not None:
                await _maybe_await(self._list_changed(method.split("/")[1]))
        elif method == "notifications/resources/updated":
            if self._resource_updated is not None:
                await _maybe_await(self._resource_updated(params.get("uri")))
        if self._message_handler is not None:
            await _maybe_await(self._message_handler(message))

    async def _serve(self, message: jsonrpc.Message) -> None:
        """Answer a server-to-client request (legacy era) by sending the response back."""
        rid = message["id"]
        params = message.get("params")
        try:
            result = await self._answer_input(message["method"], params if isinstance(params, dict) else {})
            response = jsonrpc.result(rid, result)
        except MCPError as exc:
            response = jsonrpc.error_from(rid, exc)
        except Exception as exc:
            log.exception("[%s] callback for %s failed", self.name, message["method"])
            response = jsonrpc.error(rid, INTERNAL_ERROR, f"Client callback failed: {exc}")
        try:
            await self.transport.send(response)
        except Exception as exc:
            log.warning("[%s] could not answer %s: %s", self.name, message["method"], exc)

    # ---- tools ----------------------------------------------------------------------------
    async def list_tools(self) -> list[Tool]:
        """All tools (every page). On 2026-07-28, tools with invalid `x-mcp-header` are left out."""
        raw = await self._list("tools/list", "tools")
        tools: list[Tool] = []
        headers: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        invalid: dict[str, str] = {}
        for item in raw:
            if not isinstance(item, dict):
                continue
            name = item.get("name")
            schema = item.get("inputSchema")
            try:
                found = [(n, p) for n, p, _ in header_params(schema)] if isinstance(schema, dict) else []
            except ValueError as why:
                log.warning("[%s] tool %r left out: %s", self.name, name, why)
                invalid[str(name)] = str(why)
                continue
            if found:
                headers[str(name)] = found
            tools.append(Tool.model_validate(item))
        self._tool_headers = headers
        self._invalid_tools = invalid
        self._tools_listed = True
        return tools

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | Any | None = ...,
        *,
        progress_callback: ProgressCallback | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> CallToolResult:
        """Call a tool; a tool's own failure comes back as `isError: true`, not an exception."""
        params: dict[str, Any] = {"name": name, "arguments": dict(arguments or {})}
        if meta:
            params["_meta"] = dict(meta)
        headers = None
        if self._modern and self.transport.uses_headers:
            if not self._tools_listed and name not in self._tool_headers:
                await self.list_tools()
            if name in self._invalid_tools:
                raise ClientError(
                    self.name,
                    f"tool {name!r} has an invalid x-mcp-header annotation: {self._invalid_tools[name]}",
                )
            specs = self._tool_headers.get(name)
            if specs:
                headers = _param_headers(specs, params["arguments"])
        result = await self._rounds(
            "tools/call", params, timeout=timeout, progress_callback=progress_callback, headers=headers
        )
        return CallToolResult.model_validate(result)

    # ---- resources ------------------------------------------------------------------------
    async def list_resources(self) -> list[Resource]:
        return [Resource.model_validate(r) for r in await self._list("resources/list", "resources")]

    async def list_resource_templates(self) -> list[ResourceTemplate]:
        items = await self._list("resources/templates/list", "resourceTemplates")
        return [ResourceTemplate.model_validate(r) for r in items]

    async def read_resource(self, uri: str, timeout: float | Any | None = ...) -> ReadResourceResult:
        return ReadResourceResult.model_validate(
            await self._rounds("resources/read", {"uri": str(uri)}, timeout=timeout)
        )

    async def subscribe(self, uri: str) -> None:
        """Hear `notifications/resources/updated` for `uri` (legacy: subscribe; modern: listen)."""
        if self._modern:
            if uri not in self._subscriptions:
                self._subscriptions.append(uri)
            await self._listen()
            return
        await self.request("resources/subscribe", {"uri": uri})

    async def unsubscribe(self, uri: str) -> None:
        if self._modern:
            if uri in self._subscriptions:
                self._subscriptions.remove(uri)
            await self._listen()
            return
        await self.request("resources/unsubscribe", {"uri": uri})

    async def _listen(self) -> None:
        """(Re)open the 2026-07-28 `subscriptions/listen` stream with what we want to hear."""
        if self._listen_id is not None:
            old = self._listen_id
            self._listen_id = None
            self.transport.cancel(old)
            if not self.transport.uses_headers:
                await self._quiet_notify("notifications/cancelled", {"requestId": old, "reason": "relisten"})
        wanted: dict[str, Any] = {
            "toolsListChanged": True,
            "promptsListChanged": True,
            "resourcesListChanged": True,
        }
        if self._subscriptions:
            wanted["resourceSubscriptions"] = list(self._subscriptions)
        rid = self._correlator.next_id()
        self._listen_id = rid
        params = self._with_meta({"notifications": wanted})
        await self.transport.send(jsonrpc.request(rid, "subscriptions/listen", params))

    # ---- prompts, completion, logging, ping -----------------------------------------------
    async def list_prompts(self) -> list[Prompt]:
        return [Prompt.model_validate(p) for p in await self._list("prompts/list", "prompts")]

    async def get_prompt(
        self, name: str, arguments: Mapping[str, Any] | None = None, timeout: float | Any | None = ...
    ) -> GetPromptResult:
        params: dict[str, Any] = {"name": name}
        if arguments:
            params["arguments"] = {k: v if isinstance(v, str) else str(v) for k, v in arguments.items()}
        return GetPromptResult.model_validate(await self._rounds("prompts/get", params, timeout=timeout))

    async def complete(
        self,
        ref: Mapping[str, Any] | Any,
        argument: Mapping[str, Any] | tuple[str, str] | Any,
        context_arguments: Mapping[str, str] | None = None,
    ) -> CompleteResult:
        """`completion/complete`: `ref` is a PromptReference/ResourceReference or its dict."""
        ref_wire = ref.to_wire() if hasattr(ref, "to_wire") else dict(ref)
        if isinstance(argument, tuple):
            arg_wire: dict[str, Any] = {"name": argument[0], "value": argument[1]}
        else:
            arg_wire = argument.to_wire() if hasattr(argument, "to_wire") else dict(argument)
        params: dict[str, Any] = {"ref": ref_wire, "argument": arg_wire}
        if context_arguments:
            params["context"] = {"arguments": dict(context_arguments)}
        return CompleteResult.model_validate(await self.request("completion/complete", params))

    async def set_logging_level(self, level: str) -> None:
        """Ask for log messages at `level` and above (modern: sent in every request's `_meta`)."""
        if self._modern:
            self._log_level = level
            self._meta = {**self._meta, META_LOG_LEVEL: level}
            return
        await self.request("logging/setLevel", {"level": level})

    async def ping(self, timeout: float | Any | None = ...) -> None:
        await self.request("server/discover" if self._modern else "ping", None, timeout=timeout)

    async def _list(self, method: str, key: str) -> list[Any]:
        items: list[Any] = []
        cursor: Any = None
        seen: set[str] = set()
        while True:
            result = await self.request(method, {"cursor": cursor} if cursor is not None else None)
            page = result.get(key)
            if isinstance(page, list):
                items.extend(page)
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str) or not cursor or cursor in seen:
                return items
            seen.add(cursor)

    # ---- closing --------------------------------------------------------------------------
    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.connected = False
        self._correlator.fail_all(ServerDisconnected(self.name, "the session was closed"))
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.transport.close()

    async def __aenter__(self) -> ClientSession:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = f"{self.era} {self.protocol_version}" if self.connected else "not connected"
        return f"<ClientSession {self.name!r} {self.transport.description} ({state})>"


# ---- x-mcp-header (2026-07-28) ------------------------------------------------------------
def _param_headers(specs: list[tuple[str, tuple[str, ...]]], arguments: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, path in specs:
        value = value_at(arguments, path)
        if value is not None:
            headers["Mcp-Param-" + name] = encode_value(value)
    return headers


async def _maybe_await(value: Any) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        await value


__all__ = ["ClientSession"]
