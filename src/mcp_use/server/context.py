"""`Context`: what a tool, resource or prompt function can do while it runs.

Every method works on both protocol eras. Asking the client for input is a
server-to-client request on the legacy era and an input-required round on the
modern one; the function is written once.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ..protocol.correlator import RequestTimeout
from ..protocol.errors import INVALID_PARAMS, MISSING_REQUIRED_CLIENT_CAPABILITY, MCPError
from ..protocol.jsonrpc import notification
from ..protocol.log_levels import at_least
from .input_rounds import InputRequired
from .json_refs import inline_refs
from .loaded import is_model, is_model_class
from .request import ServerRequest

if TYPE_CHECKING:  # pydantic loads only with a user's model (see `loaded.py`)
    from pydantic import BaseModel

    from ..protocol.types import CreateMessageResult, Root

T = TypeVar("T")


@dataclasses.dataclass
class ElicitationResult(Generic[T]):
    """The user's answer: `action` is accept, decline or cancel; `data` holds accepted input."""

    action: str
    data: T | dict[str, Any] | None = None
    content: dict[str, Any] | None = None


class ResourceReader(Protocol):
    """What a `Context` reads resources through (the engine's feature methods)."""

    features: Any
    limits: Any  # `Limits`: `input_timeout` bounds a server-to-client request

    async def read_resource(self, uri: str, req: ServerRequest) -> dict[str, Any]: ...


