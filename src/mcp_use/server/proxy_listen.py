"""The proxy's resource subscriptions on its target, for the front's clients.

A front client hears a resource's updates when it subscribes (legacy) or names the URI
in its `subscriptions/listen` (2026-07-28); the front can only pass on what its target
tells it, so the target must be subscribed too, in whichever way the target's era has
it (`ProxyTarget.apply`). One subscription on the target serves every front client:
the URI is subscribed on the first interested client and unsubscribed after the last.
A listen's URIs are subscribed before the front acknowledges the listen, so an update
right after the acknowledgment is not lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from ..protocol.errors import MCPError
from .notifications import Listener
from .proxy_target import ProxyTarget

log = logging.getLogger("mcp_use.server.proxy")


class TargetSubscriptions:
    def __init__(self, target: ProxyTarget) -> None:
        self.target = target
        self.wanted: Counter[str] = Counter()
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def add(self, uri: str) -> None:
        async with self._lock:
            self.wanted[uri] += 1
            if self.wanted[uri] == 1:
                await self.target.apply("resources/subscribe", {"uri": uri})

    async def remove(self, uri: str) -> None:
        async with self._lock:
            if self.wanted[uri] <= 0:
                return
            self.wanted[uri] -= 1
            if self.wanted[uri] == 0:
                del self.wanted[uri]
                await self.target.apply("resources/unsubscribe", {"uri": uri})

    def observe(self, listener: Listener, opened: bool) -> Awaitable[None] | None:
        """An engine listen observer: subscribe a new listen's URIs (awaited before its
        acknowledgment); unsubscribe an ended one's in the background."""
        uris = [u for u in listener.filter.get("resourceSubscriptions") or () if isinstance(u, str)]
        if not uris:
            return None
        if opened:
            return self._all(self.add, uris)
        task = asyncio.get_running_loop().create_task(self._all(self.remove, uris))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _all(self, change: Any, uris: list[str]) -> None:
        for uri in uris:
            try:
                await change(uri)
            except MCPError as exc:  # the listen stays open; updates of this URI may not come
                log.warning(
                    "Proxy target %s: could not (un)subscribe %s: %s", self.target.description, uri, exc
                )
