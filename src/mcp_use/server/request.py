"""What the engine knows about one incoming request while it is being served."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol import jsonrpc
from .input_rounds import InputRound
from .session import MessageSink, ServerSession


async def _discard(message: jsonrpc.Message) -> None:
    return None


class Peer:
    """What a transport knows about the client outside any request: for `initialize`
    and client notifications, which have no `ServerRequest`. Its four fields carry the
    same names and meanings as the request's, so middleware reads either alike.

    `headers`: the HTTP request's headers (lowercased names) on Streamable HTTP and
    legacy SSE; None on stdio and in memory, which have none. `client_address`: the
    peer's `(host, port)` on HTTP, else None. `access_token`: the verified token on a
    protected HTTP server, else None.
    """

    __slots__ = ("access_token", "client_address", "headers", "transport")

    def __init__(
        self, transport: str, headers: Any = None, client_address: Any = None, access_token: Any = None
    ) -> None:
        self.transport = transport
        self.headers = headers
        self.client_address = client_address
        self.access_token = access_token


class ServerRequest:
    """One request in flight: its era, the client's declarations, and where replies go.

    `sink` carries messages related to this request (progress, logs and, on the legacy
    era, server-to-client requests) to the client: the POST's SSE stream on HTTP, stdout
    on stdio. The request context a transport knows (`headers`, `client_address`) and
    what authorization decides (`access_token`, None on an unprotected server) travel here too.
    """

    __slots__ = (
        "access_token",
        "client_address",
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
        "task_handlers",
        "transport",
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
        sink: MessageSink | None = None,
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
        self.sink: MessageSink = sink or _discard
        self.log_level = log_level
        meta = params.get("_meta")
        self.progress_token = meta.get("progressToken") if isinstance(meta, dict) else None
        self.round: InputRound | None = None
        self.close_stream: Callable[[], Awaitable[None]] | None = None
        self.headers = headers
        self.client_address: Any = None  # (host, port) of the peer, on HTTP
        self.access_token: Any = None  # the verified `AccessToken`, on a protected server
        # Set while this call runs as a task (a `tasks.LiveTask`), or may become one
        # (`task_start="manual"`: what `ctx.start_task()` awaits).
        self.task: Any = None
        self.start_task: Callable[[], Awaitable[None]] | None = None
        # Who runs this call if it becomes a task (a `tasks.TaskHandlers`): None, the
        # engine serving it; set by a mount to its parent's, so the task's record lives
        # where the client's `tasks/get` goes.
        self.task_handlers: Any = None
        self.transport: str | None = None  # "stdio", "streamable-http", "sse", "memory"
