"""Which front call a proxy target's request (elicitation, sampling, roots) or log is for.

The association is the forwarded call's own task context (`CURRENT`): our client reads
an HTTP target's POST response stream in the task of the request it answers, and runs
a 2026-07-28 target's input requests inside that request's rounds, so whatever arrives
there runs with the calling front request set. The target session itself is opened in
an empty context (`ProxyTarget.session`), so its readers (a stdio pipe, a legacy GET
stream) carry no call, and what comes through them is unassociated: it goes to the only
call in flight; with several, to the legacy front client's session channel (its GET
stream) when they all share one session, to a 2026-07-28 call when the target names it
by its related task, and otherwise fails with an error the target sees. A call waiting
on a target's task in the background (`waiting_on`) is found by that task alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from ..client.inbound import INPUT_KEY
from ..protocol.errors import INVALID_REQUEST, MISSING_REQUIRED_CLIENT_CAPABILITY, MCPError
from ..protocol.jsonrpc import notification
from .context import Context
from .request import ServerRequest

CAPABILITY = {
    "elicitation/create": "elicitation",
    "sampling/createMessage": "sampling",
    "roots/list": "roots",
}
RELATED_TASK = "io.modelcontextprotocol/related-task"


@dataclasses.dataclass
class Question:
    """A target's request for a 2026-07-28 front's next round; `key` is the target's own
    input key when it asked in an input-required round (None for a legacy request)."""

    key: str | None
    method: str
    params: dict[str, Any]
    answer: asyncio.Future[Any]


class FrontCall:
    """One forwarded front request; `asks` carries the target's requests (modern front)."""

    def __init__(self, req: ServerRequest, reader: Any) -> None:
        self.reader = reader
        self.asks: asyncio.Queue[Question] = asyncio.Queue()
        self.task_id: str | None = None  # the target's task, when the call became one
        self.use(req)

    def use(self, req: ServerRequest) -> None:
        """The current round's request: progress and logs go to its stream."""
        self.req = req
        self.ctx = Context(req, self.reader)


#: the front call whose forwarded request is running in this task (and its children)
CURRENT: ContextVar[FrontCall | None] = ContextVar("mcp_use_proxy_call", default=None)


class Routing:
    """The front calls in flight, and where each message of the target goes."""

    def __init__(self, input_timeout: float) -> None:
        self.input_timeout = input_timeout
        self.active: list[FrontCall] = []
        # calls that wait on a target's task in the background (`proxy_task_bridge`): found
        # only by the task a message names, so they never look like "the only call"
        self.by_task: dict[str, FrontCall] = {}

    @contextlib.contextmanager
    def waiting_on(self, task_id: str, call: FrontCall) -> Iterator[None]:
        """While a background request about the target's task `task_id` runs for `call`."""
        self.by_task[task_id] = call
        try:
            yield
        finally:
            self.by_task.pop(task_id, None)

    @contextlib.contextmanager
    def running(self, call: FrontCall) -> Iterator[None]:
        """While the call's request runs on the target, in this task and those it starts."""
        self.active.append(call)
        token = CURRENT.set(call)
        try:
            yield
        finally:
            CURRENT.reset(token)
            self.active.remove(call)

    def associated(self, params: dict[str, Any]) -> FrontCall | None:
        """The call this message belongs to, or None when nothing says and several run."""
        call = CURRENT.get()
        if call is not None and call in self.active:
            return call
        meta = params.get("_meta")
        related = meta.get(RELATED_TASK) if isinstance(meta, dict) else None
        task_id = related.get("taskId") if isinstance(related, dict) else None
        if isinstance(task_id, str) and task_id in self.by_task:
            return self.by_task[task_id]
        if len(self.active) == 1:
            return self.active[0]
        if task_id is not None:
            return next((c for c in self.active if c.task_id == task_id), None)
        return None

    def shared_session(self) -> Any:
        """The one legacy front session all calls in flight belong to, if there is one."""
        sessions = {id(c.req.session): c.req.session for c in self.active if not c.req.modern}
        if len(sessions) != 1 or any(c.req.modern for c in self.active):
            return None
        session = next(iter(sessions.values()))
        return session if session is not None and session.stream is not None else None

    async def ask(self, method: str, params: dict[str, Any]) -> Any:
        """Put the target's request to the front client and return the client's answer."""
        call = self.associated(params)
        if call is None and not self.active:
            raise MCPError(INVALID_REQUEST, f"{method}: no client request in flight to ask")
        if call is None:
            return await self._ask_session(method, params)
        req = call.req
        _require(req.client_capabilities, method)
        if not req.modern:
            if req.session is None:
                raise MCPError(INVALID_REQUEST, "No session to ask the client through")
            return await req.session.requests().request(req.sink, method, params, timeout=self.input_timeout)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await call.asks.put(Question(INPUT_KEY.get(), method, params, answer))
        return await answer

    async def _ask_session(self, method: str, params: dict[str, Any]) -> Any:
        session = self.shared_session()
        if session is None:
            raise MCPError(
                INVALID_REQUEST,
                f"{method}: {len(self.active)} calls are in flight through the proxy and the "
                "target did not say which one this request is for",
            )
        _require(self.active[0].req.client_capabilities, method)
        return await session.requests().request(session.stream, method, params, timeout=self.input_timeout)

    async def log(self, wire: dict[str, Any]) -> None:
        """A log message of the target, to the call it came with (or the shared session)."""
        call = self.associated(wire)
        if call is not None:
            await call.ctx.log(wire.get("level", "info"), wire.get("data"), logger=wire.get("logger"))
            return
        session = self.shared_session()
        if session is not None and session.wants_log(wire.get("level", "info")):
            await session.stream(notification("notifications/message", wire))


def _require(capabilities: dict[str, Any], method: str) -> None:
    capability = CAPABILITY[method]
    if capabilities.get(capability) is None:
        raise MCPError(
            MISSING_REQUIRED_CLIENT_CAPABILITY,
            f"The proxy's client did not declare the '{capability}' capability",
            {"requiredCapabilities": {capability: {}}},
        )
