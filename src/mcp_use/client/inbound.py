"""What the server asks of the client and tells it, routed to the user's callbacks.

One table for both eras: a legacy server-to-client request (`sampling/createMessage`,
`elicitation/create`, `roots/list`, `ping`) and a 2026-07-28 input request inside an
input-required result are both answered by `answer()`; notifications (logging, list
changes, resource updates) go through `notification()`. Progress is the requester's
(it belongs to a pending request), not this module's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from ..protocol.errors import METHOD_NOT_FOUND, MCPError
from ..protocol.types import LoggingMessage
from . import callbacks as cb

#: while a callback answers one input request of a 2026-07-28 input-required round: its key
#: (a proxy passes the question on under the same key)
INPUT_KEY: ContextVar[str | None] = ContextVar("mcp_use_input_key", default=None)


class Inbound:
    """The user's callbacks for one session; `context` is what they receive first (the session)."""

    def __init__(
        self,
        *,
        sampling_callback: cb.Callback | None = None,
        elicitation_callback: cb.Callback | None = None,
        list_roots_callback: cb.Callback | None = None,
        roots: list[Any] | None = None,
        logging_callback: cb.Callback | None = None,
        message_handler: cb.Callback | None = None,
        list_changed_callback: cb.Callback | None = None,
        resource_updated_callback: cb.Callback | None = None,
    ) -> None:
        self.context: Any = None
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
        #: called with the list name ("tools", "prompts", ...) before the user hears of a change
        self.on_list_changed: Callable[[str], None] | None = None

    @property
    def capabilities(self) -> dict[str, Any]:
        """The client capabilities these callbacks let us declare."""
        caps: dict[str, Any] = {}
        if self._roots is not None:
            caps["roots"] = {"listChanged": True}
        if self._sampling is not None:
            caps["sampling"] = {}
        if self._elicitation is not None:
            caps["elicitation"] = {"form": {}, "url": {}}
        return caps

    @property
    def wants_notifications(self) -> bool:
        """True when someone listens for list changes or resource updates (2026-07-28 listen)."""
        return self._list_changed is not None or self._resource_updated is not None

    async def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run the callback for one thing the server asked of us; its wire result."""
        if method == "sampling/createMessage":
            if self._sampling is None:
                raise MCPError(METHOD_NOT_FOUND, "This client has no sampling_callback")
            value = await self._sampling(self.context, cb.CreateMessageRequestParams.model_validate(params))
            return cb.sampling_result(value)
        if method == "elicitation/create":
            if self._elicitation is None:
                raise MCPError(METHOD_NOT_FOUND, "This client has no elicitation_callback")
            value = await self._elicitation(self.context, cb.ElicitRequestParams.model_validate(params))
            return cb.elicitation_result(value, params)
        if method == "roots/list":
            if self._roots is None:
                raise MCPError(METHOD_NOT_FOUND, "This client exposes no roots")
            return cb.roots_result(await self._roots(self.context, params))
        if method == "ping":
            return {}
        raise MCPError(METHOD_NOT_FOUND, f"Method not found: {method}")

    async def notification(self, method: str, params: dict[str, Any], message: dict[str, Any]) -> None:
        if method == "notifications/message":
            if self._logging is not None:
                await self._logging(self.context, LoggingMessage.model_validate(params))
        elif method.endswith("/list_changed"):
            which = method.split("/")[1]
            if self.on_list_changed is not None:
                self.on_list_changed(which)
            if self._list_changed is not None:
                await _maybe_await(self._list_changed(which))
        elif method == "notifications/resources/updated":
            if self._resource_updated is not None:
                await _maybe_await(self._resource_updated(params.get("uri")))
        if self._message_handler is not None:
            await _maybe_await(self._message_handler(message))


async def _maybe_await(value: Any) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        await value


__all__ = ["INPUT_KEY", "Inbound"]
