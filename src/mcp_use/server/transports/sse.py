"""The legacy HTTP+SSE transport (2024-11-05): `GET /sse` plus `POST /messages/?session_id=`.

Every answer travels on the session's SSE stream; the POST only says 202 Accepted. The
inbound-era rule applies here too: a 2026-07-28 request is refused (unsupported version)
rather than served as if it were legacy. The limits are Streamable HTTP's, with its
helpers (`asgi.py`): 431 beyond `max_header_bytes`, 400 for a `session_id` far longer
than ours, 413 / 408 for a body too large or too slow, and refusals quote at most
`QUOTE_LIMIT` characters of what they refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...protocol import jsonrpc
from ...protocol.era import MODERN, inbound_era
from ...protocol.errors import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION, MCPError
from ...protocol.versions import LEGACY_VERSIONS
from ..http.auth import SCOPE_KEY, denial_response, expiry_of, principal_of
from ..request import Peer
from ..session import ServerSession, new_session_id
from .asgi import (
    SSE_HEADERS,
    BodyRefused,
    header_map,
    header_problem,
    read_limited_body,
    session_id_problem,
    sse_event,
)
from .response_stream import EXPIRED

if TYPE_CHECKING:
    from ..core import ServerCore

log = logging.getLogger("mcp_use.server.sse")


class _Channel:
    """One `GET /sse` connection: a queue drained onto the response."""

    def __init__(self, session_id: str) -> None:
        self.id = session_id  # the `session_id` of its POSTs, and of its legacy session
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.session: ServerSession | None = None
        self.principal: str | None = None  # whose token opened the stream (protected servers)
        self.tasks: set[asyncio.Task[Any]] = set()

    async def send(self, message: jsonrpc.Message) -> None:
        self.queue.put_nowait(sse_event(message))


class SSEServerTransport:
    """`connect` (GET) and `post` (POST) endpoints; built with a `ServerCore` only."""

    def __init__(self, core: ServerCore) -> None:
        self.engine = core.engine
        self.table = core.sessions
        self.guard = core.guard
        self.messages_path = core.settings.paths.messages
        self.limits = core.settings.limits
        self.auth = core.authenticator  # the bearer check, on a protected server
        self.channels: dict[str, _Channel] = {}
        self.serving = core.lifecycle.serving  # the first request's jobs (the open-server warning)

    async def _refuse(self, request: Request) -> Response | None:
        """The header limits, the host check, answered as Streamable HTTP answers them
        (431 / 400, 421 or 403), then the bearer check on a protected server (401, 403 or 503)."""
        problem = header_problem(request.scope["headers"], self.limits.max_header_bytes)
        if problem is not None:
            return _error(*problem)
        refusal = self.guard.check(request.scope, request.headers.get("host"), request.headers.get("origin"))
        if refusal is not None:
            return JSONResponse(refusal.body(), status_code=refusal.status)
        if self.auth is not None:
            return await self.auth.check_request(request.scope)
        return None

    async def connect(self, request: Request) -> Response:
        self.serving()
        refused = await self._refuse(request)
        if refused is not None:
            return refused
        session_id = new_session_id()
        channel = _Channel(session_id)
        channel.principal = principal_of(request.scope)
        self.channels[session_id] = channel
        base = request.scope.get("root_path", "")
        endpoint = f"{base}{self.messages_path}?session_id={session_id}"
        return _SSEResponse(self, session_id, channel, endpoint, expiry_of(request.scope))

    async def post(self, request: Request) -> Response:
        refused = await self._refuse(request)
        if refused is not None:
            return refused
        session_id = request.query_params.get("session_id")
        if session_id and (problem := session_id_problem("session_id", session_id)):
            return _error(*problem)
        channel = self.channels.get(session_id or "")
        if channel is not None and (channel.principal or "") != (principal_of(request.scope) or ""):
            channel = None  # another principal's session: as if it did not exist
        if channel is None:
            return _error(404 if session_id else 400, "Unknown or missing session_id")
        try:
            body = await read_limited_body(
                request.receive, self.limits, request.headers.get("content-length")
            )
        except BodyRefused as exc:
            return _error(exc.status, exc.reason)
        try:
            message = jsonrpc.loads(body)
            kind = jsonrpc.classify(message)
        except MCPError as exc:
            return JSONResponse(jsonrpc.error_from(None, exc), status_code=400)
        if kind == jsonrpc.RESPONSE:
            if channel.session is not None and channel.session.correlator is not None:
                channel.session.correlator.resolve(message)
        elif kind == jsonrpc.NOTIFICATION:
            if channel.session is not None:
                await self.engine.notification(message, channel.session, _peer(request))
        else:
            if self.auth is not None:
                denied = self.auth.deny_scopes(request.scope, message)  # checked per request
                if denied is not None:
                    return denial_response(denied)
            task = asyncio.ensure_future(self._request(channel, message, _peer(request)))
            channel.tasks.add(task)
            task.add_done_callback(channel.tasks.discard)
            if channel.session is not None:
                channel.session.track(message["id"], task)
        return Response("Accepted", status_code=202)

    async def _request(self, channel: _Channel, message: jsonrpc.Message, peer: Peer) -> None:
        """Serve one request; `peer`: its POST's headers, address and verified token."""
        try:
            if inbound_era(message) is MODERN:
                # This transport predates 2026-07-28; such a client belongs on Streamable HTTP.
                await channel.send(
                    jsonrpc.error(
                        message["id"],
                        UNSUPPORTED_PROTOCOL_VERSION,
                        "The HTTP+SSE transport serves the initialize era only; send 2026-07-28 "
                        "requests to the Streamable HTTP endpoint",
                        {"supported": list(LEGACY_VERSIONS)},
                    )
                )
                return
            if message["method"] == "initialize":
                session, result = await self.engine.initialize(
                    message.get("params") or {}, channel.id, channel.send, peer
                )
                channel.session = session
                await channel.send(jsonrpc.result(message["id"], result))
                return
            if channel.session is None:
                await channel.send(jsonrpc.error(message["id"], INVALID_REQUEST, "Send initialize first"))
                return
            req = self.engine.legacy_request(
                message, channel.session, sink=channel.send, headers=peer.headers
            )
            req.client_address = peer.client_address
            req.access_token = peer.access_token
            req.transport = "sse"
            response = await self.engine.handle(req)
            channel.session.untrack(req.id)
            await channel.send(response)
        except asyncio.CancelledError:
            return
        except MCPError as exc:
            await channel.send(jsonrpc.error_from(message["id"], exc))


