"""A 2026-07-28 front client's task backed by a 2025-11-25 target's task.

The front answers its client's task-augmented `tools/call` with a `CreateTaskResult`
(SEP-2663) naming the target's task, and serves that client's `tasks/get`,
`tasks/update` and `tasks/cancel` from the target's task. The 2025-11-25 target only
gives a task's result, and only asks a task's questions, on a `tasks/result` request:
the bridge keeps one open in the background from the start. The target's questions
arrive there (tagged with the task, `proxy_routing`), wait as the task's
`inputRequests` (keys `q1`, `q2`, ...) for the client's `tasks/update`, and the answers
go back as the answers to the target's requests. `tasks/get` says `completed` (with the
result inlined) or `failed` (with the error) once that `tasks/result` has answered, and
`input_required` while questions wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..client.errors import ClientError, ServerError
from ..protocol.errors import INTERNAL_ERROR, INVALID_PARAMS, MCPError
from .proxy_routing import FrontCall, Question, Routing

log = logging.getLogger("mcp_use.server.proxy")
Announce = Callable[[str, dict[str, Any]], Awaitable[None]]


def modern_task(task: dict[str, Any]) -> dict[str, Any]:
    """A 2025-11-25 `Task` as 2026-07-28 shows it (`ttlMs`, `pollIntervalMs`)."""
    out = {k: v for k, v in task.items() if k not in ("ttl", "pollInterval", "_meta")}
    if "ttl" in task:
        out["ttlMs"] = task["ttl"]
    if "pollInterval" in task:
        out["pollIntervalMs"] = task["pollInterval"]
    return out


class Bridge:
    """One bridged task: the background `tasks/result` and the questions it brought."""

    def __init__(self, handle: Any, call: FrontCall, routing: Routing, announce: Announce) -> None:
        self.handle = handle
        self.call = call
        self.routing = routing
        self.announce = announce  # to the front's listeners of this task (`TaskNews`)
        self.last: dict[str, Any] = dict(handle.first.get("task") or {})
        self.result: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.waiting: dict[str, Question] = {}
        self._asked = 0
        self._waiter = asyncio.ensure_future(self._wait())
        self._collector = asyncio.ensure_future(self._collect())

    async def _wait(self) -> None:
        with self.routing.waiting_on(self.handle.id, self.call):
            try:
                self.result = await self.handle.forward("tasks/result", {})
            except ServerError as exc:
                self.error = {
                    "code": exc.code,
                    "message": exc.detail,
                    **({"data": exc.data} if exc.data else {}),
                }
            except ClientError as exc:
                self.error = {"code": INTERNAL_ERROR, "message": f"Proxy target failed: {exc.detail}"}
        self._collector.cancel()
        for question in self.waiting.values():  # the target no longer waits for these
            if not question.answer.done():
                question.answer.cancel()
        self.waiting.clear()
        await self.announce(self.handle.id, self.describe(self.last))

    async def _collect(self) -> None:
        """The target's questions, as they come, under the task's own keys."""
        while True:
            question = await self.call.asks.get()
            self._asked += 1
            self.waiting[f"q{self._asked}"] = question
            await self.announce(self.handle.id, self.describe(self.last))

    async def status(self) -> dict[str, Any]:
        """The task as a 2026-07-28 `tasks/get` answers."""
        return self.describe(dict((await self.handle.status()).raw))

    def describe(self, legacy: dict[str, Any]) -> dict[str, Any]:
        """The task as 2026-07-28 says it, from the target's `Task` and what the bridge
        holds (the result, the error, the questions waiting)."""
        self.last = legacy
        task = modern_task(legacy)
        state = task.get("status")
        if self.result is not None:
            task.update(status="completed", result=self.result)
        elif self.error is not None and state != "cancelled":
            task.update(status="failed", error=self.error)
        elif self.waiting:
            task["status"] = "input_required"
            task["inputRequests"] = {
                k: {"method": q.method, "params": q.params} for k, q in self.waiting.items()
            }
        elif state in ("completed", "failed", "input_required"):
            task["status"] = "working"  # its result or question is on the way to the proxy
        return task

    def update(self, responses: Any) -> None:
        """A `tasks/update`: each answer to the target request it answers."""
        if not isinstance(responses, dict):
            raise MCPError(INVALID_PARAMS, "tasks/update: inputResponses must be an object")
        for key, answer in responses.items():
            question = self.waiting.pop(key, None)
            if question is not None and not question.answer.done():
                question.answer.set_result(answer)

    async def cancel(self) -> None:
        await self.handle.cancel()

    def close(self) -> None:
        """Stop waiting on the target (the proxy is closing, or forgot the task)."""
        for job in (self._waiter, self._collector):
            job.cancel()