class Context:
    """Injected into any parameter annotated `Context`."""

    def __init__(self, request: ServerRequest, reader: ResourceReader) -> None:
        self._request = request
        self._reader = reader

    # What the client told us
    @property
    def request_id(self) -> str | int:
        return self._request.id

    @property
    def session_id(self) -> str | None:
        session = self._request.session
        return session.id if session is not None else None

    @property
    def protocol_version(self) -> str:
        return self._request.version

    @property
    def client_capabilities(self) -> dict[str, Any]:
        return self._request.client_capabilities

    @property
    def client_info(self) -> dict[str, Any] | None:
        return self._request.client_info

    @property
    def task_id(self) -> str | None:
        """The id of the task this call runs as, or None when it is a plain call."""
        task = self._request.task
        return task.id if task is not None else None

    async def start_task(self) -> None:
        """Become a task now (`task_start="manual"` tools): the call is answered with the
        task and this function goes on in the background. A no-op when the call is
        already a task, or when the client did not take one (the call stays plain)."""
        start = self._request.start_task
        if start is not None:
            await start()

    @property
    def server(self) -> Any:
        """The `MCPServer` serving this request."""
        return self._reader.features.owner

    @property
    def access_token(self) -> Any:
        """The verified `AccessToken` of this request; None on an unprotected server."""
        return self._request.access_token

    @property
    def request_headers(self) -> Any:
        """The HTTP request headers, on HTTP transports."""
        return self._request.headers

    # Logging and progress
    async def log(self, level: str, message: Any, *, logger: str | None = None) -> None:
        req = self._request
        if req.modern:
            if req.log_level is None or not at_least(level, req.log_level):
                return
        elif req.session is not None and not req.session.wants_log(level):
            return
        params: dict[str, Any] = {"level": level, "data": message}
        if logger:
            params["logger"] = logger
        await req.sink(notification("notifications/message", params))

    async def debug(self, message: Any, **kw: Any) -> None:
        await self.log("debug", message, **kw)

    async def info(self, message: Any, **kw: Any) -> None:
        await self.log("info", message, **kw)

    async def notice(self, message: Any, **kw: Any) -> None:
        await self.log("notice", message, **kw)

    async def warning(self, message: Any, **kw: Any) -> None:
        await self.log("warning", message, **kw)

    async def error(self, message: Any, **kw: Any) -> None:
        await self.log("error", message, **kw)

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        task = self._request.task
        if task is not None:  # a task reports progress as its status message
            if message is None:
                message = f"{progress:g}/{total:g}" if total is not None else f"{progress:g}"
            await task.set_message(message)
            return
        token = self._request.progress_token
        if token is None:
            return
        params: dict[str, Any] = {"progressToken": token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self._request.sink(notification("notifications/progress", params))

    # Input from the client
    async def elicit(
        self,
        message: str,
        schema: type[T] | dict[str, Any] | None = None,
        *,
        key: str | None = None,
    ) -> ElicitationResult[T]:
        """Ask the user for structured input (form mode); `schema` is a model or JSON Schema."""
        model = schema if is_model_class(schema) else None
        if model is not None:
            requested = _flat_schema(model.model_json_schema())
        elif isinstance(schema, dict):
            requested = schema
        else:
            requested = {"type": "object", "properties": {}}
        params = {"mode": "form", "message": message, "requestedSchema": requested}
        if self._request.version < "2025-11-25":
            params.pop("mode")
        answer = await self._ask("elicitation", "elicitation/create", params, {"elicitation": {}}, key)
        return _elicitation(answer, model)

    async def elicit_url(
        self, message: str, url: str, *, elicitation_id: str | None = None, key: str | None = None
    ) -> ElicitationResult[Any]:
        """Send the user to a URL (URL mode), for input that must not pass through the client."""
        params: dict[str, Any] = {"mode": "url", "message": message, "url": url}
        if not self._request.modern:
            import secrets

            params["elicitationId"] = elicitation_id or secrets.token_hex(8)
        answer = await self._ask(
            "elicitation", "elicitation/create", params, {"elicitation": {"url": {}}}, key
        )
        return _elicitation(answer, None)

    async def sample(
        self,
        messages: str | list[Any],
        *,
        max_tokens: int = 512,
        system_prompt: str | None = None,
        temperature: float | None = None,
        stop_sequences: list[str] | None = None,
        model_preferences: dict[str, Any] | None = None,
        include_context: str | None = None,
        key: str | None = None,
        **extra: Any,
    ) -> CreateMessageResult:
        """Ask the client's model for a completion."""
        if isinstance(messages, str):
            wire = [{"role": "user", "content": {"type": "text", "text": messages}}]
        else:
            wire = [_sampling_message(m) for m in messages]
        params: dict[str, Any] = {"messages": wire, "maxTokens": max_tokens}
        if system_prompt is not None:
            params["systemPrompt"] = system_prompt
        if temperature is not None:
            params["temperature"] = temperature
        if stop_sequences is not None:
            params["stopSequences"] = stop_sequences
        if model_preferences is not None:
            params["modelPreferences"] = model_preferences
        if include_context is not None:
            params["includeContext"] = include_context
        params.update(extra)
        answer = await self._ask("sampling", "sampling/createMessage", params, {"sampling": {}}, key)
        from ..protocol.types import CreateMessageResult

        return CreateMessageResult.model_validate(answer)

    async def list_roots(self, *, key: str | None = None) -> list[Root]:
        """The filesystem roots the client exposes."""
        answer = await self._ask("roots", "roots/list", {}, {"roots": {}}, key)
        from ..protocol.types import Root

        return [Root.model_validate(r) for r in answer.get("roots", [])]

    async def _ask(
        self,
        kind: str,
        method: str,
        params: dict[str, Any],
        required: dict[str, Any],
        key: str | None,
    ) -> dict[str, Any]:
        req = self._request
        capability = next(iter(required))
        declared = req.client_capabilities.get(capability)
        needs_url = capability == "elicitation" and "url" in required["elicitation"]
        if declared is None or (needs_url and not (isinstance(declared, dict) and "url" in declared)):
            raise MCPError(
                MISSING_REQUIRED_CLIENT_CAPABILITY,
                f"This request needs the client capability '{capability}'"
                + (" (url mode)" if needs_url else "")
                + ", which the client did not declare",
                {"requiredCapabilities": required},
            )
        if req.task is not None:  # the task waits in input_required for the answer
            return await req.task.ask(kind, {"method": method, "params": params}, key)
        if req.modern:
            state = req.round
            if state is None:
                raise MCPError(INVALID_PARAMS, f"{req.method} cannot ask the client for input")
            derived = state.next_key(kind)
            key = key or derived
            if key in state.answers:
                answer = state.answers[key]
                if not isinstance(answer, dict):
                    raise MCPError(INVALID_PARAMS, f"inputResponses[{key!r}] must be an object")
                return answer
            state.requests[key] = {"method": method, "params": params}
            raise InputRequired()
        session = req.session
        if session is None:
            raise MCPError(INVALID_PARAMS, "No session to ask the client through")
        timeout = self._reader.limits.input_timeout
        try:
            return await session.requests().request(
                req.sink, method, params, timeout=timeout, on_cancel=_cancel_notice(req.sink)
            )
        except RequestTimeout:
            raise TimeoutError(f"The client did not answer {method} within {timeout:g}s") from None

    # Resources and streams
    async def read_resource(self, uri: str) -> list[dict[str, Any]]:
        """Read one of this server's resources, as `resources/read` would."""
        result = await self._reader.read_resource(uri, self._request)
        return result["contents"]

    async def close_sse_stream(self) -> None:
        """End this request's SSE stream now; the client reconnects and resumes."""
        if self._request.close_stream is not None:
            await self._request.close_stream()

    async def send_notification(self, method: str, params: dict[str, Any] | None = None) -> None:
        await self._request.sink(notification(method, params))


def _cancel_notice(sink: Any) -> Any:
    """Tell the client a request it did not answer in time is withdrawn."""

    async def cancel(request_id: Any, reason: str) -> None:
        await sink(notification("notifications/cancelled", {"requestId": request_id, "reason": reason}))

    return cancel


def _elicitation(answer: dict[str, Any], model: type[BaseModel] | None) -> ElicitationResult[Any]:
    action = answer.get("action", "cancel")
    content = answer.get("content")
    data: Any = content
    if action == "accept" and model is not None and isinstance(content, dict):
        data = model.model_validate(content)
    return ElicitationResult(action=action, data=data, content=content)


def _sampling_message(message: Any) -> dict[str, Any]:
    if isinstance(message, str):
        return {"role": "user", "content": {"type": "text", "text": message}}
    if is_model(message):
        return message.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(message, dict):
        content = message.get("content")
        if isinstance(content, str):
            return {**message, "content": {"type": "text", "text": content}}
        return message
    raise TypeError(f"Cannot send {type(message).__name__} as a sampling message")


def _flat_schema(schema: dict[str, Any]) -> dict[str, Any]:
    flat = inline_refs(schema)
    flat.pop("title", None)
    return flat