def _error(status: int, reason: str) -> Response:
    return JSONResponse(jsonrpc.error(None, INVALID_REQUEST, reason), status_code=status)


def _peer(request: Request) -> Peer:
    """The client of one POST as middleware sees it (its headers, address and token)."""
    scope = request.scope
    return Peer("sse", header_map(scope), scope.get("client"), scope.get(SCOPE_KEY))


class _SSEResponse(Response):
    def __init__(
        self,
        transport: SSEServerTransport,
        session_id: str,
        channel: _Channel,
        endpoint: str,
        expires_at: float | None,
    ):
        super().__init__()
        self.expires_at = expires_at  # the token that opened the stream: it ends then
        self.transport = transport
        self.session_id = session_id
        self.channel = channel
        self.endpoint = endpoint

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        await send(
            {
                "type": "http.response.body",
                "body": f"event: endpoint\ndata: {self.endpoint}\n\n".encode(),
                "more_body": True,
            }
        )

        async def drain() -> None:
            while True:
                try:
                    chunk = await asyncio.wait_for(self.channel.queue.get(), 15.0)
                except TimeoutError:
                    chunk = b": keep-alive\n\n"
                if chunk is None:
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        writer = asyncio.ensure_future(drain())
        watcher = asyncio.ensure_future(disconnected())
        left = None if self.expires_at is None else max(self.expires_at - time.time(), 0.0)
        try:
            done, _ = await asyncio.wait({writer, watcher}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            if not done:  # the token expired: the session ends with its stream
                log.info(
                    "Closed the SSE stream of session %s: the token that opened it expired", self.session_id
                )
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": EXPIRED, "more_body": True})
        finally:
            writer.cancel()
            watcher.cancel()
            self.transport.channels.pop(self.session_id, None)
            for task in list(self.channel.tasks):
                task.cancel()
            if self.channel.session is not None:
                self.transport.table.close(self.channel.session)
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
