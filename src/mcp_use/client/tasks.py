"""Running a tool as a task from the client, on both eras.

`await session.start_task(name, args)` asks the server to run the call as a task and
gives a `TaskHandle`; `await session.call_tool(name, args, task=True)` does that and
waits for the result. 2026-07-28 (SEP-2663): the request declares the
`io.modelcontextprotocol/tasks` extension in its own `_meta` client capabilities, the
handle polls `tasks/get` at the server's `pollIntervalMs`, and answers input requests
through the session's callbacks with `tasks/update`. 2025-11-25: `params.task`, and the
result comes from `tasks/result`, on whose stream the server asks for any input (the
session's callbacks answer, as for any server-to-client request).
A server or tool that does not take a task answers the call at once: the handle then
already holds the result.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..protocol.correlator import ProgressCallback
from ..protocol.errors import INTERNAL_ERROR, INVALID_REQUEST, MCPError
from ..protocol.types import CallToolResult
from ..protocol.versions import META_CLIENT_CAPABILITIES
from .errors import ClientError, ServerError

if TYPE_CHECKING:
    from .requester import Requester

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
StatusCallback = Callable[["TaskStatus"], Awaitable[None] | None]
TERMINAL = frozenset({"completed", "failed", "cancelled"})
DEFAULT_POLL_MS = 1000


class TaskCancelled(ClientError):
    """The task ended `cancelled`: it has no result."""


@dataclasses.dataclass(frozen=True)
class TaskStatus:
    """A task as `tasks/get` last described it."""

    id: str
    status: str
    message: str | None
    poll_interval_ms: int
    raw: dict[str, Any]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def task_status(raw: dict[str, Any]) -> TaskStatus:
    """A `Task` object of the wire (from `tasks/get`, `tasks/list`, `CreateTaskResult`)."""
    poll = raw.get("pollIntervalMs", raw.get("pollInterval"))
    return TaskStatus(
        id=str(raw.get("taskId")),
        status=str(raw.get("status")),
        message=raw.get("statusMessage"),
        poll_interval_ms=poll if isinstance(poll, int) and poll > 0 else DEFAULT_POLL_MS,
        raw=raw,
    )


class TaskHandle:
    """One task on the server: `.id`, `await .status()`, `await .result()`, `await .cancel()`."""

    def __init__(self, wire: Requester, name: str, first: dict[str, Any]) -> None:
        self._wire = wire
        self.tool = name
        #: the call's own answer: the task as created, or the result when answered at once
        self.first = first
        self._immediate: dict[str, Any] | None = None
        if first.get("resultType") == "task":
            self._last = task_status(first)
        elif isinstance(first.get("task"), dict):
            self._last = task_status(first["task"])
        else:  # answered at once: the server ran it as a plain call
            self._immediate = first
            self._last = task_status({"taskId": "", "status": "completed"})
        self.id = self._last.id

    def _params(self, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"taskId": self.id, **extra}
        if self._wire.modern:
            params["_meta"] = {META_CLIENT_CAPABILITIES: with_extension(self._wire)}
        return params

    @property
    def answered(self) -> bool:
        """True when the server ran the call at once (no task): `first` is the result."""
        return self._immediate is not None

    async def forward(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one task method for this task (`tasks/get`, `tasks/update`, `tasks/cancel`,
        `tasks/result`) with `params` as given and return its raw result: a proxy passing
        its client's requests about the task through."""
        return await self._wire.request(
            method, self._params(**params), timeout=None if method == "tasks/result" else ...
        )

    async def status(self) -> TaskStatus:
        if self._immediate is not None:
            return self._last
        self._last = task_status(await self._wire.request("tasks/get", self._params()))
        return self._last

    async def cancel(self) -> None:
        """Ask the server to cancel (an already finished task stays as it ended)."""
        if self._immediate is not None:
            return
        try:
            await self._wire.request("tasks/cancel", self._params())
        except ServerError as exc:  # 2025-11-25 refuses to cancel a terminal task
            if self._wire.modern or exc.code != -32602:
                raise

    async def result(
        self, on_status: ProgressCallback | None = None, *, on_change: StatusCallback | None = None
    ) -> CallToolResult:
        """Wait for the end (answering input on the way); the tool's result.

        `on_status(n, None, message)` hears each new status message (a task's progress);
        `on_change(status)` each new status or message (what an agent or UI shows).
        A `failed` task raises `ServerError` with its error; a `cancelled` one
        `TaskCancelled`.
        """
        if self._immediate is not None:
            return CallToolResult.model_validate(self._immediate)
        watch = _StatusWatch(on_status, on_change)
        if not self._wire.modern:
            return await self._legacy_result(watch)
        status = self._last
        await watch.see(status)
        while not status.terminal:
            if status.status == "input_required":
                await self._answer(status.raw.get("inputRequests"))
            else:
                await asyncio.sleep(status.poll_interval_ms / 1000)
            status = await self.status()
            await watch.see(status)
        if status.status == "completed":
            return CallToolResult.model_validate(status.raw.get("result") or {"content": []})
        if status.status == "failed":
            raise ServerError.wrap(self._wire.name, _error(status.raw.get("error")))
        raise TaskCancelled(
            self._wire.name, f"task {self.id} ({self.tool}) was cancelled", code=INVALID_REQUEST
        )

    async def _answer(self, requests: Any) -> None:
        if not isinstance(requests, dict) or not requests:
            await asyncio.sleep(self._last.poll_interval_ms / 1000)
            return
        keys = list(requests)
        answers = await asyncio.gather(*(self._wire._input_for(requests[k], k) for k in keys))
        await self._wire.request(
            "tasks/update", self._params(inputResponses=dict(zip(keys, answers, strict=True)))
        )

    async def _legacy_result(self, watch: _StatusWatch) -> CallToolResult:
        await watch.see(self._last)
        poller = asyncio.ensure_future(self._poll(watch)) if watch.listening else None
        try:
            raw = await self._wire.request("tasks/result", self._params(), timeout=None)
        except ServerError:
            status = await self.status()
            if status.status == "cancelled":
                raise TaskCancelled(self._wire.name, f"task {self.id} ({self.tool}) was cancelled") from None
            raise
        finally:
            if poller is not None:
                poller.cancel()
        self._last = task_status({**self._last.raw, "status": "completed"})
        await watch.see(self._last)
        return CallToolResult.model_validate(raw)

    async def _poll(self, watch: _StatusWatch) -> None:
        """2025-11-25: `tasks/result` only answers at the end; poll for the messages."""
        status = self._last
        while not status.terminal:
            await asyncio.sleep(status.poll_interval_ms / 1000)
            status = await self.status()
            await watch.see(status)

    def __repr__(self) -> str:
        return f"TaskHandle({self.tool!r}, id={self.id!r}, last={self._last.status!r})"


