"""The plain-call lane: a POST of a plain `tools/call`, served in one pass.

Most POSTs to the MCP endpoint call a plain tool (`PlainCalls.tool_for`): a function,
sync or async, that needs no context, task, deadline or middleware. The general path
(`StreamableHTTPServerTransport.serve`) decodes every header into a dict of str, builds a
`ServerRequest`, a `ResponseStream` and a disconnect watch and runs the engine's
dispatch: about 1,700 Python bytecodes a call, half of all the CPU a served request
costs. This lane answers such a call in a third of that, on both eras, and nothing else:

- It looks only at what the answer depends on, on the raw ASGI headers (one C-level
  `dict` of bytes) and the decoded body, and checks each of them the way the general path
  would for the same request.
- Whenever a request is anything else, or could be answered differently, it steps aside
  before sending anything: before reading the body when the headers tell (the other
  methods of the 2026-07-28 era carry `Mcp-Method`), else by handing the general path the
  body it has read (`replay`). The general path stays the one definition of how a request
  is answered; tests/server/test_plain_lane.py sends the same requests both ways and
  compares the answers byte for byte.
- Nothing it skips can matter to such a call: it has no context through which to
  stream, log or ask. A sync function runs to its end without yielding to the loop, so
  no disconnect or `notifications/cancelled` can reach it before its answer. An async
  one is awaited in the request's own task, cancelled as the general path cancels it:
  by the client's `notifications/cancelled` on a legacy session (answered 202, no
  body), by a hang-up on 2026-07-28 (nothing sent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from ...protocol.jsonrpc import dumps
from ...protocol.log_levels import LOG_RANK
from ...protocol.versions import (
    LEGACY_VERSIONS,
    META_CLIENT_CAPABILITIES,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    MODERN_VERSIONS,
)
from ..http.auth import principal_of
from ..plain_calls import PlainCall, PlainCalls
from .asgi import (
    JSON_HEADERS,
    MAX_SESSION_ID,
    Receive,
    Scope,
    Send,
    accepts_answers,
    modern_status,
    respond,
    respond_json,
)
from .response_stream import DisconnectWatch

if TYPE_CHECKING:
    from ..core import ServerCore

Serve = Callable[[Scope, Receive, Send], Awaitable[None]]

LEGACY_HEADER_VERSIONS = frozenset(v.encode() for v in LEGACY_VERSIONS)
# A 2026-07-28 call's `MCP-Protocol-Version` header, and the `_meta` version it must match.
MODERN_BY_HEADER = {v.encode(): v for v in MODERN_VERSIONS}
MODERN_HEADER_VERSIONS = frozenset(MODERN_BY_HEADER)
TOOLS_CALL = b"tools/call"
# The params of a call the lane serves; any other (`task`, `requestState`,
# `inputResponses`, ...) asks for what only the general path does.
PLAIN_PARAMS = frozenset({"name", "arguments", "_meta"})
REQUEST_ID_TYPES = (int, str)  # bool, an int's subclass, is not one
JSON_TYPE = JSON_HEADERS[0]
CONTENT_LENGTH = b"content-length"
LEGACY = "legacy"  # `_target` of a legacy session's request
KEPT_PASSES = 256


def replay(first: dict[str, Any], receive: Receive) -> Receive:
    """`receive` as it was before `first` was taken from it."""
    pending: list[dict[str, Any]] = [first]

    async def again() -> dict[str, Any]:
        if pending:
            return pending.pop()
        return await receive()

    return again


class PlainCallLane:
    """Serves plain `tools/call` POSTs; hands every other request to `general`."""

    def __init__(
        self,
        core: ServerCore,
        *,
        general: Serve,
        entry: Serve,
        path: str | None = None,
        calls: PlainCalls | None = None,
    ) -> None:
        self.general = general
        # The transport's own entry: the first request (which hooks signals and
        # housekeeping), every request while shared state is in use (its readiness is
        # checked first), GET and DELETE. `ready` (set there) lets POSTs come here first.
        # With `path`, the lane is what the ASGI server calls (`front`) and `entry` the
        # whole app behind it, which gets every other request (and routes them as ever).
        self.entry = entry
        self.path = path
        self.ready = False
        self.calls = PlainCalls(core.engine) if calls is None else calls  # a front shares the endpoint's
        self.sessions = core.sessions
        self.guard = core.guard
        self.auth = core.authenticator
        self.max_header_bytes = core.settings.limits.max_header_bytes
        self.max_body_size = core.settings.limits.max_body_size
        self._passed: set[tuple[Any, ...]] = set()  # header values that passed `_passes`

    async def __call__(self, scope: Scope, receive: Receive, send: Send, prepared: bool = False) -> None:
        """A request to the endpoint; `prepared` when the transport's entry has been through
        its checks for it."""
        if (
            not (prepared or self.ready)
            or scope.get("method") != "POST"
            or (self.path is not None and scope["path"] != self.path)
        ):
            await self.entry(scope, receive, send)
            return
        raw = scope["headers"]
        headers = dict(raw)
        target = self._target(scope, headers, raw)
        if target is None:
            await self.general(scope, receive, send)
            return
        auth = self.auth
        if auth is not None and not auth.admit_known(scope, headers.get(b"authorization")):
            denied = await auth.admit(scope)
            if denied is not None:
                await respond_json(send, *denied)
                return
        session = None
        if target is LEGACY:
            principal = None if auth is None else principal_of(scope)
            session = self.sessions.get(headers[b"mcp-session-id"].decode("latin-1"), principal)
            if session is None:  # another process's, or none: the general path finds out
                await self.general(scope, receive, send)
                return
        message = await receive()
        call = None
        if not message.get("more_body"):
            body = message.get("body", b"")
            if len(body) <= self.max_body_size:
                call = self._call(body, target, headers)
        if call is None:
            await self.general(scope, replay(message, receive), send)
            return
        request, tool = call[0], call[1]
        if auth is not None and tool.scopes:  # (a tool without scopes= adds none to check)
            denied = auth.deny_scopes(scope, request)
            if denied is not None:
                await respond_json(send, *denied)
                return
        if session is not None:
            self.sessions.touch(session)
        if tool.is_async:
            response = await self._awaited(call, session, receive, send)
            if response is None:  # cancelled: answered as the general path answers it
                return
            status, body = self._encoded(response, session)
        else:
            status, body = self._answered(call, session)
        try:  # what `respond_json` sends, without its extra call
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [JSON_TYPE, (CONTENT_LENGTH, b"%d" % len(body))],
                }
            )
            await send({"type": "http.response.body", "body": body})
        except OSError:
            pass  # the client went away

    def answer_now(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """The answer (status, headers, body) to a complete POST that this lane answers
        without awaiting anything: a plain call of a sync tool, its token (if any) and
        session already known here. None for every other request, which then goes the
        ASGI way (`__call__`), where nothing of this try has been sent or kept.

        Why: an HTTP server that has the whole request in hand (the body came with the
        headers, as a small call's does) can answer it in the step that read it, without
        an ASGI task, its `receive` and its two `send` messages (`server.run()`'s
        protocol, `http/uvicorn_protocol.py`). The checks are `__call__`'s, in its order.
        """
        if (
            not self.ready
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or len(body) > self.max_body_size
        ):
            return None
        raw = scope["headers"]
        headers = dict(raw)
        target = self._target(scope, headers, raw)
        if target is None:
            return None
        auth = self.auth
        if auth is not None and not auth.admit_known(scope, headers.get(b"authorization")):
            return None  # a token to verify first: `admit` awaits
        session = None
        if target is LEGACY:
            principal = None if auth is None else principal_of(scope)
            session = self.sessions.get(headers[b"mcp-session-id"].decode("latin-1"), principal)
            if session is None:
                return None
        call = self._call(body, target, headers)
        if call is None or call[1].is_async or (auth is not None and call[1].scopes):
            return None  # (a scope check may refuse: the ASGI way sends the refusal)
        if session is not None:
            self.sessions.touch(session)
        status, answer = self._answered(call, session)
        return status, [JSON_TYPE, (CONTENT_LENGTH, b"%d" % len(answer))], answer

    def _answered(self, call: PlainCall, session: Any) -> tuple[int, bytes]:
        """A sync tool's call answered: the HTTP status and the JSON body."""
        return self._encoded(self.calls.answer(call, session, session is None), session)

    @staticmethod
    def _encoded(response: dict[str, Any], session: Any) -> tuple[int, bytes]:
        body = dumps(response)
        return (200 if session is not None or "error" not in response else modern_status(response)), body

    async def _awaited(
        self, call: PlainCall, session: Any, receive: Receive, send: Send
    ) -> dict[str, Any] | None:
        """An async tool's response, or None when the client cancelled the call (a legacy
        session's `notifications/cancelled`, answered 202 with no body; a 2026-07-28
        client's hang-up, answered with nothing). A cancellation of the server's own (its
        shutdown, the session's end) goes on up, as from the general path."""
        task: Any = asyncio.current_task()
        if session is None:
            watch = DisconnectWatch(receive, task)
            try:
                return await self.calls.answer_awaited(call, None, True)
            except asyncio.CancelledError:
                if not watch.fired:
                    raise
                task.uncancel()
                return None
            finally:
                watch.stop()
        request_id = call[0]["id"]
        session.track(request_id, task)
        try:
            return await self.calls.answer_awaited(call, session, False)
        except asyncio.CancelledError:
            if not session.was_cancelled(request_id):
                raise
            task.uncancel()
        finally:
            session.untrack(request_id)
        try:
            await respond(send, 202)
        except OSError:
            pass  # the client went away
        return None

    def _target(self, scope: Scope, headers: dict[bytes, bytes], raw: list[Any]) -> Any:
        """From the headers alone: the tool of a 2026-07-28 call (named by `Mcp-Name`),
        `LEGACY` for a request of a legacy session (its method is in the body), or None
        when the request is not one the lane serves."""
        guard = self.guard
        server = scope.get("server") if guard.enabled is None else None  # `active` reads it then
        passing = (
            headers.get(b"content-type"),
            headers.get(b"accept"),
            headers.get(b"host"),
            headers.get(b"origin"),
            scope.get("scheme"),
            server if server is None or type(server) is tuple else tuple(server),
        )
        if (
            len(headers) != len(raw)  # a repeated header: the general path looks at each
            # (no name repeats, so the dict's keys and values are all the header bytes:
            # joined in one C call, cheaper than summing their lengths one by one)
            or len(b"".join([*headers, *headers.values()])) + 4 * len(raw) > self.max_header_bytes
            or (passing not in self._passed and not self._passes(scope, passing))
        ):
            return None
        version = headers.get(b"mcp-protocol-version")
        session_id = headers.get(b"mcp-session-id")
        if session_id is not None:
            if len(session_id) > MAX_SESSION_ID or (
                version is not None and version not in LEGACY_HEADER_VERSIONS
            ):
                return None
            return LEGACY
        name = headers.get(b"mcp-name")
        if version not in MODERN_HEADER_VERSIONS or name is None or headers.get(b"mcp-method") != TOOLS_CALL:
            return None
        return self.calls.tool_by_header(name)  # (one with `Mcp-Param-*` headers to check: None)

    def _passes(self, scope: Scope, passing: tuple[Any, ...]) -> bool:
        """Whether these Content-Type, Accept, Host and Origin values (and the scheme and
        server address the origin check reads) get past the general path's checks: a JSON
        body, both answer types accepted, and the DNS-rebinding guard. A verdict that
        passed is kept: a client sends the same values on every request."""
        content_type, accept, host, origin = passing[:4]
        if (
            content_type is None
            or b"application/json" not in content_type
            or not accepts_answers((b"" if accept is None else accept).decode("latin-1"))
            or self.guard.check(
                scope,
                None if host is None else host.decode("latin-1"),
                None if origin is None else origin.decode("latin-1"),
            )
        ):
            return False
        if len(self._passed) >= KEPT_PASSES:  # values a client chooses: bounded
            self._passed.clear()
        self._passed.add(passing)
        return True

    def _call(self, body: bytes, target: Any, headers: dict[bytes, bytes]) -> PlainCall | None:
        """The message, tool, params and arguments of a plain call that the general path
        would serve as one, else None."""
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if type(message) is not dict:
            return None
        try:  # (subscripts: a missing member is rare, and the general path's to answer)
            request_id = message["id"]
            params = message["params"]
            if (
                message["method"] != "tools/call"
                or message["jsonrpc"] != "2.0"
                or type(request_id) not in REQUEST_ID_TYPES  # a float: beyond 64 bits, read exactly there
                or type(params) is not dict
                or not params.keys() <= PLAIN_PARAMS
            ):
                return None
            name = params["name"]
            if target is LEGACY:
                tool = self.calls.tool_named(name) if type(name) is str else None
                if tool is None:
                    return None
            else:
                tool = target
                meta = params["_meta"]
                if name != tool.name or type(meta) is not dict:
                    return None
                if (
                    meta[META_PROTOCOL_VERSION] != MODERN_BY_HEADER[headers[b"mcp-protocol-version"]]
                    or type(meta[META_CLIENT_CAPABILITIES]) is not dict
                ):
                    return None  # `Engine.modern_request` or the header check refuses it
                if META_LOG_LEVEL in meta:
                    level = meta[META_LOG_LEVEL]
                    if level is not None and (type(level) is not str or level not in LOG_RANK):
                        return None
        except KeyError:
            return None
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        elif type(arguments) is not dict:
            return None
        return message, tool, params, arguments
