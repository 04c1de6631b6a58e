"""Task-backed MCP tools in the agent: run as tasks, their status relayed to the stream.

A tool whose listing says `execution.taskSupport == "required"` cannot be called
plainly (the server refuses), so the adapter runs it through the client's task API:
start the task, wait for its result (answering input through the client's callbacks),
all bounded by the agent's tool timeout, and cancel the task on the server when that
bound passes. A tool that merely allows a task (`"optional"`) runs as one only when
the agent is built with `use_tasks=True`.

Each status change (working, input_required, a new status message, the end) is
handed to the relay of the tool call in progress, which the agent's loop drains into
`TaskStatusStep`s while the tool runs: the stream shows a long task moving instead of
going silent. The relay travels in a context variable because LangChain sits between
the loop and the tool's coroutine and has no channel for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..client.session import ClientSession
from ..client.tasks import TaskHandle, TaskStatus
from ..protocol.types import CallToolResult, Tool

T = TypeVar("T")


@dataclass(frozen=True)
class TaskStatusStep:
    """A task-backed tool call changed status (yielded while the tool runs)."""

    tool: str
    id: str  # the tool call's id, as in ToolCallStep / ToolResultStep
    step: int
    task_id: str
    status: str  # working, input_required, completed, failed, cancelled
    message: str | None = None


def task_support(tool: Tool) -> str:
    """`required`, `optional` or `forbidden`, from the tool's listing (absent: forbidden)."""
    execution = tool.execution or {}
    support = execution.get("taskSupport")
    return support if support in ("required", "optional") else "forbidden"


def runs_as_task(tool: Tool, use_tasks: bool) -> bool:
    support = task_support(tool)
    return support == "required" or (use_tasks and support == "optional")


_relay: ContextVar[TaskRelay[Any] | None] = ContextVar("mcp_use_agent_task_relay", default=None)


async def call_as_task(
    session: ClientSession, name: str, arguments: dict[str, Any], timeout: float | None
) -> CallToolResult:
    """Start `name` as a task and wait for its result, at most `timeout` seconds in all.

    Past the timeout the task is cancelled on the server (not left running unseen)
    and `TimeoutError` is raised.
    """
    relay = _relay.get()
    handle: TaskHandle | None = None

    async def run() -> CallToolResult:
        nonlocal handle
        handle = await session.start_task(name, arguments)
        on_change = relay.put if relay is not None else None
        return await handle.result(on_change=on_change)

    try:
        return await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        if handle is not None and handle.id:
            with contextlib.suppress(Exception):  # the timeout is the error to report
                await asyncio.wait_for(handle.cancel(), 5.0)
        raise


class TaskRelay(Generic[T]):
    """Runs one tool call and yields the task statuses it reports until it ends."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[TaskStatus] = asyncio.Queue()
        self.result: T | None = None

    def put(self, status: TaskStatus) -> None:
        self._queue.put_nowait(status)

    async def drive(self, work: Awaitable[T]) -> AsyncIterator[TaskStatus]:
        token = _relay.set(self)
        try:
            job = asyncio.ensure_future(work)  # copies the context: the tool sees this relay
        finally:
            _relay.reset(token)
        try:
            while not job.done():
                getter = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({job, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            while not self._queue.empty():
                yield self._queue.get_nowait()
            self.result = job.result()
        finally:
            if not job.done():  # the consumer stopped early
                job.cancel()
