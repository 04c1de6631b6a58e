"""The inter-process bus vocabulary: every message kind, its builder and its handler, once.

With shared state (Redis) the processes serving one set of clients tell each other
what happened. A message is a small dict: `t` names its kind, the rest its fields (short
keys: they cross the network for every event). `BusHandler` applies a message from
another process to this one; the builders below are the only places a message is made.

| kind      | built by                  | sent when                                   | handled as                         |
|-----------|---------------------------|---------------------------------------------|------------------------------------|
| `changed` | `list_changed(kind)`      | a tools/prompts/resources list changed      | tell this process's clients        |
| `updated` | `resource_updated(uri)`   | `notify_resource_updated(uri)`              | tell this process's subscribers    |
| `resp`    | `response(sid, message)`  | a client answered another process's request | resolve the waiting request        |
| `cancel`  | `cancel(sid, rid)`        | `notifications/cancelled` for a remote call | cancel it if it runs here          |
| `end`     | `end(sid)`                | a session was deleted                       | drop it here, then `ended`         |
| `ended`   | `ended(nonce)`            | an `end` was applied here (to its sender)   | the DELETE may answer (`redis_ends`)|
| `sync`    | `sync(session)`           | log level or subscriptions changed          | update the copy held here          |
| `task`    | `task_status(id, params)` | a 2026-07-28 task's status changed          | tell this process's task listeners |
| `task`    | `task_cancel(id)`         | a task run elsewhere is cancelled (to owner)| stop it if it runs here            |
| `task`    | `task_input(id, answers)` | answers for a task run elsewhere (to owner) | hand them to it if it runs here    |
| `ask`     | `task_ask(sid, id)`       | a 2025-11-25 task waits for input, and its  | ask it on the session's GET stream |
|           |                           | session's GET stream is not on its owner    | if that stream is held here        |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

BusMessage = dict[str, Any]


# ---- builders -------------------------------------------------------------------------
def list_changed(kind: str) -> BusMessage:
    return {"t": "changed", "kind": kind}


def resource_updated(uri: str) -> BusMessage:
    return {"t": "updated", "uri": uri}


def response(session_id: str, message: dict[str, Any]) -> BusMessage:
    return {"t": "resp", "sid": session_id, "m": message}


def cancel(session_id: str | None, request_id: Any) -> BusMessage:
    return {"t": "cancel", "sid": session_id, "rid": request_id}


def end(session_id: str) -> BusMessage:
    return {"t": "end", "sid": session_id}


def ended(nonce: str) -> BusMessage:
    return {"t": "ended", "n": nonce}


def task_status(task_id: str, params: dict[str, Any]) -> BusMessage:
    return {"t": "task", "op": "status", "id": task_id, "p": params}


def task_cancel(task_id: str) -> BusMessage:
    return {"t": "task", "op": "cancel", "id": task_id}


def task_input(task_id: str, answers: dict[str, Any]) -> BusMessage:
    return {"t": "task", "op": "input", "id": task_id, "r": answers}


def task_ask(session_id: str, task_id: str) -> BusMessage:
    return {"t": "ask", "sid": session_id, "id": task_id}


def sync(session: Any) -> BusMessage:
    return {
        "t": "sync",
        "sid": session.id,
        "ll": session.log_level,
        "subs": sorted(session.subscriptions or ()),
    }


# ---- handler --------------------------------------------------------------------------
class _Notifier(Protocol):
    async def list_changed(self, kind: str, *, relayed: bool = False) -> None: ...

    async def resource_updated(self, uri: str, *, relayed: bool = False) -> None: ...


class _Sessions(Protocol):
    def held(self, session_id: str) -> Any: ...

    def end(self, session_id: str) -> Any: ...


TaskHandler = Callable[[BusMessage], Awaitable[None]]
AskHandler = Callable[[str, Any], Awaitable[None]]  # (task id, the session holding the stream)


class BusHandler:
    """Applies another process's message here: to the notification hub, a local session,
    or the task handlers (`task` messages, see `tasks.handlers`)."""

    __slots__ = ("asks", "hub", "sessions", "tasks")

    def __init__(
        self,
        hub: _Notifier,
        sessions: _Sessions,
        tasks: TaskHandler | None = None,
        asks: AskHandler | None = None,
    ) -> None:
        self.hub = hub
        self.sessions = sessions
        self.tasks = tasks
        self.asks = asks

    async def __call__(self, data: BusMessage) -> None:
        kind = data.get("t")
        if kind == "changed":
            await self.hub.list_changed(data["kind"], relayed=True)
            return
        if kind == "updated":
            await self.hub.resource_updated(data["uri"], relayed=True)
            return
        if kind == "task":
            if self.tasks is not None:
                await self.tasks(data)
            return
        session = self.sessions.held(data.get("sid"))  # type: ignore[arg-type]
        if session is None:
            return
        if kind == "resp":
            if session.correlator is not None:
                session.correlator.resolve(data["m"])
        elif kind == "cancel":
            session.cancel(data.get("rid"))
        elif kind == "end":
            self.sessions.end(session.id)
        elif kind == "ask":
            if self.asks is not None and session.stream is not None:
                await self.asks(str(data.get("id")), session)
        elif kind == "sync":
            session.log_level = data.get("ll")
            session.subscriptions = set(data.get("subs") or ()) or None
