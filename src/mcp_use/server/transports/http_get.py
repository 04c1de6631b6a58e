"""GET at the MCP endpoint (legacy era): the session's standalone SSE stream, and the
resumption of a dropped stream with `Last-Event-ID` (from this process's event log, or
from the shared state when another process writes the stream).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ...protocol import jsonrpc
from ...protocol.errors import INVALID_REQUEST, SESSION_NOT_FOUND, MCPError
from ...protocol.versions import is_modern
from ..session_table import unavailable
from ..state.events import StreamLog, StreamLost, parse_event_id
from .asgi import RETRY_LATER, SSE_HEADERS, Receive, Send, accepts, respond_error
from .response_stream import ResponseStream, hold_open

if TYPE_CHECKING:
    from ..core import ServerCore
    from ..session import ServerSession

log = logging.getLogger("mcp_use.server.http")


class StandaloneStreams:
    """Serves GET: opens a session's standalone stream or resumes one of its POST streams."""

    def __init__(self, core: ServerCore) -> None:
        self.sessions = core.sessions
        self.events = core.events
        self.shared = core.state
        self.stopping = core.lifecycle.stopping
        self._open_streams: dict[str, asyncio.Event] = {}  # session id -> ends its GET stream

    async def get(
        self,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        principal: str | None = None,
        expires_at: float | None = None,
    ) -> None:
        """`principal`: whose token the GET carries, on a protected server (a session is
        served only to the principal that opened it); `expires_at`: when that token
        expires, and the stream ends (`hold_open`)."""
        if is_modern(headers.get("mcp-protocol-version")):
            await respond_error(
                send,
                405,
                INVALID_REQUEST,
                "Method Not Allowed: 2026-07-28 has no GET stream; use subscriptions/listen",
                headers=[(b"allow", b"POST")],
            )
            return
        if not accepts(headers.get("accept", ""), "text/event-stream"):
            await respond_error(
                send, 406, INVALID_REQUEST, "Not Acceptable: Accept must list text/event-stream"
            )
            return
        session_id = headers.get("mcp-session-id")
        if session_id is None:
            await respond_error(send, 400, INVALID_REQUEST, "Bad Request: missing Mcp-Session-Id header")
            return
        try:
            session = await self.sessions.find(session_id, principal)
        except MCPError as exc:  # the shared state does not answer: 503, never 404
            await respond_error(send, 503, exc.code, exc.message, headers=RETRY_LATER)
            return
        if session is None:
            await respond_error(send, 404, SESSION_NOT_FOUND, "Session not found")
            return
        last_event_id = headers.get("last-event-id")
        if last_event_id is not None:
            parsed = parse_event_id(last_event_id)
            stream_log = self.events.get(parsed[0]) if parsed else None
            if stream_log is not None and stream_log.session_id == session.id and not stream_log.standalone:
                await self._resume(receive, send, stream_log, parsed[1], expires_at)  # type: ignore[index]
                return
            if stream_log is None and parsed is not None and self.shared is not None:
                try:
                    owner = await self.shared.stream_owner(parsed[0])
                except StreamLost as exc:
                    await respond_error(send, 410, INVALID_REQUEST, f"Gone: {exc}; send the request again")
                    return
                except Exception as exc:  # Redis does not answer: retry later, do not open a new stream
                    refusal = unavailable(exc)
                    await respond_error(send, 503, refusal.code, refusal.message, headers=RETRY_LATER)
                    return
                if owner is not None and owner[0] == session.id:
                    await self._resume_shared(receive, send, parsed[0], parsed[1], owner[1], expires_at)
                    return
        await self._open(receive, send, session, expires_at)

    async def _open(
        self, receive: Receive, send: Send, session: ServerSession, expires_at: float | None
    ) -> None:
        """The session's standalone stream. A new GET replaces the one open: the old one may
        be a dropped connection whose end the server has not noticed yet (refusing it
        with 409 would lock the client out until then), and only one gets messages."""
        closed = asyncio.Event()
        previous = self._open_streams.get(session.id)  # type: ignore[arg-type]
        if previous is not None:
            previous.set()
        self._open_streams[session.id] = closed  # type: ignore[index]
        stream = ResponseStream(send)
        lock = asyncio.Lock()

        async def deliver(message: jsonrpc.Message) -> None:
            async with lock:
                await stream.message(message)

        session.stream = deliver
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        stream.started = True
        await send({"type": "http.response.body", "body": b": stream open\n\n", "more_body": True})
        try:
            await hold_open(receive, send, closed, stream, self.stopping, expires_at)
        finally:
            if session.stream is deliver:
                session.stream = None
            if self._open_streams.get(session.id) is closed:  # type: ignore[arg-type]
                del self._open_streams[session.id]  # type: ignore[arg-type]

    async def _resume(
        self, receive: Receive, send: Send, stream_log: StreamLog, seq: int, expires_at: float | None
    ) -> None:
        """Replay a POST stream's events after `seq`, then follow it until it finishes."""
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        for chunk in stream_log.after(seq):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if stream_log.finished:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        finished = asyncio.Event()

        async def forward(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if stream_log.finished:
                finished.set()

        stream_log.live = forward
        stream = ResponseStream(send)
        stream.started = True
        try:
            await hold_open(receive, send, finished, stream, self.stopping, expires_at)
        finally:
            if stream_log.live is forward:
                stream_log.live = None

    async def _resume_shared(
        self, receive: Receive, send: Send, key: str, seq: int, writer: str, expires_at: float | None
    ) -> None:
        """Resume a stream another process writes: replay from Redis, then follow it live."""
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        finished = asyncio.Event()

        async def pump() -> None:
            try:
                async for chunk in self.shared.follow(key, seq, writer):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except Exception as exc:
                log.warning("Resuming stream %s from shared state failed: %s", key, exc)
            finally:
                finished.set()

        task = asyncio.ensure_future(pump())
        stream = ResponseStream(send)
        stream.started = True
        try:
            await hold_open(receive, send, finished, stream, self.stopping, expires_at)
        finally:
            task.cancel()
