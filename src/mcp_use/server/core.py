"""`ServerCore`: the one object a transport receives.

Built once by the `MCPServer` facade from its settings, it bundles the parts below the
facade: the feature registries, the engine, the notification hub, the legacy session
table, the lifecycle, the host guard, the `requestState` sealer, the event store for
resumable streams and the optional shared state. A transport copies the few parts it
needs in `__init__` and never reaches past them.

Authorization: `authenticator`, set by the facade on a protected server, is the bearer
check (`http.auth.ResourceGuard`) every HTTP transport runs before dispatch; the token it
admits goes on `ServerRequest.access_token`, and its principal on the sessions it opens.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from .engine import Engine
from .exposure import OpenServerWarning
from .input_rounds import StateSealer
from .lifecycle import Lifecycle
from .notifications import Hub
from .registry import Features
from .session_table import SessionTable
from .settings import ServerSettings
from .state.bus import BusHandler
from .state.memory import MemoryEventStore

log = logging.getLogger("mcp_use.server")


class RequestGuard(Protocol):
    """The Host/Origin check (`http.security.HostGuard`), handed in by the facade."""

    def check(self, scope: dict[str, Any], host: str | None, origin: str | None) -> Any: ...

    def bind(self, host: str) -> None: ...


class ServerCore:
    def __init__(
        self,
        settings: ServerSettings,
        *,
        guard: RequestGuard,
        sealer: StateSealer,
        state: Any = None,
        event_store: Any = None,
        authenticator: Any = None,
    ) -> None:
        self.settings = settings
        self.guard = guard
        self.sealer = sealer
        self.state = state  # shared state (RedisState), or None: this process alone
        if event_store is None:
            event_store = getattr(state, "events", None)  # not `or`: an empty store is falsy
        self.events = event_store if event_store is not None else MemoryEventStore()
        self.authenticator = authenticator
        self.features = Features(on_change=self.announce)
        self.hub = Hub()
        self.sessions = SessionTable(settings.limits, self.hub, state, self.events)
        self.lifecycle = Lifecycle(state)
        self.lifecycle.housekeeping += [lambda: self.sessions.evict_idle(force=True), self.events.sweep]
        self.open_warning = OpenServerWarning(self)
        self.lifecycle.first_request.append(self.open_warning.when_served)
        self.engine = Engine(settings, self.features, self.hub, sealer, state)
        self._background: set[asyncio.Task[Any]] = set()

    # ---- announcing changes -------------------------------------------------------------
    def announce(self, kind: str) -> None:
        """A registry changed: tell clients `list_changed` (when any listens and a loop runs)."""
        hub = self.hub
        if not (hub.sessions or hub.listeners or hub.relay or hub.mirrors):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._keep(loop.create_task(hub.list_changed(kind)))

    def resource_updated(self, uri: str) -> asyncio.Future[None] | None:
        """Tell every client subscribed to `uri` that it changed; None outside a loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return loop.create_task(self.hub.resource_updated(uri))

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- shared state ---------------------------------------------------------------
    async def start_shared(self) -> str | None:
        """Start the shared state (on the first request); the reason to refuse, if any.

        Redis and start-up conflicts become a reason string here, once, for the 503.
        """
        from .state.redis import StateConflict

        state = self.state
        try:
            await state.start(
                self.settings.identity.name,
                self.sealer,
                self.settings.limits.session_idle_timeout,
                BusHandler(self.hub, self.sessions, self.engine.tasks.on_bus, self.engine.tasks.on_ask),
            )
        except StateConflict as exc:
            log.error("%s", exc)
            return str(exc)
        except Exception as exc:
            log.error("Shared state unavailable: %s", exc)
            return f"Service Unavailable: shared state unavailable ({exc})"
        self.hub.relay = state.broadcast
        state.on_reset = self.sessions.reshare
        state.ends.on_recheck = self.sessions.recheck
        return None
