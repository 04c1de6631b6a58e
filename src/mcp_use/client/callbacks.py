"""What the server may ask of the client, and how a user's callback answers it.

The same callbacks serve both eras: on the legacy era the server sends a request
(`sampling/createMessage`, `elicitation/create`, `roots/list`); on 2026-07-28 it returns
an input-required result and the session calls the callback for each input asked for.

A callback may be sync or async and take `(params)` or, as in the official SDK,
`(context, params)`; the context is the `ClientSession` asking.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import field_validator

from ..protocol.types import (
    CreateMessageResult,
    ElicitResult,
    LoggingMessage,
    MCPModel,
    ModelPreferences,
    Root,
    _sampling_block,
)

Callback = Callable[..., Any]


class SamplingMessage(MCPModel):
    role: str
    content: Any = None

    @field_validator("content", mode="before")
    @classmethod
    def _typed(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_sampling_block(v) for v in value]
        return _sampling_block(value)


class CreateMessageRequestParams(MCPModel):
    """`sampling/createMessage` params: `messages`, `maxTokens`, `systemPrompt`, ..."""

    messages: list[SamplingMessage] = []
    maxTokens: int | None = None
    systemPrompt: str | None = None
    modelPreferences: ModelPreferences | None = None
    temperature: float | None = None
    stopSequences: list[str] | None = None
    includeContext: str | None = None
    metadata: dict[str, Any] | None = None


class ElicitRequestParams(MCPModel):
    """`elicitation/create` params: form mode (`requestedSchema`) or URL mode (`url`)."""

    message: str = ""
    mode: str | None = None
    requestedSchema: dict[str, Any] | None = None
    url: str | None = None
    elicitationId: str | None = None


def adapt(callback: Callback | None) -> Callable[[Any, Any], Awaitable[Any]] | None:
    """Wrap a user callback as `async (session, params) -> value`, whatever its shape."""
    if callback is None:
        return None
    takes_context = _positional_count(callback) >= 2

    async def call(session: Any, params: Any) -> Any:
        value = callback(session, params) if takes_context else callback(params)
        if inspect.isawaitable(value):
            value = await value
        return value

    return call


def _positional_count(fn: Callback) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 1
    count = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


# ---- turning a callback's return value into the wire result ------------------------------
def sampling_result(value: Any) -> dict[str, Any]:
    if isinstance(value, CreateMessageResult):
        return value.to_wire()
    if isinstance(value, str):
        return {"role": "assistant", "content": {"type": "text", "text": value}, "model": "mcp-use-client"}
    if isinstance(value, dict):
        return value
    if isinstance(value, MCPModel):
        return value.to_wire()
    raise TypeError(f"sampling_callback returned {type(value).__name__}; return a CreateMessageResult or str")


def elicitation_result(value: Any, params: dict[str, Any]) -> dict[str, Any]:
    if value is None:
        result: dict[str, Any] = {"action": "cancel"}
    elif isinstance(value, MCPModel):
        result = value.to_wire()
    elif isinstance(value, dict):
        result = dict(value) if "action" in value else {"action": "accept", "content": value}
    elif isinstance(value, str) and value in ("accept", "decline", "cancel"):
        result = {"action": value}
    else:
        raise TypeError(f"elicitation_callback returned {type(value).__name__}; return an ElicitResult")
    if result.get("action") == "accept":
        _apply_defaults(result, params.get("requestedSchema"))
    return result


def _apply_defaults(result: dict[str, Any], schema: Any) -> None:
    """Fill in the schema's defaults for fields the user left out (as the SDKs do)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        if result.get("content") is None and "content" in result:
            result.pop("content")
        return
    content = result.get("content")
    content = dict(content) if isinstance(content, dict) else {}
    for key, prop in schema["properties"].items():
        if key not in content and isinstance(prop, dict) and "default" in prop:
            content[key] = prop["default"]
    result["content"] = content


def roots_result(value: Any) -> dict[str, Any]:
    roots = value.roots if hasattr(value, "roots") else value
    out: list[dict[str, Any]] = []
    for root in roots or ():
        if isinstance(root, Root):
            out.append(root.to_wire())
        elif isinstance(root, str):
            out.append({"uri": root})
        elif isinstance(root, dict):
            out.append(root)
        else:
            raise TypeError(f"a root must be a Root, dict or URI string, not {type(root).__name__}")
    return {"roots": out}


__all__ = [
    "CreateMessageRequestParams",
    "CreateMessageResult",
    "ElicitRequestParams",
    "ElicitResult",
    "LoggingMessage",
    "Root",
    "SamplingMessage",
    "adapt",
]
