"""Streamable HTTP at the MCP endpoint, for both protocol eras.

The era of each message comes from `protocol.era.inbound_era` (headers and `_meta`):
the stateless 2026-07-28 rules, or a legacy session opened by `initialize` and named
by `Mcp-Session-Id` (held by the core's `SessionTable`). This module turns POST and
DELETE into engine calls; `response_stream.py` writes the answers (JSON or SSE) and
`http_get.py` serves GET (standalone streams, resumption).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from ...protocol import jsonrpc
from ...protocol.era import MODERN, inbound_era
from ...protocol.errors import (
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    SESSION_NOT_FOUND,
    MCPError,
    brief,
)
from ...protocol.versions import is_modern, meta_version
from ..http import headers as mcp_headers
from ..http.auth import SCOPE_KEY, expiry_of, principal_of
from ..request import Peer
from ..session import ServerSession, new_session_id
from ..session_table import SYNCED_METHODS
from .asgi import (
    RETRY_LATER,
    BodyRefused,
    Receive,
    Scope,
    Send,
    accepts_answers,
    modern_status,
    read_headers,
    read_limited_body,
    respond,
    respond_error,
    respond_json,
)
from .http_get import StandaloneStreams
from .plain_post import PlainCallLane
from .response_stream import DisconnectWatch, ResponseStream, hold_open

if TYPE_CHECKING:
    from ..core import ServerCore

RESUMABLE_SINCE = "2025-11-25"  # clients before it may choke on a data-less priming event
REFUSED = object()  # `_read` answered the POST itself
KEPT_ACCEPTS = 64  # Accept values remembered as passing (a client chooses them: bounded)


class StreamableHTTPServerTransport:
    """The raw ASGI app that serves the MCP endpoint; built with a `ServerCore` only."""

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.engine = core.engine
        self.sessions = core.sessions
        self.guard = core.guard
        self.tools = core.features.tools
        self.events = core.events
        self.shared = core.state
        self.lifecycle = core.lifecycle
        self.start_shared = core.start_shared
        self.limits = core.settings.limits
        self.auth = core.authenticator  # the bearer check, on a protected server
        self.get_streams = StandaloneStreams(core)
        self._unhooked = True
        self._accepted: set[str] = set()  # Accept values that passed
        self.lane = PlainCallLane(core, general=self.serve, entry=self.__call__)
        self._lanes = [self.lane]  # with the fronts, all made ready together

    @property
    def entry(self) -> PlainCallLane:
        """The endpoint as the app calls it: the plain-call lane, which answers most POSTs
        itself once the first request has been through `__call__` (and hands it the rest),
        one call fewer per request."""
        return self.lane

    def front(self, app: Any, path: str) -> PlainCallLane:
        """What an ASGI server may call in place of `app`, an app that hands `path`'s
        requests straight to `entry`: a lane that answers the plain calls of `path` and
        passes everything else (the first request, every other path, verb and scope
        type) to `app`. The app's layer and its path check, a twentieth of a plain
        call's cost, then come only after the lane has declined."""
        for lane in self._lanes[1:]:  # one front per app, however often it is asked for
            if lane.entry is app and lane.path == path:
                return lane
        lane = PlainCallLane(self.core, general=self.serve, entry=app, path=path, calls=self.lane.calls)
        lane.ready = self.lane.ready
        self._lanes.append(lane)
        return lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self._unhooked:
            self._unhooked = False
            self.lifecycle.hook_signals()
            self.lifecycle.start_housekeeping()
            # without shared state nothing more to prepare: the lanes may take POSTs first
            for lane in self._lanes:
                lane.ready = self.shared is None
        if self.shared is not None and not self.shared.ready:
            problem = await self.start_shared()
            if problem is not None:
                await respond_error(send, 503, INVALID_REQUEST, problem, headers=RETRY_LATER)
                return
        if scope["method"] == "POST":
            await self.lane(scope, receive, send, prepared=True)  # the general path for all but plain calls
            return
        await self.serve(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Any request to the endpoint (the general path)."""
        headers, problem = read_headers(scope["headers"], self.limits.max_header_bytes)
        if problem is not None:
            await respond_error(send, problem[0], INVALID_REQUEST, problem[1])
            return
        refusal = self.guard.check(scope, headers.get("host"), headers.get("origin"))
        if refusal is not None:
            await respond_json(send, refusal.status, refusal.body())
            return
        if self.auth is not None:
            denied = await self.auth.admit(scope)
            if denied is not None:
                await respond_json(send, *denied)
                return
        method = scope["method"]
        if method == "POST":
            await self._post(scope, receive, send, headers)
        elif method == "GET":
            await self.get_streams.get(receive, send, headers, principal_of(scope), expiry_of(scope))
        elif method == "DELETE":
            await self._delete(scope, send, headers)
        else:
            await respond_error(
                send,
                405,
                INVALID_REQUEST,
                f"Method {method} not allowed",
                headers=[(b"allow", b"GET, POST, DELETE")],
            )

    def _accept_ok(self, accept: str) -> bool:
        """Whether a POST's `Accept` lists both answer types; a passing value is kept (a
        client sends the same one every time; bounded, since a client chooses them)."""
        if not accepts_answers(accept):
            return False
        if len(self._accepted) < KEPT_ACCEPTS:
            self._accepted.add(accept)
        return True

    # ---- POST -----------------------------------------------------------------------
    async def _read(self, receive: Receive, send: Send, headers: dict[str, str]) -> Any:
        """The POST's one JSON-RPC message (any JSON value), or `REFUSED` once a refusal
        has been sent."""
        if "application/json" not in headers.get("content-type", ""):
            await respond_error(
                send, 415, INVALID_REQUEST, "Unsupported Media Type: Content-Type must be application/json"
            )
            return REFUSED
        accept = headers.get("accept", "")
        if accept not in self._accepted and not self._accept_ok(accept):
            await respond_error(
                send,
                406,
                INVALID_REQUEST,
                "Not Acceptable: Accept must list both application/json and text/event-stream",
            )
            return REFUSED
        try:
            body = await read_limited_body(receive, self.limits, headers.get("content-length"))
        except BodyRefused as exc:
            await respond_error(send, exc.status, INVALID_REQUEST, exc.reason)
            return REFUSED
        try:
            message = jsonrpc.loads(body)
        except MCPError as exc:
            await respond_error(send, 400, PARSE_ERROR, exc.message)
            return REFUSED
        if isinstance(message, list):
            await respond_error(send, 400, INVALID_REQUEST, "Invalid Request: batches are not supported")
            return REFUSED
        return message

    async def _post(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        message = await self._read(receive, send, headers)
        if message is REFUSED:
            return
        try:
            kind = jsonrpc.classify(message)
        except MCPError as exc:
            await respond_error(send, 400, exc.code, exc.message)
            return
        if self.auth is not None and kind == jsonrpc.REQUEST:
            denied = self.auth.deny_scopes(scope, message)  # on both eras, before any session
            if denied is not None:
                await respond_json(send, *denied)
                return
        version_header = headers.get("mcp-protocol-version")
        session_id = headers.get("mcp-session-id")
        if inbound_era(message, version_header=version_header, session_id=session_id) is MODERN:
            await self._modern(scope, receive, send, headers, message, kind, version_header)
            return
        request_id = message.get("id") if kind == jsonrpc.REQUEST else None
        if session_id is None:
            if kind == jsonrpc.REQUEST and message["method"] == "initialize":
                await self._initialize(scope, send, headers, message)
                return
            await respond_error(
                send,
                400,
                INVALID_REQUEST,
                "Bad Request: missing Mcp-Session-Id header; send initialize first, or use "
                "protocol version 2026-07-28 with per-request _meta",
                request_id,
            )
            return
        principal = principal_of(scope)
        session = self.sessions.get(session_id, principal)  # no coroutine on the fast path
        if session is None:
            try:
                session = await self.sessions.find(session_id, principal)
            except MCPError as exc:  # the shared state does not answer: 503, never 404
                await respond_error(send, 503, exc.code, exc.message, request_id, headers=RETRY_LATER)
                return
        if session is None:
            await respond_error(
                send,
                404,
                SESSION_NOT_FOUND,
                "Session not found: it expired or was deleted; initialize again",
                request_id,
            )
            return
        self.sessions.touch(session)
        if kind == jsonrpc.RESPONSE:
            await self.sessions.deliver_response(session, message)
            await respond(send, 202)
        elif kind == jsonrpc.NOTIFICATION:
            await self.engine.notification(message, session, _peer(scope, headers))
            await respond(send, 202)
        else:
            await self._legacy(scope, send, headers, session, message)

    async def _initialize(
        self, scope: Scope, send: Send, headers: dict[str, str], message: jsonrpc.Message
    ) -> None:
        try:
            self.sessions.check_capacity()
            session, result = await self.engine.initialize(
                message.get("params") or {}, new_session_id(), peer=_peer(scope, headers)
            )
            session.principal = principal_of(scope)  # bound before it is shared
            await self.sessions.add(session)
        except MCPError as exc:
            status = exc.http_status or 400
            await respond_json(
                send,
                status,
                jsonrpc.error_from(message["id"], exc),
                RETRY_LATER if status == 503 else None,
            )
            return
        await respond_json(
            send,
            200,
            jsonrpc.result(message["id"], result),
            [(b"mcp-session-id", session.id.encode())],  # type: ignore[union-attr]
        )

    async def _legacy(
        self,
        scope: Scope,
        send: Send,
        headers: dict[str, str],
        session: ServerSession,
        message: jsonrpc.Message,
    ) -> None:
        if message["method"] == "initialize":
            await respond_error(
                send, 400, INVALID_REQUEST, "Bad Request: this session is already initialized", message["id"]
            )
            return
        stream = ResponseStream(
            send,
            open_log=self._log_opener(session) if session.protocol_version >= RESUMABLE_SINCE else None,
            retry_ms=self.limits.sse_retry_ms,
        )
        req = self.engine.legacy_request(message, session, sink=stream.message, headers=headers)
        req.client_address = scope.get("client")
        req.access_token = scope.get(SCOPE_KEY)
        req.transport = "streamable-http"
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
            await self.sessions.sync(session)
        try:
            await stream.finish(response)
        except OSError:
            pass  # the client went away; the event log keeps the answer for a resume

    def _log_opener(self, session: ServerSession) -> Any:
        store = self.events
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
        if kind == jsonrpc.RESPONSE:
            await respond_error(
                send,
                400,
                INVALID_REQUEST,
                "Bad Request: 2026-07-28 clients answer input requests by retrying, not by responses",
            )
            return
        if kind == jsonrpc.NOTIFICATION:  # to the middleware and handlers; the stream's close cancels
            await self.engine.modern_notification(message, _peer(scope, headers))
            await respond(send, 202)
            return
        stream = ResponseStream(send)
        try:
            req = self._modern_request(message, headers, version_header, stream)
        except MCPError as exc:
            await respond_json(send, exc.http_status or 400, jsonrpc.error_from(message.get("id"), exc))
            return
        req.client_address = scope.get("client")
        req.access_token = scope.get(SCOPE_KEY)
        req.transport = "streamable-http"
        if req.method in self.engine.streaming_methods:
            await self._listen(receive, send, req, expiry_of(scope))
            return
        # Closing the response stream cancels the request. Most calls finish long before
        # anyone could hang up, so the disconnect watcher only starts if this one doesn't.
        task = asyncio.current_task()
        watch = DisconnectWatch(receive, task)  # type: ignore[arg-type]
        try:
            response = await self.engine.handle(req)
        except asyncio.CancelledError:
            if not watch.fired:
                raise
            task.uncancel()  # type: ignore[union-attr]
            return
        finally:
            watch.stop()
        try:
            if stream.started:
                await stream.finish(response)
                return
            # The usual answer: plain JSON, nothing streamed before it. A message the
            # call's leftovers send later finds the stream done and is dropped, as after
            # `finish`.
            stream.done = stream.closed = True
            await respond_json(send, modern_status(response), response)
        except OSError:
            pass  # the client went away

    def _modern_request(
        self, message: jsonrpc.Message, headers: dict[str, str], version_header: str | None, stream: Any
    ) -> Any:
        """Check the 2026-07-28 headers against the body and build the request."""
        body_version = meta_version(message)
        if body_version is not None:
            if version_header is None:
                raise mcp_headers.mismatch("the MCP-Protocol-Version header is required")
            if version_header != body_version:
                raise mcp_headers.mismatch(
                    f"MCP-Protocol-Version header {brief(version_header)} does not match "
                    f"_meta protocolVersion {brief(body_version)}"
                )
        req = self.engine.modern_request(message, sink=stream.message, headers=headers)
        if not self.engine.knows(req.method, modern=True):
            raise MCPError(METHOD_NOT_FOUND, f"Method not found: {req.method}", http_status=404)
        name = req.params.get("name")
        tool = self.tools.get(name) if req.method == "tools/call" and isinstance(name, str) else None
        mcp_headers.check(req.method, req.params, headers, tool.input_schema if tool else None)
        return req

    async def _listen(self, receive: Receive, send: Send, req: Any, until: float | None) -> None:
        """`subscriptions/listen`: hold the stream the engine delivers notifications to
        (until `until`, when the request's token stops being accepted)."""
        stream = ResponseStream(send)
        lock = asyncio.Lock()

        async def deliver(message: jsonrpc.Message) -> None:
            async with lock:
                await stream.message(message)

        listener = await self.engine.listen(req, deliver)
        try:
            await hold_open(receive, send, listener.closed, stream, self.lifecycle.stopping, until)
        finally:
            self.engine.unlisten(listener)

    # ---- DELETE ---------------------------------------------------------------------
    async def _delete(self, scope: Scope, send: Send, headers: dict[str, str]) -> None:
        session_id = headers.get("mcp-session-id")
        if session_id is None:
            status = 405 if is_modern(headers.get("mcp-protocol-version")) else 400
            await respond_error(send, status, INVALID_REQUEST, "Bad Request: missing Mcp-Session-Id header")
            return
        try:
            existed = await self.sessions.delete(session_id, principal_of(scope))
        except MCPError as exc:
            await respond_error(send, 503, exc.code, exc.message, headers=RETRY_LATER)
            return
        if not existed:
            await respond_error(send, 404, SESSION_NOT_FOUND, "Session not found")
            return
        await respond(send, 200)


def _peer(scope: Scope, headers: dict[str, str]) -> Peer:
    """The client as middleware sees it on `initialize` and notifications."""
    return Peer("streamable-http", headers, scope.get("client"), scope.get(SCOPE_KEY))
