"""A legacy-era session: what `initialize` negotiated, and the way back to the client.

Kept small on purpose (slots, lazily built parts): an idle session costs a few hundred
bytes, so a server can hold many thousands.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol import jsonrpc
from ..protocol.correlator import Correlator
from ..protocol.log_levels import at_least

MessageSink = Callable[[jsonrpc.Message], Awaitable[None]]


def new_session_id() -> str:
    return secrets.token_hex(16)


class ServerSession:
    __slots__ = (
        "__weakref__",
        "cancelled",
        "client_capabilities",
        "client_info",
        "correlator",
        "id",
        "inflight",
        "initialized",
        "last_active",
        "log_level",
        "principal",
        "protocol_version",
        "stream",
        "subscriptions",
    )

    def __init__(self, session_id: str | None, protocol_version: str, params: dict[str, Any]) -> None:
        self.id = session_id
        self.protocol_version = protocol_version
        self.client_info: dict[str, Any] = params.get("clientInfo") or {}
        self.client_capabilities: dict[str, Any] = params.get("capabilities") or {}
        self.initialized = False
        self.log_level: str | None = None
        self.subscriptions: set[str] | None = None
        self.correlator: Correlator | None = None
        self.inflight: dict[jsonrpc.RequestId, asyncio.Task[Any]] | None = None
        self.cancelled: set[jsonrpc.RequestId] | None = None  # ids the client cancelled
        self.stream: MessageSink | None = None  # the standalone channel: GET stream or stdio
        self.last_active = time.monotonic()
        self.principal: str | None = None  # whose token opened it, on a protected server

    def belongs_to(self, principal: str | None) -> bool:
        """Served only to the principal whose token opened it (None on an open server)."""
        return (self.principal or "") == (principal or "")

    def wants_log(self, level: str) -> bool:
        return at_least(level, self.log_level)

    def requests(self) -> Correlator:
        if self.correlator is None:
            self.correlator = Correlator(default_timeout=None, id_prefix=None)
        return self.correlator

    def track(self, request_id: jsonrpc.RequestId, task: asyncio.Task[Any]) -> None:
        if self.inflight is None:
            self.inflight = {}
        self.inflight[request_id] = task

    def untrack(self, request_id: jsonrpc.RequestId) -> None:
        if self.inflight:
            self.inflight.pop(request_id, None)

    def cancel(self, request_id: jsonrpc.RequestId) -> bool:
        task = self.inflight.get(request_id) if self.inflight else None
        if task is None or task.done():
            return False
        if self.cancelled is None:
            self.cancelled = set()
        self.cancelled.add(request_id)
        task.cancel()
        return True

    def was_cancelled(self, request_id: jsonrpc.RequestId) -> bool:
        """True once, for a request the client cancelled (not one the server tore down)."""
        if self.cancelled and request_id in self.cancelled:
            self.cancelled.discard(request_id)
            return True
        return False

    async def notify(self, message: jsonrpc.Message) -> bool:
        """Send on the standalone channel; False when the client has none open."""
        if self.stream is None:
            return False
        try:
            await self.stream(message)
        except Exception:
            return False
        return True

    def close(self) -> None:
        if self.correlator is not None:
            self.correlator.fail_all()
        if self.inflight:
            for task in self.inflight.values():
                task.cancel()
        self.stream = None
