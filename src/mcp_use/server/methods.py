"""The feature methods: tools, resources, prompts, completion, logging and subscriptions.

Each takes a `ServerRequest` and returns a result dict, raising `MCPError` to refuse.
They read the registries and know nothing of transports; the engine dispatches to them
and wraps them in input-required rounds and era-specific result fields.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..protocol.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND_LEGACY, MCPError, brief, clip
from ..protocol.log_levels import LOG_RANK
from .context import Context
from .notifications import Hub
from .registry import Features
from .request import ServerRequest
from .settings import Limits
from .tools import Tool, ToolError, error_result

log = logging.getLogger("mcp_use.server")
RunTool = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class TaskCalls(Protocol):
    """Where a task-capable tool's call goes (`tasks.TaskHandlers.call`): it runs the
    tool as a task when the client takes one, else as a plain call."""

    async def call(
        self, req: ServerRequest, tool: Tool, kwargs: dict[str, Any], run: RunTool
    ) -> dict[str, Any]: ...


class ToolTimeout(Exception):
    """A tool ran past its timeout and was cancelled."""


class FeatureMethods:
    __slots__ = ("debug_level", "features", "hub", "limits", "tasks")

    def __init__(
        self,
        features: Features,
        limits: Limits,
        hub: Hub,
        tasks: TaskCalls | None = None,
        debug_level: int = 0,
    ) -> None:
        self.features = features
        self.limits = limits
        self.hub = hub
        self.tasks = tasks
        self.debug_level = debug_level  # the facade updates it when `mcp-use dev` raises it

    def masks_errors(self) -> bool:
        """Whether an unexpected exception's text stays out of the answer: `mask_errors`,
        or by default unless debugging (its text may name paths and secrets)."""
        mask = self.limits.mask_errors
        return self.debug_level < 1 if mask is None else mask

    # ---- tools ----------------------------------------------------------------------
    async def tools_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "tools", [t.wire for t in self.features.tools.values()])

    async def tools_call(self, req: ServerRequest) -> dict[str, Any]:
        params = req.params
        name = params.get("name")
        if not isinstance(name, str):
            raise MCPError(INVALID_PARAMS, "tools/call: params.name must be a string")
        tool = self.features.tools.get(name)
        if tool is None:
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {clip(name)}")
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
            kwargs[tool.context_param] = Context(req, self)
        if tool.task:
            tasks = req.task_handlers or self.tasks  # a mount's parent runs its tasks
            if tasks is not None:
                return await tasks.call(req, tool, kwargs, lambda kw: self.run_tool(tool, kw, req.id))
        return await self.run_tool(tool, kwargs, req.id)

    async def run_tool(self, tool: Tool, kwargs: dict[str, Any], request_id: Any = None) -> dict[str, Any]:
        """Call the function; its exceptions become `isError` results (an MCPError stays one)."""
        if self.is_plain(tool):  # a plain function, no deadline: no coroutine to await
            return self._call_inline(tool, kwargs, request_id)
        try:  # (no deadline: the coroutine itself, not `_run`'s two awaits around it)
            value = await (tool.fn(**kwargs) if self.awaits_plainly(tool) else self._run(tool, kwargs))
        except Exception as exc:
            return self.tool_failure(tool, exc, request_id)
        return tool.to_result(value)

    def is_plain(self, tool: Tool) -> bool:
        """Whether a call of `tool` is one inline function call: sync, no worker thread,
        no deadline (its own or the server's)."""
        return (
            not (tool.is_async or tool.run_in_thread)
            and tool.timeout is None
            and self.limits.tool_timeout is None
        )

    def awaits_plainly(self, tool: Tool) -> bool:
        """Whether a call of `tool` is one await of its coroutine: async, no deadline."""
        return tool.is_async and tool.timeout is None and self.limits.tool_timeout is None

    async def call_awaited(self, tool: Tool, arguments: dict[str, Any], request_id: Any) -> dict[str, Any]:
        """`tools/call` of an async tool that `awaits_plainly` (no context parameter, no
        task) with its arguments: what `tools_call` answers for it."""
        try:
            kwargs = tool.bind(arguments)
        except ToolError as exc:
            return error_result(str(exc))
        return await self.run_tool(tool, kwargs, request_id)

    def call_plain(self, tool: Tool, arguments: dict[str, Any], request_id: Any) -> dict[str, Any]:
        """`tools/call` of a plain tool (`is_plain`, no context parameter, no task) with
        its arguments, start to end without awaiting: what `tools_call` answers for it."""
        try:
            kwargs = tool.bind(arguments)
        except ToolError as exc:
            return error_result(str(exc))
        return self._call_inline(tool, kwargs, request_id)

    def _call_inline(self, tool: Tool, kwargs: dict[str, Any], request_id: Any) -> dict[str, Any]:
        """A plain tool's function called here, its value or failure as the result."""
        try:
            value = tool.fn(**kwargs)
        except Exception as exc:
            return self.tool_failure(tool, exc, request_id)
        return tool.to_result(value)

    def tool_failure(self, tool: Tool, exc: Exception, request_id: Any) -> dict[str, Any]:
        """The `isError` result for what the tool raised; an `MCPError` is raised again
        (it answers the request as an error). Called inside the `except` block."""
        if isinstance(exc, ToolError):
            return error_result(str(exc))
        if isinstance(exc, ToolTimeout):
            log.warning("%s", exc)
            return error_result(str(exc))
        if isinstance(exc, MCPError):
            raise exc
        # the server log always has the traceback; the answer has the text only when allowed
        log.exception("Tool %s failed (request id %r)", tool.name, request_id)
        if self.masks_errors():
            return error_result(f"Error executing tool {tool.name}")
        return error_result(f"Error executing tool {tool.name}: {exc}")

    async def _run(self, tool: Tool, kwargs: dict[str, Any]) -> Any:
        """Run the tool, cancelled past its timeout (`ToolTimeout`; its own `TimeoutError`,
        such as an unanswered `ctx.elicit`, stays an ordinary failure)."""
        timeout = tool.timeout if tool.timeout is not None else self.limits.tool_timeout
        if timeout is None:
            return await tool.run(kwargs)
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                return await tool.run(kwargs, bounded=True)  # a sync tool in a thread
        except TimeoutError:
            if deadline.expired():
                ended = "was cancelled" if tool.is_async else "its thread's late result will be discarded"
                raise ToolTimeout(f"Tool {tool.name} timed out after {timeout:g}s and {ended}") from None
            raise

    # ---- resources ------------------------------------------------------------------
    async def resources_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "resources", [r.wire for r in self.features.resources.values()])

    async def templates_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "resourceTemplates", [t.wire for t in self.features.templates.values()])

    async def resources_read(self, req: ServerRequest) -> dict[str, Any]:
        uri = req.params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "resources/read: params.uri must be a string")
        return await self.read_resource(uri, req)

    async def read_resource(self, uri: str, req: ServerRequest) -> dict[str, Any]:
        """`resources/read` of `uri` on behalf of `req` (also `ctx.read_resource`)."""
        resource = self.features.resources.get(uri)
        values: dict[str, str] | None = {} if resource is not None else None
        if resource is None:
            for template in self.features.templates.values():
                values = template.match(uri)
                if values is not None:
                    resource = template
                    break
        if resource is None or values is None:
            code = INVALID_PARAMS if req.modern else RESOURCE_NOT_FOUND_LEGACY
            raise MCPError(code, f"Resource not found: {clip(uri)}", {"uri": clip(uri)})
        kwargs = resource.bind(values) if resource.is_template else {}
        if resource.signature.context_param is not None:
            kwargs[resource.signature.context_param] = Context(req, self)
        value = resource.fn(**kwargs)
        if inspect.isawaitable(value):
            value = await value
        return {"contents": resource.contents(uri, value)}

    # ---- prompts --------------------------------------------------------------------
    async def prompts_list(self, req: ServerRequest) -> dict[str, Any]:
        return self._page(req, "prompts", [p.wire for p in self.features.prompts.values()])

    async def prompts_get(self, req: ServerRequest) -> dict[str, Any]:
        name = req.params.get("name")
        if not isinstance(name, str):
            raise MCPError(INVALID_PARAMS, "prompts/get: params.name must be a string")
        prompt = self.features.prompts.get(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {clip(name)}")
        arguments = req.params.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise MCPError(INVALID_PARAMS, "prompts/get: params.arguments must be an object")
        kwargs = prompt.bind(arguments)
        if prompt.signature.context_param is not None:
            kwargs[prompt.signature.context_param] = Context(req, self)
        value = prompt.fn(**kwargs)
        if inspect.isawaitable(value):
            value = await value
        return prompt.to_result(value)

    # ---- completion -----------------------------------------------------------------
    async def complete(self, req: ServerRequest) -> dict[str, Any]:
        handler = self.features.completion
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

    # ---- legacy-only: logging level and resource subscriptions ---------------------
    async def ping(self, req: ServerRequest) -> dict[str, Any]:
        return {}

    async def set_level(self, req: ServerRequest) -> dict[str, Any]:
        level = req.params.get("level")
        if not isinstance(level, str) or level not in LOG_RANK:
            raise MCPError(INVALID_PARAMS, f"Invalid log level: {brief(level)}")
        if req.session is not None:
            req.session.log_level = level
        return {}

    async def subscribe(self, req: ServerRequest) -> dict[str, Any]:
        uri = req.params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "resources/subscribe: uri must be a string")
        if req.session is not None:
            if req.session.subscriptions is None:
                req.session.subscriptions = set()
            req.session.subscriptions.add(uri)
            self.hub.watch(req.session)
        return {}

    async def unsubscribe(self, req: ServerRequest) -> dict[str, Any]:
        uri = req.params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "resources/unsubscribe: uri must be a string")
        if req.session is not None and req.session.subscriptions:
            req.session.subscriptions.discard(uri)
        return {}

    # ---- pagination -----------------------------------------------------------------
    def _page(self, req: ServerRequest, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        cursor = req.params.get("cursor")
        size = self.limits.page_size
        start = 0
        if cursor is not None:
            try:
                start = int(base64.urlsafe_b64decode(str(cursor).encode()).decode())
                if start < 0 or start > len(items):
                    raise ValueError
            except (ValueError, UnicodeDecodeError):
                raise MCPError(INVALID_PARAMS, f"Invalid cursor: {brief(cursor)}") from None
        if size is None or size <= 0:
            return {key: items[start:] if start else items}
        end = start + size
        result: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            result["nextCursor"] = base64.urlsafe_b64encode(str(end).encode()).decode()
        return result
