"""What the engine knows about one incoming request while it is being served."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol import jsonrpc
from .mrtr import RoundState
from .session import ServerSession

Sink = Callable[[jsonrpc.Message], Awaitable[None]]


async def _discard(message: jsonrpc.Message) -> None:
    return None


class ServerRequest:
    """One request in flight: its era, the client's declarations, and where replies go.

    `sink` carries messages related to this request (progress, logs and, on the legacy
    era, server-to-client requests) to the client: the POST's SSE stream on HTTP, stdout
    on stdio.
    """

    __slots__ = (
        "client_capabilities",
        "client_info",
        "close_stream",
        "headers",
        "id",
        "log_level",
        "method",
        "modern",
        "params",
        "progress_token",
        "round",
        "session",
        "sink",
        "start_task",
        "task",
        "version",
    )

    def __init__(
        self,
        id: jsonrpc.RequestId,
        method: str,
        params: dict[str, Any],
        *,
        modern: bool,
        version: str,
        client_capabilities: dict[str, Any],
        client_info: dict[str, Any] | None = None,
        session: ServerSession | None = None,
        sink: Sink | None = None,
        log_level: str | None = None,
        headers: Any = None,
    ) -> None:
        self.id = id
        self.method = method
        self.params = params
        self.modern = modern
        self.version = version
        self.client_capabilities = client_capabilities
        self.client_info = client_info
        self.session = session
        self.sink: Sink = sink or _discard
        self.log_level = log_level
        meta = params.get("_meta")
        self.progress_token = meta.get("progressToken") if isinstance(meta, dict) else None
        self.round: RoundState | None = None
        self.close_stream: Callable[[], Awaitable[None]] | None = None
        self.headers = headers
        # Set while this call runs as a task (a `tasks.LiveTask`), or may become one
        # (`task_start="manual"`: what `ctx.start_task()` awaits).
        self.task: Any = None
        self.start_task: Callable[[], Awaitable[None]] | None = None
