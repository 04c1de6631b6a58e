"""Tasks through a proxy: a front client's task-augmented `tools/call` runs as a task on
the target, and its `tasks/*` requests about that task reach the target's task.

The target is reached with our client's task calls (`ClientSession.start_task`, the
`TaskHandle`), so the target's own era decides the wire (2026-07-28's extension or
2025-11-25's `params.task`). The front answers in its client's era. On a 2026-07-28
front with a 2026-07-28 target the answers pass through as they are (input requests in
`tasks/get`, answers in `tasks/update`); a 2026-07-28 front over a 2025-11-25 target
runs the call as a plain call (that front has no `tasks/result` to carry the target's
questions). On a 2025-11-25 front the task is shown as that era's `Task`, `tasks/result`
waits for the end (the target's input requests travel on its stream as server-to-client
requests, routed as any other), and `tasks/cancel` answers with the task.
Each task is kept with the scope of the front request that made it (its principal, else
its legacy session): another front client naming its id is answered as for an unknown
task by the front itself. The proxy remembers its last `MAX_TASKS` tasks, in this
process only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol.errors import INVALID_PARAMS, MCPError
from ..protocol.types import CallToolResult
from .proxy_routing import FrontCall, Routing
from .proxy_target import ProxyTarget, translated
from .request import ServerRequest
from .tasks.handlers import declares_extension, task_scope

Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
TASK_METHODS = frozenset({"tasks/get", "tasks/update", "tasks/cancel", "tasks/result", "tasks/list"})
MAX_TASKS = 10_000  # remembered per process; the oldest is forgotten first (the target's TTL ends it anyway)
MODERN_ONLY = {"resultType", "ttlMs", "pollIntervalMs", "result", "error", "inputRequests"}


def asks_for_task(req: ServerRequest, target_era: str) -> bool:
    """The front request wants a task (the 2026-07-28 extension declared, or `params.task`)
    that the proxy can carry to this target."""
    if req.modern:
        return target_era == "modern" and declares_extension(req.client_capabilities)
    return isinstance(req.params.get("task"), dict)


class ProxyTasks:
    def __init__(self, target: ProxyTarget, routing: Routing, reader: Any) -> None:
        self.target = target
        self.routing = routing
        self.reader = reader
        self.handles: dict[str, tuple[str, Any]] = {}  # task id -> (front scope, TaskHandle)

    async def start(self, req: ServerRequest, params: dict[str, Any], call: FrontCall) -> dict[str, Any]:
        """Start the call as a task on the target; the front's answer to its `tools/call`."""
        arguments = params.get("arguments")
        meta = params.get("_meta")
        name = params.get("name")
        if not isinstance(name, str):
            raise MCPError(INVALID_PARAMS, "tools/call: name must be a string")
        session = await self.target.session()
        with self.routing.running(call), translated("tools/call"):
            handle = await session.start_task(
                name,
                arguments if isinstance(arguments, dict) else {},
                meta=meta if isinstance(meta, dict) and meta else None,
            )
        if handle.answered:
            return handle.first  # type: ignore[no-any-return]
        call.task_id = handle.id
        self.handles[handle.id] = (task_scope(req), handle)
        while len(self.handles) > MAX_TASKS:
            del self.handles[next(iter(self.handles))]
        if req.modern:
            return handle.first  # type: ignore[no-any-return]
        return {"task": legacy_task(await self._status(handle))}

    def layer(self, method: str, handler: Handler) -> Handler:
        if method == "tasks/list":
            return self._list(handler)

        async def forward(req: ServerRequest) -> dict[str, Any]:
            entry = self.handles.get(req.params.get("taskId"))  # type: ignore[arg-type]
            if entry is None or entry[0] != task_scope(req):
                return await handler(req)  # one of the front's own tasks, or none
            call = FrontCall(req, self.reader)
            call.task_id = entry[1].id
            with self.routing.running(call), translated(method):
                return await self._serve(method, req, entry[1])

        return forward

    async def _serve(self, method: str, req: ServerRequest, handle: Any) -> dict[str, Any]:
        if req.modern:  # both ends 2026-07-28 (`asks_for_task`): as they are
            params = {k: v for k, v in req.params.items() if k not in ("taskId", "_meta")}
            return await handle.forward(method, params)  # type: ignore[no-any-return]
        if method == "tasks/result":
            result: CallToolResult = await handle.result()
            return result.to_wire()
        if method == "tasks/cancel":
            await handle.cancel()
        return legacy_task(await self._status(handle))

    def _list(self, handler: Handler) -> Handler:
        """2025-11-25 `tasks/list`: the front's own tasks, then those it runs on the target
        for this client (as they are now)."""

        async def merged(req: ServerRequest) -> dict[str, Any]:
            own = await handler(req)
            scope = task_scope(req)
            mine = [h for s, h in self.handles.values() if s == scope]
            with translated("tasks/list"):
                forwarded = [legacy_task(await self._status(h)) for h in mine]
            return {**own, "tasks": [*(own.get("tasks") or []), *forwarded]}

        return merged

    @staticmethod
    async def _status(handle: Any) -> dict[str, Any]:
        return dict((await handle.status()).raw)


def legacy_task(status: dict[str, Any]) -> dict[str, Any]:
    """A task as 2025-11-25 shows it, from either era's wire form."""
    task = {k: v for k, v in status.items() if k not in MODERN_ONLY}
    if "ttlMs" in status:
        task["ttl"] = status["ttlMs"]
    if "pollIntervalMs" in status:
        task["pollInterval"] = status["pollIntervalMs"]
    return task
