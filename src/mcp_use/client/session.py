"""`ClientSession`: typed calls to one server, on whichever protocol era it speaks.

The session is the API: `list_tools()`, `call_tool()`, resources, prompts, completion,
logging, subscriptions, each returning a typed result built from the plain dict the
wire gave. The wire itself is the `Requester` (`requester.py`: ids, deadlines, `_meta`,
input-required rounds, callbacks through `inbound.py`), and the era is settled once in
`connect()` by `Negotiation` (`negotiation.py`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..protocol import jsonrpc
from ..protocol.correlator import ProgressCallback
from ..protocol.headers import encode_value, header_params, value_at
from ..protocol.types import (
    CallToolResult,
    CompleteResult,
    GetPromptResult,
    Implementation,
    Prompt,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    ServerCapabilities,
    Tool,
)
from ..protocol.versions import META_SERVER_INFO
from . import callbacks as cb
from .capabilities import advertised, require
from .errors import ClientError, ServerError
from .inbound import Inbound
from .negotiation import Negotiation
from .requester import Requester
from .tasks import TaskHandle, TaskStatus, start_task, task_status
from .transports.base import ClientTransport

log = logging.getLogger("mcp_use.client")

DEFAULT_CLIENT_INFO = {"name": "mcp-use", "version": "0.1.0"}


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
        log_level: str | None = None,
        message_handler: cb.Callback | None = None,
        list_changed_callback: cb.Callback | None = None,
        resource_updated_callback: cb.Callback | None = None,
        sse_fallback: Callable[[], ClientTransport] | None = None,
    ) -> None:
        self.name = name or transport.server
        self.mode = mode
        self.timeout = timeout
        self.client_info = dict(client_info or DEFAULT_CLIENT_INFO)
        self._inbound = Inbound(
            sampling_callback=sampling_callback,
            elicitation_callback=elicitation_callback,
            list_roots_callback=list_roots_callback,
            roots=roots,
            logging_callback=logging_callback,
            message_handler=message_handler,
            list_changed_callback=list_changed_callback,
            resource_updated_callback=resource_updated_callback,
        )
        self._inbound.context = self
        self._inbound.on_list_changed = self._list_changed
        self._wire = Requester(self.name, transport, self._inbound, timeout=timeout)
        # A logging callback means "send me logs": at `log_level`, else info, on both eras.
        self._wire.log_level = log_level or ("info" if logging_callback is not None else None)
        self._sse_fallback = sse_fallback
        self._tool_headers: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._invalid_tools: dict[str, str] = {}
        self._tools_listed = False
        self._listen_id: jsonrpc.RequestId | None = None
        self._subscriptions: list[str] = []
        self._watched_tasks: list[str] = []
        self.protocol_version: str | None = None
        self.server_info: Implementation | None = None
        self.server_capabilities: ServerCapabilities = ServerCapabilities()
        self.instructions: str | None = None
        self.supported_versions: list[str] = []

    # ---- who we are -------------------------------------------------------------------
    @property
    def transport(self) -> ClientTransport:
        return self._wire.transport

    @property
    def connected(self) -> bool:
        return self._wire.connected

    @property
    def era(self) -> str:
        return "modern" if self._wire.modern else "legacy"

    @property
    def capabilities(self) -> dict[str, Any]:
        return self._inbound.capabilities

    # ---- connecting -------------------------------------------------------------------
    async def connect(self) -> ClientSession:
        """Open the transport and settle the protocol era; idempotent."""
        if self.connected:
            return self
        await self.transport.start()
        negotiation = Negotiation(
            self._wire, mode=self.mode, client_info=self.client_info, sse_fallback=self._sse_fallback
        )
        try:
            agreement = await negotiation.run()
        except BaseException:
            self._wire.abandon("connection abandoned")
            with contextlib.suppress(Exception):
                await self.transport.close()
            raise
        self._sse_fallback = None
        self.protocol_version = agreement.version
        self.supported_versions = agreement.supported_versions
        self._adopt(agreement.result)
        if not self._wire.modern:
            await self._ask_for_logs()
        self._wire.connected = True
        if self._wire.modern and self._inbound.wants_notifications:
            await self._listen()
        return self

    initialize = connect

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

    async def _ask_for_logs(self) -> None:
        """Legacy era: `logging/setLevel` once, when logs are wanted and the server has logging."""
        level = self._wire.log_level
        if level is None or not advertised(self.server_capabilities, "logging/setLevel"):
            return
        try:
            await self._wire.request("logging/setLevel", {"level": level})
        except ServerError as exc:  # the session works without logs; say so, do not fail
            log.warning("%s", exc.message)

    def _list_changed(self, which: str) -> None:
        if which == "tools":
            self._tools_listed = False

    # ---- raw requests (the typed methods build on these) --------------------------------
    async def request(
        self, method: str, params: dict[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        """Send any request and return its raw result dict.

        `options`: `timeout=`, `progress_callback=`, `headers=` (see `Requester.request`).
        A method the server's capabilities do not cover is refused here, unsent.
        """
        if self.connected:
            require(self.name, self.server_capabilities, method)
        return await self._wire.request(method, params, **options)

    async def _rounds(self, method: str, params: dict[str, Any], **options: Any) -> dict[str, Any]:
        """A request that may need input rounds (2026-07-28), refused unsent when unadvertised."""
        require(self.name, self.server_capabilities, method)
        return await self._wire.rounds(method, params, **options)

    async def request_with_input(
        self, method: str, params: dict[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        """`request`, answering input-required rounds (2026-07-28) with the callbacks, as
        the typed calls do; a proxy forwards raw results this way. A `tools/call` carries
        the `Mcp-Param-*` headers its arguments need, as `call_tool` sends them."""
        params = params or {}
        if method == "tools/call" and "headers" not in options:
            arguments = params.get("arguments")
            options["headers"] = await self._call_headers(
                params.get("name"), arguments if isinstance(arguments, dict) else {}
            )
        return await self._rounds(method, params, **options)

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        await self._wire.notify(method, params)

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
        task: bool = False,
    ) -> CallToolResult:
        """Call a tool; a tool's own failure comes back as `isError: true`, not an exception.

        `task=True` runs it as a task (when the server and tool take one) and waits for
        the result, polling at the server's interval (`progress_callback` then hears the
        task's status messages); see `start_task` for a handle."""
        params, headers = await self._tool_call(name, arguments, meta)
        if task:
            handle = await start_task(self._wire, params, headers=headers, timeout=timeout)
            return await handle.result(progress_callback)
        result = await self._wire.rounds(
            "tools/call", params, timeout=timeout, progress_callback=progress_callback, headers=headers
        )
        return CallToolResult.model_validate(result)

    async def start_task(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        meta: Mapping[str, Any] | None = None,
        ttl_ms: int | None = None,
    ) -> TaskHandle:
        """Start a tool as a task: a handle with `.id`, `status()`, `result()`, `cancel()`.
        `ttl_ms` asks a 2025-11-25 server to keep the task that long (`params.task.ttl`;
        the server may choose otherwise and says so in the task); 2026-07-28 has no such
        request, so it is refused there rather than dropped."""
        params, headers = await self._tool_call(name, arguments, meta)
        return await start_task(self._wire, params, headers=headers, ttl_ms=ttl_ms)

    async def list_tasks(self) -> list[TaskStatus]:
        """The tasks the server keeps for this client, in the server's order, all pages
        (2025-11-25 `tasks/list`, following `nextCursor`; refused unsent where `tasks.list`
        is not advertised, as on 2026-07-28, whose tasks extension has no listing)."""
        require(self.name, self.server_capabilities, "tasks/list")
        return [task_status(t) for t in await self._list("tasks/list", "tasks") if isinstance(t, dict)]

    async def _tool_call(
        self, name: str, arguments: Mapping[str, Any] | None, meta: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, str] | None]:
        """A `tools/call`'s params, and the `Mcp-Param-*` headers its arguments need."""
        require(self.name, self.server_capabilities, "tools/call")  # refused unsent when unadvertised
        params: dict[str, Any] = {"name": name, "arguments": dict(arguments or {})}
        if meta:
            params["_meta"] = dict(meta)
        return params, await self._call_headers(name, params["arguments"])

    async def _call_headers(self, name: Any, arguments: dict[str, Any]) -> dict[str, str] | None:
        """The `Mcp-Param-*` headers a call of tool `name` with `arguments` needs (2026-07-28
        HTTP only); the tools are listed first when they were not yet."""
        if not (self._wire.modern and self.transport.uses_headers) or not isinstance(name, str):
            return None
        if not self._tools_listed and name not in self._tool_headers:
            await self.list_tools()
        if name in self._invalid_tools:
            raise ClientError(
                self.name,
                f"tool {name!r} has an invalid x-mcp-header annotation: {self._invalid_tools[name]}",
            )
        specs = self._tool_headers.get(name)
        return _param_headers(specs, arguments) if specs else None

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
        if self._wire.modern:
            require(self.name, self.server_capabilities, "resources/subscribe")
            if uri not in self._subscriptions:
                self._subscriptions.append(uri)
            await self._listen()
            return
        await self.request("resources/subscribe", {"uri": uri})

    async def unsubscribe(self, uri: str) -> None:
        if self._wire.modern:
            if uri in self._subscriptions:
                self._subscriptions.remove(uri)
            await self._listen()
            return
        await self.request("resources/unsubscribe", {"uri": uri})

    async def watch_task(self, task_id: str, *, watch: bool = True) -> None:
        """2026-07-28: hear `notifications/tasks` for `task_id` (named in `taskIds` of the
        listen; `watch=False` stops); the message handler hears them."""
        if not self._wire.modern:
            raise ClientError(self.name, "watch_task: a 2025-11-25 server tells the task's session anyway")
        if watch and task_id not in self._watched_tasks:
            self._watched_tasks.append(task_id)
        elif not watch and task_id in self._watched_tasks:
            self._watched_tasks.remove(task_id)
        await self._listen()

    async def _listen(self) -> None:
        """(Re)open the 2026-07-28 `subscriptions/listen` stream with what we want to hear."""
        if self._listen_id is not None:
            old = self._listen_id
            self._listen_id = None
            self.transport.cancel(old)
            if not self.transport.uses_headers:
                await self._wire.quiet_notify(
                    "notifications/cancelled", {"requestId": old, "reason": "relisten"}
                )
        wanted: dict[str, Any] = {
            "toolsListChanged": True,
            "promptsListChanged": True,
            "resourcesListChanged": True,
        }
        if self._subscriptions:
            wanted["resourceSubscriptions"] = list(self._subscriptions)
        if self._watched_tasks:
            wanted["taskIds"] = list(self._watched_tasks)
        rid = self._wire.correlator.next_id()
        self._listen_id = rid
        params = self._wire.with_meta({"notifications": wanted})
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
        if self._wire.modern:
            self._wire.set_log_level(level)
            return
        await self.request("logging/setLevel", {"level": level})
        self._wire.log_level = level

    async def ping(self, timeout: float | Any | None = ...) -> None:
        await self.request("server/discover" if self._wire.modern else "ping", None, timeout=timeout)

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
        await self._wire.close()

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


__all__ = ["ClientSession"]
