"""A stdio MCP server behind one Streamable HTTP endpoint, for `mcp-use inspect`.

Several pages (tabs) may inspect the same command at once, and a stdio server is one
conversation: its request ids, its `initialize`, its server-to-client requests belong
to one client. So the bridge runs one process (`StdioChild`) per page session:

- a POST without `Mcp-Session-Id` that opens a conversation (`initialize`, or the
  2026-07-28 era's `server/discover`) starts a new child, and the answer carries the
  session id the page sends from then on; any other message without one is refused;
- a message with an unknown session id gets 404, as from a server that restarted (the
  page reconnects and gets a new session);
- `DELETE` with the session id stops that child; so does shutting the bridge down.

At most `max_sessions` children run: a new session first stops those idle for over
`idle_timeout` seconds (no open stream, no pending request), then, when still full,
the least recently used idle one; when every child is busy, the new page gets 503.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping, Sequence

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .stdio_child import StdioChild, StdioCommand, error_response

log = logging.getLogger("mcp_use.inspect")
OPENERS = frozenset({"initialize", "server/discover"})
MAX_SESSIONS = 8
IDLE_TIMEOUT = 600.0


class StdioBridge:
    """The Starlette endpoint (`handle`) for a stdio command, one child per page session."""

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        *,
        max_sessions: int = MAX_SESSIONS,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        if max_sessions < 1:
            raise ValueError("StdioBridge: max_sessions must be at least 1")
        self.target = StdioCommand(command, tuple(args), dict(env) if env is not None else None, cwd)
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.sessions: dict[str, StdioChild] = {}

    @property
    def label(self) -> str:
        return self.target.label

    async def handle(self, request: Request) -> Response:
        sid = request.headers.get("mcp-session-id")
        child = self.sessions.get(sid) if sid else None
        if sid and child is None:
            return error_response(404, f"Session not found: {sid} (the bridge restarted or ended it)")
        if request.method == "DELETE":
            if sid is None or child is None:
                return error_response(400, "DELETE needs the Mcp-Session-Id of the session to end")
            await self._end(sid)
            return Response(status_code=200)
        if request.method == "GET":
            if child is None:
                return error_response(400, "The GET stream needs an Mcp-Session-Id: send initialize first")
            return child.listen()
        body = await request.body()
        try:
            msg = orjson.loads(body)
        except orjson.JSONDecodeError:
            return error_response(400, "Parse error: the body is not JSON")
        if not isinstance(msg, dict):
            return error_response(400, "The bridge relays one JSON-RPC message per POST (no batches)")
        if child is None:
            if msg.get("method") not in OPENERS or "id" not in msg:
                return error_response(
                    400,
                    "No Mcp-Session-Id: open a session with initialize (or server/discover)",
                    msg.get("id"),
                )
            opened = await self._open()
            if opened is None:
                busy = f"All {self.max_sessions} inspector sessions of {self.label} are busy: close a tab"
                return error_response(503, busy, msg.get("id"))
            sid, child = opened
            response = await child.post(body, msg)
            if response.status_code >= 500:  # the command did not start: no session to keep
                await self._end(sid)
                return response
        else:
            response = await child.post(body, msg)
        response.headers["mcp-session-id"] = sid
        return response

    async def _open(self) -> tuple[str, StdioChild] | None:
        now = time.monotonic()
        for sid, child in list(self.sessions.items()):
            if not child.busy and now - child.last_used > self.idle_timeout:
                log.info("ending idle inspector session %s", sid)
                await self._end(sid)
        if len(self.sessions) >= self.max_sessions:
            idle = [(c.last_used, sid) for sid, c in self.sessions.items() if not c.busy]
            if not idle:
                return None
            oldest = min(idle)[1]
            log.info("ending inspector session %s: %d sessions is the limit", oldest, self.max_sessions)
            await self._end(oldest)
        sid = secrets.token_urlsafe(16)
        child = StdioChild(self.target)
        self.sessions[sid] = child
        return sid, child

    async def _end(self, sid: str) -> None:
        child = self.sessions.pop(sid, None)
        if child is not None:
            await child.stop()

    async def stop(self) -> None:
        """Stop every child (the app is shutting down)."""
        children = list(self.sessions.values())
        self.sessions.clear()
        await asyncio.gather(*(child.stop() for child in children))


__all__ = ["StdioBridge"]
