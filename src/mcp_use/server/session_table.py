"""`SessionTable`: the legacy-era sessions this process holds, their limits and counters.

Streamable HTTP names a session with `Mcp-Session-Id`; the table opens (up to
`max_sessions`), finds, touches, ends and evicts them (idle past
`session_idle_timeout`, checked at most every few seconds, never on the fast path).
With shared state it also loads a session another process opened, shares the changes a
request makes to one, and routes a client's answer to the process waiting for it. stdio
and the legacy SSE transport hold their one session per connection but end it here too,
so a session is always closed the same way.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..protocol import jsonrpc
from ..protocol.correlator import Correlator
from ..protocol.errors import INVALID_REQUEST, MCPError
from .notifications import Hub
from .session import ServerSession
from .settings import Limits
from .state import bus

log = logging.getLogger("mcp_use.server.http")
SWEEP_SECONDS = 5.0
# Requests that change a session's shared record.
SYNCED_METHODS = frozenset(("logging/setLevel", "resources/subscribe", "resources/unsubscribe"))


def unavailable(exc: BaseException) -> MCPError:
    """The refusal (HTTP 503) when the shared state does not answer."""
    return MCPError(
        INVALID_REQUEST, f"Service Unavailable: shared state unavailable ({exc})", http_status=503
    )


class SessionTable:
    def __init__(self, limits: Limits, hub: Hub, shared: Any = None) -> None:
        self.limits = limits
        self.hub = hub
        self.shared = shared  # RedisState when several processes serve the same clients
        self.sessions: dict[str, ServerSession] = {}
        self._last_sweep = time.monotonic()
        # Counters for /metrics (never touched on a request's fast path).
        self.evicted = 0
        self.rejected = 0
        self.loaded = 0
        self.routed = 0

    def __len__(self) -> int:
        return len(self.sessions)

    def get(self, session_id: str, principal: str | None = None) -> ServerSession | None:
        """A session held by this process, if `principal` opened it (another principal's
        token sees no session at all)."""
        session = self.sessions.get(session_id)
        return session if session is not None and session.belongs_to(principal) else None

    async def find(self, session_id: str, principal: str | None = None) -> ServerSession | None:
        """A session held here, or one another process opened (loaded from shared state),
        if `principal` opened it."""
        session = self.sessions.get(session_id)
        if session is None and self.shared is not None:
            session = await self._load(session_id)
        return session if session is not None and session.belongs_to(principal) else None

    def touch(self, session: ServerSession) -> None:
        session.last_active = time.monotonic()
        if self.shared is not None:
            self.shared.touch(session.id)

    # ---- opening and ending ---------------------------------------------------------
    def check_capacity(self) -> None:
        """Refuse (HTTP 503) a new session when the table is full of active ones."""
        self.evict_idle()
        if len(self.sessions) >= self.limits.max_sessions:
            self.rejected += 1
            raise MCPError(
                INVALID_REQUEST,
                f"Service Unavailable: the server holds its maximum of {self.limits.max_sessions} "
                "sessions; retry later or use protocol version 2026-07-28 (no sessions)",
                http_status=503,
            )

    async def add(self, session: ServerSession) -> None:
        """Hold a session `initialize` opened (and share its record); 503 when sharing fails."""
        if self.shared is not None:
            self._adopt(session)
            try:
                await self.shared.save_session(session)
            except Exception as exc:
                self.close(session)
                raise unavailable(exc) from None
        self.sessions[session.id] = session  # type: ignore[index]

    def close(self, session: ServerSession) -> None:
        """Stop notifying a session and fail what waits on it (every transport ends one here)."""
        self.hub.forget(session)
        session.close()

    def end(self, session_id: str) -> ServerSession | None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            self.close(session)
            if self.shared is not None:
                self.shared.forget(session_id)
        return session

    async def delete(self, session_id: str, principal: str | None = None) -> bool:
        """DELETE: end a session here and everywhere; True when it existed (and, on a
        protected server, `principal` opened it)."""
        if principal is not None and await self.find(session_id, principal) is None:
            return False
        ended = self.end(session_id) is not None
        if self.shared is not None:
            ended = await self.shared.delete_session(session_id) or ended
        return ended

    def evict_idle(self) -> None:
        """Drop sessions idle past the timeout; checked at most every few seconds."""
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_SECONDS and len(self.sessions) < self.limits.max_sessions:
            return
        self._last_sweep = now
        cutoff = now - self.limits.session_idle_timeout
        idle = [sid for sid, s in self.sessions.items() if s.last_active < cutoff and s.stream is None]
        for sid in idle:
            self.end(sid)
        self.evicted += len(idle)
        if idle:
            log.info("Evicted %d idle session(s)", len(idle))

    # ---- shared state (several processes) ----------------------------------------------
    def _adopt(self, session: ServerSession) -> None:
        """Server-to-client request ids name this process, so answers find their way back."""
        session.correlator = Correlator(default_timeout=None, id_prefix=self.shared.token)

    async def _load(self, session_id: str) -> ServerSession | None:
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
        session.principal = record.get("principal")  # the binding travels with the session
        session.subscriptions = record["subscriptions"] or None
        self._adopt(session)
        self.sessions[session_id] = session
        self.hub.watch(session)
        self.loaded += 1
        return session

    async def sync(self, session: ServerSession) -> None:
        """Log level or subscriptions changed: store them, and tell processes holding the session."""
        try:
            await self.shared.save_session(session)
            await self.shared.broadcast(bus.sync(session))
        except Exception as exc:  # the change holds here; other processes keep the old one
            log.warning("Could not share session %s's change: %s", session.id, exc)

    async def deliver_response(self, session: ServerSession, message: jsonrpc.Message) -> None:
        """A client's answer to a server-to-client request, for whichever process asked."""
        if session.correlator is not None and session.correlator.resolve(message):
            return
        # The request may wait in another process, named by its id.
        if self.shared is not None and await self.shared.route_response(session.id, message):
            self.routed += 1
        else:
            log.debug("Dropped a response nobody waits for: %s", message.get("id"))
