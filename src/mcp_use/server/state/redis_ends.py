"""Session ends across processes: a session DELETEd anywhere is not served afterwards.

Pub/sub alone does not guarantee it, in two ways this module closes:
- Delivery is asynchronous: the DELETE's `end` may still sit unread in another
  process's socket when the client's next request reaches it. So `end_everywhere`
  waits (briefly, `ACK_SECONDS` at most) until every process that received the `end`
  has applied it and acknowledged (`bus.ended`), before the DELETE answers.
- A broken pub/sub connection loses what is published until it resubscribes. A DELETE
  leaves a tombstone `{p}:x:{sid}` (for the session TTL); while this process's bus is
  in such a gap, each request's session is checked against it (`ended`), and once the
  bus is back every session held here is re-checked in one round trip (`recheck`),
  before the fast path (no check) is trusted again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from . import bus

log = logging.getLogger("mcp_use.server.state")
ACK_SECONDS = 1.0  # a process that has not acknowledged by then is slow or gone
RECHECK_RETRY_SECONDS = 1.0


class _Acks:
    """Acknowledgements of one `end`: done when `needed` (known once published) arrived."""

    __slots__ = ("count", "done", "needed")

    def __init__(self) -> None:
        self.count = 0
        self.needed: int | None = None
        self.done = asyncio.get_running_loop().create_future()

    def add(self, n: int = 1, needed: int | None = None) -> None:
        self.count += n
        if needed is not None:
            self.needed = needed
        if self.needed is not None and self.count >= self.needed and not self.done.done():
            self.done.set_result(None)


class SessionEnds:
    """The bus gap, the tombstones and the acknowledged `end` of one `RedisState`."""

    def __init__(self, state: Any) -> None:  # the `RedisState` (not imported: no cycle)
        self.state = state
        self.gap = False  # the bus may have missed messages: check sessions per request
        self.generation = 0  # bumped by each loss, so a stale re-check cannot clear a newer gap
        self.gaps = 0  # for /metrics
        self.rechecked_ended = 0
        self.unacknowledged = 0  # ends that some process did not acknowledge in time
        self.on_recheck: Callable[[], Awaitable[None]] | None = None  # the session table's `recheck`
        self._waiting: dict[str, _Acks] = {}

    # ---- the DELETE side --------------------------------------------------------------
    async def end_everywhere(self, session_id: str) -> bool:
        """Remove the record, leave the tombstone, publish `end` and wait for the others
        to apply it; True when the record existed. Redis errors propagate (503)."""
        state = self.state
        async with state.client.pipeline(transaction=True) as pipe:
            pipe.delete(state.key("s", session_id))
            pipe.set(state.key("x", session_id), b"1", ex=state.session_ttl)
            removed, _ = await pipe.execute()
        nonce = secrets.token_hex(6)
        acks = self._waiting[nonce] = _Acks()
        try:
            message = {**bus.end(session_id), "n": nonce, "o": state.token}
            receivers = await state.client.publish(state.key("all"), orjson.dumps(message))
            acks.add(0, needed=max(0, int(receivers) - 1))  # not this process's own copy
            try:
                async with asyncio.timeout(ACK_SECONDS):
                    await acks.done
            except TimeoutError:
                self.unacknowledged += 1
                log.warning(
                    "Session %s: %d of %s process(es) acknowledged its end in time",
                    session_id,
                    acks.count,
                    acks.needed,
                )
        finally:
            self._waiting.pop(nonce, None)
        return bool(removed)

    def acknowledged(self, data: dict[str, Any]) -> None:
        """Another process applied one of our `end`s."""
        acks = self._waiting.get(data.get("n", ""))
        if acks is not None:
            acks.add()

    async def applied(self, handled: Awaitable[Any] | None, data: dict[str, Any]) -> None:
        """Apply another process's `end`, then acknowledge it to that process."""
        if handled is not None:
            await handled
        origin, nonce = data.get("o"), data.get("n")
        if origin and nonce:
            state = self.state
            reply = orjson.dumps({**bus.ended(nonce), "o": state.token})
            await state.client.publish(state.key("p", origin), reply)

    # ---- the gap side -----------------------------------------------------------------
    def lost(self) -> None:
        """The pub/sub connection broke: what was published meanwhile never arrives."""
        if not self.gap:
            self.gaps += 1
        self.gap = True
        self.generation += 1

    def resubscribed(self) -> None:
        """A subscription is confirmed: after a gap, re-check before trusting the bus."""
        if self.gap:
            self.state.spawn(self._recheck(self.generation))

    async def _recheck(self, generation: int) -> None:
        while generation == self.generation:
            try:
                if self.on_recheck is not None:
                    await self.on_recheck()
            except Exception as exc:
                log.warning("Shared state: re-checking sessions failed (%s); retrying", exc)
                await asyncio.sleep(RECHECK_RETRY_SECONDS)
                continue
            if generation == self.generation:
                self.gap = False
                log.info("Shared state: pub/sub back; sessions re-checked")
            return

    async def ended(self, session_id: str) -> bool:
        """Whether a DELETE ended this session (on any process): its tombstone exists."""
        return bool(await self.state.client.exists(self.state.key("x", session_id)))

    async def ended_of(self, session_ids: list[str]) -> list[str]:
        """Those of `session_ids` ended by a DELETE (one round trip)."""
        if not session_ids:
            return []
        async with self.state.client.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.exists(self.state.key("x", session_id))
            found = await pipe.execute()
        return [sid for sid, hit in zip(session_ids, found, strict=True) if hit]
