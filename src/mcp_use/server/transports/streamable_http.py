"""Streamable HTTP at the MCP endpoint, for both protocol eras.

Era per request: a modern `MCP-Protocol-Version` header (or modern `_meta`) selects the
stateless 2026-07-28 rules; otherwise the request belongs to a legacy session opened
by `initialize` and named by `Mcp-Session-Id`.

A POST is answered as JSON when its result is the first thing the handler produces,
and switches to an SSE stream as soon as something (a progress or log notification, a
server-to-client request) has to go out before it. Most calls never pay for SSE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from ...protocol import jsonrpc
from ...protocol.correlator import Correlator
from ...protocol.errors import (
    HEADER_MISMATCH,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    MCPError,
)
from ...protocol.versions import LEGACY_VERSIONS, declares_version, is_modern, meta_version
from ..http import headers as mcp_headers
from ..notifications import Listener
from ..session import ServerSession, new_session_id
from ..state.events import StreamLog, parse_event_id
from .asgi import (
    SSE_HEADERS,
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    header_map,
    read_body,
    respond,
    respond_error,
    respond_json,
    sse_event,
)

if TYPE_CHECKING:
    from ..server import MCPServer

log = logging.getLogger("mcp_use.server.http")
SESSION_NOT_FOUND = -32001
# A modern request refused as a whole answers with an HTTP status, not 200.
MODERN_ERROR_STATUS = {
    METHOD_NOT_FOUND: 404,
    HEADER_MISMATCH: 400,
    MISSING_REQUIRED_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
}
KEEPALIVE_SECONDS = 15.0
RESUMABLE_SINCE = "2025-11-25"  # clients before it may choke on a data-less priming event
# Requests that change a session's shared record.
SYNCED_METHODS = frozenset(("logging/setLevel", "resources/subscribe", "resources/unsubscribe"))


class ResponseStream:
    """The answer to one POST: JSON if the result comes first, else an SSE stream.

    On the legacy era a stream gets a `StreamLog`: every event carries an id and is
    kept, so after a drop or `close()` the client resumes with `Last-Event-ID`.
    """

    __slots__ = ("closed", "done", "extra_headers", "log", "open_log", "retry_ms", "send", "started")

    def __init__(
        self,
        send: Send,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
        open_log: Any = None,
        retry_ms: int = 1000,
    ) -> None:
        self.send = send
        self.extra_headers = extra_headers or []
        self.started = False
        self.closed = False  # the HTTP response has ended
        self.done = False  # the final response went out
        self.open_log = open_log
        self.log: StreamLog | None = None
        self.retry_ms = retry_ms

    async def _start(self) -> None:
        self.started = True
        await self.send(
            {"type": "http.response.start", "status": 200, "headers": SSE_HEADERS + self.extra_headers}
        )
        if self.open_log is not None:
            self.log = self.open_log()
            await self.send(
                {"type": "http.response.body", "body": self.log.priming(self.retry_ms), "more_body": True}
            )

    async def _emit(self, message: jsonrpc.Message, last: bool) -> None:
        if not self.started and not self.closed:
            await self._start()
        chunk = self.log.append(message) if self.log is not None else sse_event(message)
        if last and self.log is not None:
            self.log.finish()
        if self.log is not None and self.log.live is not None:
            # A client resumed this stream elsewhere, so this connection is gone.
            with contextlib.suppress(Exception):
                await self.log.live(chunk)
            if last and not self.closed:
                self.closed = True
                with contextlib.suppress(Exception):
                    await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        elif not self.closed:
            try:
                await self.send({"type": "http.response.body", "body": chunk, "more_body": not last})
            except OSError:
                self.closed = True
            if last:
                self.closed = True

    async def message(self, message: jsonrpc.Message) -> None:
        if self.done or (self.closed and self.log is None):
            return
        await self._emit(message, last=False)

    async def finish(self, response: jsonrpc.Message | None) -> None:
        if self.done:
            return
        self.done = True
        if self.started:
            if response is not None:
                await self._emit(response, last=True)
            elif not self.closed:
                self.closed = True
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})
            if self.log is not None:
                self.log.finish()
        elif response is None:
            self.closed = True
            await respond(self.send, 202, b"", self.extra_headers)
        else:
            self.closed = True
            await respond_json(self.send, 200, response, self.extra_headers)

    async def close(self) -> None:
        """End the HTTP response now; later events wait in the log for the client to resume."""
        if self.closed:
            return
        if not self.started:
            await self._start()
        self.closed = True
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})


class StreamableHTTPTransport:
    """The raw ASGI app that serves the MCP endpoint."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self.engine = server._engine
        self.sessions: dict[str, ServerSession] = {}
        # Shared state (Redis) when several processes serve the same clients; None: memory.
        self.shared: Any = server.state
        self._shutdown: asyncio.Event | None = None
        self._last_sweep = time.monotonic()
        # Counters for /metrics (never touched on a request's fast path).
        self.evicted = 0
        self.rejected = 0
        self.loaded = 0
        self.routed = 0
        self._hooked = False
        self._retiring: asyncio.Future[None] | None = None

    @property
    def shutdown_event(self) -> asyncio.Event:
        if self._shutdown is None:
            self._shutdown = asyncio.Event()
        return self._shutdown

    def begin_shutdown(self) -> None:
        """End every open SSE stream now (clients resume elsewhere), so shutdown is quick;
        leave the shared state's list of live processes (in-flight calls still finish)."""
        self.shutdown_event.set()
        retire = getattr(self.shared, "retire", None)
        if retire is not None and self.shared.ready and self._retiring is None:
            self._retiring = asyncio.ensure_future(retire())

    def _hook_signals(self) -> None:
        """On the first request: call `begin_shutdown` as soon as SIGTERM/SIGINT arrives.

        Chained in front of the handler the server installed (uvicorn, also in gunicorn's
        UvicornWorker and uvicorn's worker processes): their lifespan shutdown comes only
        once every connection has ended, too late for SSE streams that never end. Nothing
        is installed where no one handles the signal (a test's ASGI client, a script).
        """
        self._hooked = True
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if not callable(previous) or previous is signal.default_int_handler:
                continue

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                with contextlib.suppress(RuntimeError):  # the loop is already closed
                    loop.call_soon_threadsafe(self.begin_shutdown)
                previous(signum, frame)

            signal.signal(sig, handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if not self._hooked:
            self._hook_signals()
        if self.shared is not None and not self.shared.ready:
            problem = await self._start_shared()
            if problem is not None:
                await respond_error(send, 503, INVALID_REQUEST, problem, headers=[(b"retry-after", b"5")])
                return
        headers = header_map(scope)
        problem = self.server._guard.check(scope, headers.get("host"), headers.get("origin"))
        if problem is not None:
            status = 403 if "Origin" in problem else 421
            await respond_error(send, status, INVALID_REQUEST, problem)
            return
        method = scope["method"]
        if method == "POST":
            await self._post(scope, receive, send, headers)
        elif method == "GET":
            await self._get(receive, send, headers)
        elif method == "DELETE":
            await self._delete(send, headers)
        else:
            await respond_error(
                send,
                405,
                INVALID_REQUEST,
                f"Method {method} not allowed",
                headers=[(b"allow", b"GET, POST, DELETE")],
            )

    # ---- POST -----------------------------------------------------------------------
    async def _post(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        content_type = headers.get("content-type", "")
        if "application/json" not in content_type:
            await respond_error(
                send, 415, INVALID_REQUEST, "Unsupported Media Type: Content-Type must be application/json"
            )
            return
        accept = headers.get("accept", "")
        if not _accepts(accept, "application/json") or not _accepts(accept, "text/event-stream"):
            await respond_error(
                send,
                406,
                INVALID_REQUEST,
                "Not Acceptable: Accept must list both application/json and text/event-stream",
            )
            return
        try:
            body = await read_body(receive, self.server.max_body_size, headers.get("content-length"))
        except BodyTooLarge:
            await respond_error(
                send,
                413,
                INVALID_REQUEST,
                f"Payload Too Large: the body exceeds {self.server.max_body_size} bytes",
            )
            return
        try:
            message = jsonrpc.loads(body)
        except MCPError as exc:
            await respond_error(send, 400, PARSE_ERROR, exc.message)
            return
        if isinstance(message, list):
            await respond_error(send, 400, INVALID_REQUEST, "Invalid Request: batches are not supported")
            return
        try:
            kind = jsonrpc.classify(message)
        except MCPError as exc:
            await respond_error(send, 400, exc.code, exc.message)
            return

        version_header = headers.get("mcp-protocol-version")
        session_id = headers.get("mcp-session-id")
        if (version_header is not None and version_header not in LEGACY_VERSIONS) or (
            session_id is None
            and kind != jsonrpc.RESPONSE
            and declares_version(message)
            and message.get("method") != "initialize"
        ):
            await self._modern(scope, receive, send, headers, message, kind, version_header)
            return
        if session_id is None:
            if kind == jsonrpc.REQUEST and message["method"] == "initialize":
                await self._initialize(send, message)
                return
            await respond_error(
                send,
                400,
                INVALID_REQUEST,
                "Bad Request: missing Mcp-Session-Id header; send initialize first, or use "
                "protocol version 2026-07-28 with per-request _meta",
                message.get("id") if kind == jsonrpc.REQUEST else None,
            )
            return
        session = self.sessions.get(session_id)
        if session is None and self.shared is not None:
            session = await self._load_session(session_id)
        if session is None:
            await respond_error(
                send,
                404,
                SESSION_NOT_FOUND,
                "Session not found: it expired or was deleted; initialize again",
                message.get("id") if kind == jsonrpc.REQUEST else None,
            )
            return
        session.last_active = time.monotonic()
        if self.shared is not None:
            self.shared.touch(session_id)
        if version_header is not None and version_header not in LEGACY_VERSIONS:
            await respond_error(
                send,
                400,
                INVALID_REQUEST,
                f"Bad Request: unsupported MCP-Protocol-Version {version_header!r}; "
                f"supported: {', '.join(LEGACY_VERSIONS)}",
            )
            return
        await self._legacy(scope, receive, send, headers, session, message, kind)

    def _evict_idle(self) -> None:
        """Drop sessions idle past the timeout; checked at most every few seconds."""
        now = time.monotonic()
        if now - self._last_sweep < 5.0 and len(self.sessions) < self.server.max_sessions:
            return
        self._last_sweep = now
        cutoff = now - self.server.session_idle_timeout
        idle = [sid for sid, s in self.sessions.items() if s.last_active < cutoff and s.stream is None]
        for sid in idle:
            self._end_session(sid)
        self.evicted += len(idle)
        if idle:
            log.info("Evicted %d idle session(s)", len(idle))

    def _end_session(self, session_id: str) -> ServerSession | None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            self.server._hub.forget(session)
            session.close()
            if self.shared is not None:
                self.shared.forget(session_id)
        return session

    # ---- shared state (several processes) ----------------------------------------------
    async def _start_shared(self) -> str | None:
        """Start the shared state on the first request; the reason to refuse, if any."""
        from ..state.redis import StateConflict

        try:
            await self.shared.start(self.server, self._on_shared)
        except StateConflict as exc:
            log.error("%s", exc)
            return str(exc)
        except Exception as exc:
            log.error("Shared state unavailable: %s", exc)
            return f"Service Unavailable: shared state unavailable ({exc})"
        self.server._hub.relay = self.shared.broadcast
        return None

    def _adopt(self, session: ServerSession) -> None:
        """Server-to-client request ids name this process, so answers find their way back."""
        session.correlator = Correlator(default_timeout=None, id_prefix=self.shared.token)

    async def _load_session(self, session_id: str) -> ServerSession | None:
        """A session another process opened: rebuild it here from its shared record."""
        try:
            record = await self.shared.load_session(session_id)
        except Exception as exc:
            log.warning("Could not load session %s from shared state: %s", session_id, exc)
            return None
        if record is None:
            return None
        session = self.sessions.get(session_id)  # loaded meanwhile by a concurrent request
        if session is not None:
            return session
        session = ServerSession(
            session_id,
            record["protocol_version"],
            {"clientInfo": record["client_info"], "capabilities": record["capabilities"]},
        )
        session.initialized = True
        session.log_level = record["log_level"]
        session.subscriptions = record["subscriptions"] or None
        self._adopt(session)
        self.sessions[session_id] = session
        self.server._hub.watch(session)
        self.loaded += 1
        return session

    async def _sync_session(self, session: ServerSession) -> None:
        """Log level or subscriptions changed: store them, and tell processes holding the session."""
        try:
            await self.shared.save_session(session)
            await self.shared.broadcast(
                {
                    "t": "sync",
                    "sid": session.id,
                    "ll": session.log_level,
                    "subs": sorted(session.subscriptions or ()),
                }
            )
        except Exception as exc:  # the change holds here; other processes keep the old one
            log.warning("Could not share session %s's change: %s", session.id, exc)

    async def _on_shared(self, data: dict[str, Any]) -> None:
        """A message from another process (see `state/redis.py` for who sends what)."""
        kind = data.get("t")
        if kind == "changed":
            await self.server._hub.list_changed(data["kind"], relayed=True)
            return
        if kind == "updated":
            await self.server._hub.resource_updated(data["uri"], relayed=True)
            return
        session = self.sessions.get(data.get("sid"))  # type: ignore[arg-type]
        if session is None:
            return
        if kind == "resp":
            if session.correlator is not None:
                session.correlator.resolve(data["m"])
        elif kind == "cancel":
            session.cancel(data.get("rid"))  # type: ignore[arg-type]
        elif kind == "end":
            self._end_session(session.id)  # type: ignore[arg-type]
        elif kind == "sync":
            session.log_level = data.get("ll")
            session.subscriptions = set(data.get("subs") or ()) or None

    async def _initialize(self, send: Send, message: jsonrpc.Message) -> None:
        self._evict_idle()
        if len(self.sessions) >= self.server.max_sessions:
            self.rejected += 1
            await respond_error(
                send,
                503,
                INVALID_REQUEST,
                f"Service Unavailable: the server holds its maximum of {self.server.max_sessions} "
                "sessions; retry later or use protocol version 2026-07-28 (no sessions)",
                message["id"],
                headers=[(b"retry-after", b"5")],
            )
            return
        session_id = new_session_id()
        try:
            session, result = self.engine.initialize(message.get("params") or {}, session_id)
        except MCPError as exc:
            await respond_json(send, 400, jsonrpc.error_from(message["id"], exc))
            return
        if self.shared is not None:
            self._adopt(session)
            try:
                await self.shared.save_session(session)
            except Exception as exc:
                await respond_error(
                    send,
                    503,
                    INVALID_REQUEST,
                    f"Service Unavailable: shared state unavailable ({exc})",
                    message["id"],
                    headers=[(b"retry-after", b"5")],
                )
                return
        self.sessions[session_id] = session
        self.server._hub.watch(session)
        await respond_json(
            send,
            200,
            jsonrpc.result(message["id"], result),
            [(b"mcp-session-id", session_id.encode())],
        )

    async def _legacy(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        session: ServerSession,
        message: jsonrpc.Message,
        kind: str,
    ) -> None:
        if kind == jsonrpc.RESPONSE:
            if session.correlator is None or not session.correlator.resolve(message):
                # The request may wait in another process, named by its id.
                if self.shared is not None and await self.shared.route_response(session.id, message):
                    self.routed += 1
                else:
                    log.debug("Dropped a response nobody waits for: %s", message.get("id"))
            await respond(send, 202)
            return
        if kind == jsonrpc.NOTIFICATION:
            await self.server._on_notification(message, session)
            await respond(send, 202)
            return
        if message["method"] == "initialize":
            await respond_error(
                send,
                400,
                INVALID_REQUEST,
                "Bad Request: this session is already initialized",
                message["id"],
            )
            return
        stream = ResponseStream(
            send,
            open_log=self._log_opener(session) if session.protocol_version >= RESUMABLE_SINCE else None,
            retry_ms=self.server.sse_retry_ms,
        )
        req = self.engine.legacy_request(message, session, sink=stream.message, headers=headers)
        req.close_stream = stream.close
        # The handler runs in this request's own task, which `notifications/cancelled`
        # cancels: no extra task per call.
        task = asyncio.current_task()
        session.track(req.id, task)  # type: ignore[arg-type]
        try:
            response = await self.engine.handle(req)
        except asyncio.CancelledError:
            if not session.was_cancelled(req.id):
                raise  # the server itself is shutting down
            task.uncancel()  # type: ignore[union-attr]
            # No response is sent for a cancelled request.
            with contextlib.suppress(Exception):
                await stream.finish(None)
            return
        finally:
            session.untrack(req.id)
        if self.shared is not None and req.method in SYNCED_METHODS and "error" not in response:
            await self._sync_session(session)
        try:
            await stream.finish(response)
        except OSError:
            pass  # the client went away; the event log keeps the answer for a resume

    def _log_opener(self, session: ServerSession) -> Any:
        store = self.server._events
        return lambda: store.open(session.id)

    async def _modern(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        message: jsonrpc.Message,
        kind: str,
        version_header: str | None,
    ) -> None:
        request_id = message.get("id") if kind == jsonrpc.REQUEST else None
        if kind == jsonrpc.RESPONSE:
            await respond_error(
                send,
                400,
                INVALID_REQUEST,
                "Bad Request: 2026-07-28 clients answer input requests by retrying, not by responses",
            )
            return
        if kind == jsonrpc.NOTIFICATION:
            await respond(send, 202)
            return
        stream = ResponseStream(send)
        try:
            body_version = meta_version(message)
            if body_version is not None:
                if version_header is None:
                    raise mcp_headers.mismatch("the MCP-Protocol-Version header is required")
                if version_header != body_version:
                    raise mcp_headers.mismatch(
                        f"MCP-Protocol-Version header {version_header!r} does not match "
                        f"_meta protocolVersion {body_version!r}"
                    )
            req = self.engine.modern_request(message, sink=stream.message, headers=headers)
            if not self.engine.knows(req.method, modern=True) and req.method != "subscriptions/listen":
                raise MCPError(METHOD_NOT_FOUND, f"Method not found: {req.method}", http_status=404)
            tool = self.server._tools.get(req.params.get("name")) if req.method == "tools/call" else None
            mcp_headers.check(req.method, req.params, headers, tool.input_schema if tool else None)
        except MCPError as exc:
            await respond_json(send, exc.http_status or 400, jsonrpc.error_from(request_id, exc))
            return
        if req.method == "subscriptions/listen":
            await self._listen(receive, send, req)
            return
        # Closing the response stream cancels the request. Most calls finish long before
        # anyone could hang up, so the disconnect watcher only starts if this one doesn't.
        task = asyncio.current_task()
        watch = _DisconnectWatch(receive, task)  # type: ignore[arg-type]
        try:
            response = await self.engine.handle(req)
        except asyncio.CancelledError:
            if not watch.fired:
                raise
            task.uncancel()  # type: ignore[union-attr]
            return
        finally:
            watch.stop()
        error = response.get("error")
        if error is not None and not stream.started:
            status = MODERN_ERROR_STATUS.get(error.get("code"), 200)
            try:
                await respond_json(send, status, response)
            except OSError:
                pass  # the client went away
            return
        try:
            await stream.finish(response)
        except OSError:
            pass  # the client went away

    async def _listen(self, receive: Receive, send: Send, req: Any) -> None:
        """`subscriptions/listen`: a long-lived stream of the notifications asked for."""
        requested = req.params.get("notifications")
        if not isinstance(requested, dict):
            requested = {}
        caps = self.engine.capabilities(modern=True)
        agreed: dict[str, Any] = {}
        for flag, cap in (
            ("toolsListChanged", "tools"),
            ("promptsListChanged", "prompts"),
            ("resourcesListChanged", "resources"),
        ):
            if requested.get(flag) and cap in caps:
                agreed[flag] = True
        uris = requested.get("resourceSubscriptions")
        if isinstance(uris, list) and "resources" in caps:
            agreed["resourceSubscriptions"] = [u for u in uris if isinstance(u, str)]
        task_ids = requested.get("taskIds")
        if isinstance(task_ids, list):  # SEP-2663: notifications/tasks for these tasks
            agreed["taskIds"] = [t for t in task_ids if isinstance(t, str)]
        stream = ResponseStream(send)
        lock = asyncio.Lock()

        async def deliver(message: jsonrpc.Message) -> None:
            async with lock:
                await stream.message(message)

        listener = Listener(req.id, agreed, deliver)
        await deliver(
            jsonrpc.notification(
                "notifications/subscriptions/acknowledged",
                {"notifications": agreed, "_meta": {"io.modelcontextprotocol/subscriptionId": req.id}},
            )
        )
        self.server._hub.listen(listener)
        try:
            await _hold_open(receive, send, listener.closed, stream, self.shutdown_event)
        finally:
            self.server._hub.unlisten(listener)

    # ---- GET: the legacy standalone stream ------------------------------------------
    async def _get(self, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        if is_modern(headers.get("mcp-protocol-version")):
            await respond_error(
                send,
                405,
                INVALID_REQUEST,
                "Method Not Allowed: 2026-07-28 has no GET stream; use subscriptions/listen",
                headers=[(b"allow", b"POST")],
            )
            return
        if not _accepts(headers.get("accept", ""), "text/event-stream"):
            await respond_error(
                send, 406, INVALID_REQUEST, "Not Acceptable: Accept must list text/event-stream"
            )
            return
        session_id = headers.get("mcp-session-id")
        if session_id is None:
            await respond_error(send, 400, INVALID_REQUEST, "Bad Request: missing Mcp-Session-Id header")
            return
        session = self.sessions.get(session_id)
        if session is None and self.shared is not None:
            session = await self._load_session(session_id)
        if session is None:
            await respond_error(send, 404, SESSION_NOT_FOUND, "Session not found")
            return
        last_event_id = headers.get("last-event-id")
        if last_event_id is not None:
            parsed = parse_event_id(last_event_id)
            log = self.server._events.get(parsed[0]) if parsed else None
            if log is not None and log.session_id == session.id and not log.standalone:
                await self._resume(receive, send, log, parsed[1])  # type: ignore[index]
                return
            if log is None and parsed is not None and self.shared is not None:
                owner = await self.shared.stream_owner(parsed[0])
                if owner is not None and owner[0] == session.id:
                    await self._resume_shared(receive, send, parsed[0], parsed[1], owner[1])
                    return
        if session.stream is not None:
            await respond_error(
                send, 409, INVALID_REQUEST, "Conflict: this session already has a standalone SSE stream open"
            )
            return
        stream = ResponseStream(send)
        closed = asyncio.Event()
        lock = asyncio.Lock()

        async def deliver(message: jsonrpc.Message) -> None:
            async with lock:
                await stream.message(message)

        session.stream = deliver
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        stream.started = True
        await send({"type": "http.response.body", "body": b": stream open\n\n", "more_body": True})
        try:
            await _hold_open(receive, send, closed, stream, self.shutdown_event)
        finally:
            if session.stream is deliver:
                session.stream = None

    async def _resume(self, receive: Receive, send: Send, log: StreamLog, seq: int) -> None:
        """Replay a POST stream's events after `seq`, then follow it until it finishes."""
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        for chunk in log.after(seq):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if log.finished:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        finished = asyncio.Event()

        async def forward(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if log.finished:
                finished.set()

        log.live = forward
        stream = ResponseStream(send)
        stream.started = True
        try:
            await _hold_open(receive, send, finished, stream, self.shutdown_event)
        finally:
            if log.live is forward:
                log.live = None

    async def _resume_shared(self, receive: Receive, send: Send, key: str, seq: int, writer: str) -> None:
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
            await _hold_open(receive, send, finished, stream, self.shutdown_event)
        finally:
            task.cancel()

    # ---- DELETE ---------------------------------------------------------------------
    async def _delete(self, send: Send, headers: dict[str, str]) -> None:
        session_id = headers.get("mcp-session-id")
        if session_id is None:
            status = 405 if is_modern(headers.get("mcp-protocol-version")) else 400
            await respond_error(send, status, INVALID_REQUEST, "Bad Request: missing Mcp-Session-Id header")
            return
        ended = self._end_session(session_id) is not None
        if self.shared is not None:
            ended = await self.shared.delete_session(session_id) or ended
        if not ended:
            await respond_error(send, 404, SESSION_NOT_FOUND, "Session not found")
            return
        await respond(send, 200)

    def close_all(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()


class _DisconnectWatch:
    """Cancels `task` when the client disconnects, watching only after a short delay."""

    __slots__ = ("fired", "handle", "receive", "task", "watcher")
    DELAY = 0.02

    def __init__(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        self.receive = receive
        self.task = task
        self.fired = False
        self.watcher: asyncio.Task[None] | None = None
        self.handle: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            self.DELAY, self._start
        )

    def _start(self) -> None:
        self.handle = None
        self.watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        await _wait_disconnect(self.receive)
        self.fired = True
        self.task.cancel()

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        if self.watcher is not None and not self.watcher.done():
            self.watcher.cancel()


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _hold_open(
    receive: Receive,
    send: Send,
    closed: asyncio.Event,
    stream: ResponseStream,
    shutdown: asyncio.Event,
) -> None:
    """Keep an SSE stream open, with keep-alive comments, until either side ends it."""
    disconnect = asyncio.ensure_future(_wait_disconnect(receive))
    ended = asyncio.ensure_future(closed.wait())
    stopping = asyncio.ensure_future(shutdown.wait())
    try:
        while True:
            done, _ = await asyncio.wait(
                {disconnect, ended, stopping},
                timeout=KEEPALIVE_SECONDS,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if done:
                break
            try:
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
            except Exception:
                break
        if stopping.done() and not ended.done() and not disconnect.done() and not stream.closed:
            # The server is going away: tell the client when to reconnect (to another process).
            with contextlib.suppress(Exception):
                retry = f"retry: {stream.retry_ms}\n\n".encode()
                await send({"type": "http.response.body", "body": retry, "more_body": True})
    finally:
        disconnect.cancel()
        ended.cancel()
        stopping.cancel()
        with contextlib.suppress(Exception):
            await stream.close()


def _accepts(accept: str, media: str) -> bool:
    if not accept:
        return False
    if "*/*" in accept:
        return True
    return media in accept or (media.split("/")[0] + "/*") in accept