class _StatusWatch:
    """Calls `callback` once per new status message, `on_change` once per new (status, message)."""

    def __init__(self, callback: ProgressCallback | None, on_change: StatusCallback | None = None) -> None:
        self.callback = callback
        self.on_change = on_change
        self.last: str | None = None
        self.seen: tuple[str, str | None] | None = None
        self.count = 0

    @property
    def listening(self) -> bool:
        return self.callback is not None or self.on_change is not None

    async def see(self, status: TaskStatus) -> None:
        if self.on_change is not None and (status.status, status.message) != self.seen:
            self.seen = (status.status, status.message)
            changed = self.on_change(status)
            if asyncio.iscoroutine(changed):
                await changed
        if self.callback is None or status.message is None or status.message == self.last:
            return
        self.last = status.message
        self.count += 1
        outcome = self.callback(self.count, None, status.message)
        if asyncio.iscoroutine(outcome):
            await outcome


def with_extension(wire: Requester) -> dict[str, Any]:
    """This client's capabilities plus the tasks extension (the per-request opt-in)."""
    caps = dict(wire.inbound.capabilities)
    caps["extensions"] = {**(caps.get("extensions") or {}), TASKS_EXTENSION: {}}
    return caps


async def start_task(
    wire: Requester,
    params: dict[str, Any],
    *,
    headers: Any = None,
    timeout: Any = ...,
    ttl_ms: int | None = None,
) -> TaskHandle:
    """Send `tools/call` asking for a task; input asked before the task exists (a
    `task_start="manual"` tool) is answered in the call's own input rounds."""
    params = dict(params)
    if wire.modern:
        if ttl_ms is not None:
            raise ClientError(
                wire.name, "a task's ttl cannot be asked for on 2026-07-28 (the server sets it)"
            )
        meta = dict(params.get("_meta") or {})
        meta[META_CLIENT_CAPABILITIES] = with_extension(wire)
        params["_meta"] = meta
    else:
        params["task"] = {} if ttl_ms is None else {"ttl": ttl_ms}
    first = await wire.rounds("tools/call", params, timeout=timeout, headers=headers)
    return TaskHandle(wire, str(params.get("name")), first)


def _error(error: Any) -> MCPError:
    if isinstance(error, dict):
        return MCPError.from_error(error)
    return MCPError(INTERNAL_ERROR, "the task failed without saying why")
