"""Who hears about changes: legacy sessions and modern `subscriptions/listen` streams."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol import jsonrpc
from ..protocol.versions import META_SUBSCRIPTION_ID
from .session import MessageSink, ServerSession
from .state import bus

LIST_CHANGED = {
    "tools": ("notifications/tools/list_changed", "toolsListChanged"),
    "prompts": ("notifications/prompts/list_changed", "promptsListChanged"),
    "resources": ("notifications/resources/list_changed", "resourcesListChanged"),
}


@dataclasses.dataclass(eq=False)
class Listener:
    """One open `subscriptions/listen` stream and the notifications it opted in to."""

    subscription_id: jsonrpc.RequestId
    filter: dict[str, Any]
    sink: MessageSink
    closed: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    def wants(self, flag: str) -> bool:
        return bool(self.filter.get(flag))

    def wants_uri(self, uri: str) -> bool:
        uris = self.filter.get("resourceSubscriptions") or ()
        return uri in uris

    def wants_task(self, task_id: str) -> bool:
        return task_id in (self.filter.get("taskIds") or ())


class Hub:
    def __init__(self) -> None:
        self.sessions: weakref.WeakSet[ServerSession] = weakref.WeakSet()
        self.listeners: set[Listener] = set()
        # With shared state: tells the other processes, which tell their own clients.
        self.relay: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        # The hubs of servers that mount this one (`mount.py`): what this hub announces,
        # they announce to their own clients too.
        self.mirrors: list[Hub] = []

    def reaches(self, other: Hub) -> bool:
        """True when announcing here reaches `other` (itself, or through mirrors)."""
        return other is self or any(m.reaches(other) for m in self.mirrors)

    def watch(self, session: ServerSession) -> None:
        self.sessions.add(session)

    def forget(self, session: ServerSession) -> None:
        self.sessions.discard(session)

    def listen(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def unlisten(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        listener.closed.set()

    async def list_changed(self, kind: str, *, relayed: bool = False) -> None:
        if self.relay is not None and not relayed:
            await _quietly(self.relay(bus.list_changed(kind)))
        method, flag = LIST_CHANGED[kind]
        message = jsonrpc.notification(method)
        await self._fan_out(
            [s.notify(message) for s in list(self.sessions)]
            + [self._to_listener(li, method, {}) for li in list(self.listeners) if li.wants(flag)]
            + [m.list_changed(kind, relayed=relayed) for m in self.mirrors]
        )

    async def resource_updated(self, uri: str, *, relayed: bool = False) -> None:
        if self.relay is not None and not relayed:
            await _quietly(self.relay(bus.resource_updated(uri)))
        params = {"uri": uri}
        message = jsonrpc.notification("notifications/resources/updated", params)
        await self._fan_out(
            [s.notify(message) for s in list(self.sessions) if s.subscriptions and uri in s.subscriptions]
            + [
                self._to_listener(li, "notifications/resources/updated", params)
                for li in list(self.listeners)
                if li.wants_uri(uri)
            ]
            + [m.resource_updated(uri, relayed=relayed) for m in self.mirrors]
        )

    async def task_status(self, task_id: str, params: dict[str, Any]) -> None:
        """`notifications/tasks` (2026-07-28) to the listen streams that asked for this task."""
        await self._fan_out(
            [
                self._to_listener(li, "notifications/tasks", params)
                for li in list(self.listeners)
                if li.wants_task(task_id)
            ]
            + [m.task_status(task_id, params) for m in self.mirrors]
        )

    async def _to_listener(self, listener: Listener, method: str, params: dict[str, Any]) -> None:
        tagged = {**params, "_meta": {META_SUBSCRIPTION_ID: listener.subscription_id}}
        try:
            await listener.sink(jsonrpc.notification(method, tagged))
        except Exception:
            self.unlisten(listener)

    @staticmethod
    async def _fan_out(sends: list[Any]) -> None:
        if sends:
            await asyncio.gather(*sends, return_exceptions=True)


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception as exc:  # Redis trouble must not stop the local clients hearing of it
        logging.getLogger("mcp_use.server").warning("Could not relay a notification: %s", exc)
