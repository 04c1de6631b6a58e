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

import asyncio
import logging
import time
from typing import Any

from ..protocol import jsonrpc
from ..protocol.correlator import Correlator, id_deadline
from ..protocol.errors import INVALID_REQUEST, MCPError
from .notifications import Hub
from .session import ServerSession
from .settings import Limits
from .state import bus

log = logging.getLogger("mcp_use.server.http")
SWEEP_SECONDS = 5.0
FIRST_FORWARD_SECONDS = 1.0  # the client's 202 waits at most this for the first try
FORWARD_RETRY_CAP = 300.0  # without an input_timeout, an answer is retried this long
# A full table evicts its longest-idle session if that one was idle at least this long.
EVICT_WHEN_FULL_AFTER = 60.0
# Requests that change a session's shared record.
SYNCED_METHODS = frozenset(("logging/setLevel", "resources/subscribe", "resources/unsubscribe"))


def unavailable(exc: BaseException) -> MCPError:
    """The refusal (HTTP 503) when the shared state does not answer."""
    return MCPError(
        INVALID_REQUEST, f"Service Unavailable: shared state unavailable ({exc})", http_status=503
    )


class SessionTable:
    def __init__(self, limits: Limits, hub: Hub, shared: Any = None, events: Any = None) -> None:
        self.limits = limits
        self.hub = hub
        self.shared = shared  # RedisState when several processes serve the same clients
        self.events = events  # the event store, purged of a session's logs when it ends
        self.sessions: dict[str, ServerSession] = {}
        self._last_sweep = time.monotonic()
        # Counters for /metrics (never touched on a request's fast path).
        self.evicted = 0
        self.evicted_for_room = 0
        self.rejected = 0
        self.loaded = 0
        self.routed = 0
        self.forward_retried = 0  # answers forwarded only after Redis came back
        self.forward_dropped = 0

    def __len__(self) -> int:
        return len(self.sessions)

    def get(self, session_id: str, principal: str | None = None) -> ServerSession | None:
        """A session held by this process, if `principal` opened it (another principal's
        token sees no session at all). None while the bus may have missed an `end`
        (`find` then checks the session first)."""
        if self.shared is not None and self.shared.ends.gap:
            return None
        session = self.sessions.get(session_id)
        return session if session is not None and session.belongs_to(principal) else None

    def held(self, session_id: str) -> ServerSession | None:
        """A session held here, unchecked (for the bus's own messages)."""
        return self.sessions.get(session_id)

    async def find(self, session_id: str, principal: str | None = None) -> ServerSession | None:
        """A session held here, or one another process opened (loaded from shared state),
        if `principal` opened it."""
        session = self.sessions.get(session_id)
        if session is not None and self.shared is not None and self.shared.ends.gap:
            session = await self._unless_ended(session)
        elif session is None and self.shared is not None:
            session = await self._load(session_id)
        return session if session is not None and session.belongs_to(principal) else None

    def touch(self, session: ServerSession) -> None:
        session.last_active = time.monotonic()
        if self.shared is not None:
            self.shared.touch(session.id)

    # ---- opening and ending ---------------------------------------------------------
    def check_capacity(self) -> None:
        """Refuse (HTTP 503) a new session when the table is full of active ones.

        Full: first the idle-timeout sweep, then the longest-idle session goes if it has
        been idle a minute, so a burst of abandoned sessions cannot lock clients out.
        """
        self.evict_idle()
        if len(self.sessions) >= self.limits.max_sessions and not self._make_room():
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
        """Stop notifying a session, fail what waits on it and drop its stream logs (every
        transport ends one here)."""
        self.hub.forget(session)
        session.close()
        if self.events is not None and session.id is not None:
            self.events.forget_session(session.id)

    def end(self, session_id: str) -> ServerSession | None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            self.close(session)
            if self.shared is not None:
                self.shared.forget(session_id)
        return session

    async def delete(self, session_id: str, principal: str | None = None) -> bool:
        """DELETE: end a session everywhere, then here; True when it existed (and, on a
        protected server, `principal` opened it).

        The shared record goes first: when Redis does not answer, the DELETE fails (503)
        and the session lives on everywhere, instead of ending here only while the other
        processes keep serving it.
        """
        if principal is not None and await self.find(session_id, principal) is None:
            return False
        ended = False
        if self.shared is not None:
            try:
                ended = await self.shared.delete_session(session_id)
            except Exception as exc:
                log.warning("Could not end session %s in shared state: %s", session_id, exc)
                raise unavailable(exc) from None
        return self.end(session_id) is not None or ended

    def _make_room(self) -> bool:
        """End the longest-idle session without a stream, if idle long enough."""
        cutoff = time.monotonic() - EVICT_WHEN_FULL_AFTER
        idle = [s for s in self.sessions.values() if s.stream is None and s.last_active <= cutoff]
        if not idle:
            return False
        oldest = min(idle, key=lambda s: s.last_active)
        self.end(oldest.id)  # type: ignore[arg-type]
        self.evicted_for_room += 1
        log.info(
            "Table full: evicted session %s, idle %.0fs", oldest.id, time.monotonic() - oldest.last_active
        )
        return True

    def evict_idle(self, *, force: bool = False) -> None:
        """Drop sessions idle past the timeout; checked at most every few seconds (or
        now, `force`, from the server's timer)."""
        now = time.monotonic()
        if (
            not force
            and now - self._last_sweep < SWEEP_SECONDS
            and len(self.sessions) < self.limits.max_sessions
        ):
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
        """A session another process opened: rebuild it here from its shared record.

        Redis not answering is a 503 (retry later), never "not found": the session may
        well exist, and a client told 404 would start over and lose what it waits for.
        """
        try:
            record = await self.shared.load_session(session_id)
        except Exception as exc:
            log.warning("Could not load session %s from shared state: %s", session_id, exc)
            raise unavailable(exc) from None
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

    async def _unless_ended(self, session: ServerSession) -> ServerSession | None:
        """The bus may have missed this session's `end`: check its tombstone (503 when
        Redis does not answer: it may have ended, and serving it could be wrong)."""
        try:
            ended = await self.shared.ends.ended(session.id)
        except Exception as exc:
            raise unavailable(exc) from None
        if ended:
            self.end(session.id)  # type: ignore[arg-type]
            return None
        return session

    async def recheck(self) -> None:
        """The bus is back after a gap: end the sessions held here that a DELETE ended
        elsewhere meanwhile (an exception keeps the gap open: `SessionEnds._recheck`)."""
        for session_id in await self.shared.ends.ended_of(list(self.sessions)):
            if self.end(session_id) is not None:
                self.shared.ends.rechecked_ended += 1
                log.info("Session %s was ended elsewhere while the bus was down", session_id)

    async def reshare(self) -> None:
        """Redis came back empty (restarted): store again the sessions this process holds,
        so the other processes find them instead of answering 404."""
        for session in list(self.sessions.values()):
            try:
                await self.shared.save_session(session)
            except Exception as exc:
                log.warning("Could not store session %s again: %s", session.id, exc)
                return
        log.info("Shared state was reset: stored %d session(s) again", len(self.sessions))

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
        if self.shared is None or not self.shared.owner_of(message):
            log.debug("Dropped a response nobody waits for: %s", message.get("id"))
            return
        deadline = _forward_deadline(message)
        if deadline <= time.monotonic():
            self._late(message, "arrived after")
            return
        if await self._try_forward(
            session.id, message, min(FIRST_FORWARD_SECONDS, deadline - time.monotonic())
        ):
            return
        # Redis is down, or the owner is resubscribing after a restart: keep trying in
        # the background until the request's own deadline (the client has its 202).
        self.shared.spawn(self._forward_until(session.id, message, deadline))

    async def _try_forward(self, session_id: str | None, message: jsonrpc.Message, seconds: float) -> bool:
        """One forward, waited for at most `seconds`; False when it failed or is still out.

        The bound is kept here, not by cancelling the publish: redis-py can take the
        cancellation a timeout sends for one of its own and retry the command, which then
        lands when a stopped Redis answers again, long past the deadline. A try given up
        on is cancelled and left to settle in the background (a second publish of the
        same answer is harmless: the owner takes the first, or none if it gave up)."""
        attempt = asyncio.ensure_future(self._forward(session_id, message))
        try:
            await asyncio.wait((attempt,), timeout=max(seconds, 0.0))
        finally:
            if not attempt.done():
                attempt.cancel()
                self.shared.spawn(attempt)  # held until it settles
        return attempt.done() and not attempt.cancelled() and attempt.result()

    async def _forward(self, session_id: str | None, message: jsonrpc.Message) -> bool:
        try:
            delivered = await self.shared.route_response(session_id, message)
        except Exception as exc:
            log.warning("Could not forward answer %s yet: %s", message.get("id"), exc)
            return False
        if delivered:
            self.routed += 1
        return delivered

    async def _forward_until(self, session_id: str | None, message: jsonrpc.Message, deadline: float) -> None:
        """Retry until `deadline` (monotonic), each try waited for only until then: a publish
        stuck on a stopped Redis is given up on at the deadline and the answer counted as
        dropped (a try already sent may still reach the owner later, which ignores it)."""
        pause = 0.1
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(pause, left))
            if await self._try_forward(session_id, message, deadline - time.monotonic()):
                self.forward_retried += 1
                return
            pause = min(pause * 2, 2.0)
        self._late(message, "not forwarded before")

    def _late(self, message: jsonrpc.Message, what: str) -> None:
        self.forward_dropped += 1
        log.error("Dropped answer %s: %s its request's deadline", message.get("id"), what)


def _forward_deadline(message: jsonrpc.Message) -> float:
    """The monotonic time until which an answer is worth forwarding: its request's own
    deadline, carried in the id (`Correlator`); an id without one had no timeout."""
    wall = id_deadline(message.get("id"))
    if wall is None:
        return time.monotonic() + FORWARD_RETRY_CAP
    return time.monotonic() + (wall - time.time())
