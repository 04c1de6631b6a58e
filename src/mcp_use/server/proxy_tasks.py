"""Tasks through a proxy: a front client's task-augmented `tools/call` runs as a task on
the target, and its `tasks/*` requests about that task reach the target's task.

The target is reached with our client's task calls (`ClientSession.start_task`, the
`TaskHandle`), so the target's own era decides the wire (2026-07-28's extension or
2025-11-25's `params.task`, with the client's `ttl`). The front answers in its client's
era. With one era at both ends the answers pass through as they are (2026-07-28: input
requests in `tasks/get`, answers in `tasks/update`; 2025-11-25: the target's questions
come tagged with the task, and `proxy_routing` sends them to the front call about that
task). A 2026-07-28 front over a 2025-11-25 target gets a 2026-07-28 task backed by the
target's (`proxy_task_bridge.py`). A 2025-11-25 front over a
2026-07-28 target sees that era's `Task`; `tasks/result` waits for the end, and the
task's input requests are asked on its stream (or on the session's channel when the
client only polls `tasks/get`), their answers sent to the target as `tasks/update`.
Each task is kept with the scope of the front request that made it (its principal, else
its legacy session): another front client naming its id is answered as for an unknown
task by the front itself. The proxy remembers its last `MAX_TASKS` tasks, in this
process only. What the target says of a task on its own (status notifications,
progress) goes to the owning front client through `proxy_task_news.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol.errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, MCPError
from .proxy_routing import RELATED_TASK, FrontCall, Routing
from .proxy_target import ProxyTarget, own_result, translated
from .proxy_task_bridge import Bridge, modern_task
from .proxy_task_news import TaskNews, legacy_task
from .request import ServerRequest
from .tasks.handlers import declares_extension, task_scope

log = logging.getLogger("mcp_use.server.proxy")
Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
TASK_METHODS = frozenset({"tasks/get", "tasks/update", "tasks/cancel", "tasks/result", "tasks/list"})
MAX_TASKS = 10_000  # remembered per process; the oldest is forgotten first (the target's TTL ends it anyway)


def asks_for_task(req: ServerRequest, target_era: str) -> bool:
    """The front request wants a task (the 2026-07-28 extension declared, or `params.task`)
    that the proxy can carry to this target."""
    if req.modern:
        return declares_extension(req.client_capabilities)
    return isinstance(req.params.get("task"), dict)


class ProxyTasks:
    def __init__(self, target: ProxyTarget, routing: Routing, reader: Any, news: TaskNews) -> None:
        self.target = target
        self.news = news
        self.routing = routing
        self.reader = reader
        self.handles: dict[str, tuple[str, Any]] = {}  # task id -> (front scope, TaskHandle)
        self.bridges: dict[str, Bridge] = {}  # a 2026-07-28 front's tasks on a 2025-11-25 target
        self.relayed: set[tuple[str, str]] = set()  # (task id, input key) asked of the front client
        self._relays: set[asyncio.Future[None]] = set()

    async def start(self, req: ServerRequest, params: dict[str, Any], call: FrontCall) -> dict[str, Any]:
        """Start the call as a task on the target; the front's answer to its `tools/call`."""
        arguments = params.get("arguments")
        meta = params.get("_meta")
        name = params.get("name")
        if not isinstance(name, str):
            raise MCPError(INVALID_PARAMS, "tools/call: name must be a string")
        ttl = _ttl(req)
        session = await self.target.session()
        with self.routing.running(call), translated("tools/call"):
            handle = await session.start_task(
                name,
                arguments if isinstance(arguments, dict) else {},
                meta=meta if isinstance(meta, dict) and meta else None,
                ttl_ms=ttl if session.era == "legacy" else None,
            )
        if handle.answered:
            return own_result(handle.first)
        call.task_id = handle.id
        self.handles[handle.id] = (task_scope(req), handle)
        self.news.own(handle.id, None if req.modern else req.session, req.progress_token)
        if not req.modern and session.era == "modern":  # heard from now on, and as it is now
            await self.news.follow(handle.id)
            await self.news.heard({"method": "notifications/tasks", "params": await self._status(handle)})
        while len(self.handles) > MAX_TASKS:
            forgotten = next(iter(self.handles))
            del self.handles[forgotten]
            self.news.forget(forgotten)
            bridge = self.bridges.pop(forgotten, None)
            if bridge is not None:
                bridge.close()
            self.relayed = {r for r in self.relayed if r[0] != forgotten}
        if req.modern and session.era == "legacy":
            return self._bridge(req, handle)
        if req.modern or session.era == "legacy":  # one era at both ends: as it is
            return own_result(handle.first)
        return {"task": legacy_task(await self._status(handle))}

    def _bridge(self, req: ServerRequest, handle: Any) -> dict[str, Any]:
        """A 2026-07-28 task for the front client, backed by the 2025-11-25 target's."""
        call = FrontCall(req, self.reader)
        call.task_id = handle.id
        bridge = Bridge(handle, call, self.routing, self.news.broadcast)
        self.bridges[handle.id] = bridge
        self.news.owners[handle.id].bridge = bridge
        return {"resultType": "task", **modern_task(dict(handle.first["task"]))}

    async def _bridged(self, method: str, req: ServerRequest, task_id: str) -> dict[str, Any]:
        bridge = self.bridges[task_id]
        if method == "tasks/get":
            return await bridge.status()
        if method == "tasks/update":
            bridge.update(req.params.get("inputResponses"))
            return {}
        if method == "tasks/cancel":
            await bridge.cancel()
            return {}
        raise MCPError(METHOD_NOT_FOUND, f"Method not found: {method} (not a 2026-07-28 task method)")

    def close(self) -> None:
        for bridge in self.bridges.values():
            bridge.close()

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
        target_modern = (await self.target.session()).era == "modern"
        if req.modern and not target_modern:
            return await self._bridged(method, req, handle.id)
        if req.modern == target_modern:  # one era at both ends: as they are
            params = {k: v for k, v in req.params.items() if k not in ("taskId", "_meta")}
            return own_result(await handle.forward(method, params))
        # a 2025-11-25 front over a 2026-07-28 target
        if method == "tasks/result":
            return await self._result(req, handle)
        if method == "tasks/cancel":
            await handle.cancel()
        status = await self._status(handle)
        if req.session is not None and req.session.stream is not None:
            self._relay(req.session, req.session.stream, handle, status)  # a polling client
        return legacy_task(status)

    async def _result(self, req: ServerRequest, handle: Any) -> dict[str, Any]:
        """2025-11-25 `tasks/result` of a 2026-07-28 task: wait for the end, asking the
        task's questions on this request's stream meanwhile."""
        while True:
            status = await self._status(handle)
            state = status.get("status")
            if state == "completed":
                result = dict(status.get("result") or {"content": []})
                result["_meta"] = {**(result.get("_meta") or {}), RELATED_TASK: {"taskId": handle.id}}
                return result
            if state == "failed":
                error = status.get("error")
                raise (
                    MCPError.from_error(error)
                    if isinstance(error, dict)
                    else MCPError(INTERNAL_ERROR, f"Task {handle.id} failed without saying why")
                )
            if state == "cancelled":
                raise MCPError(INVALID_REQUEST, f"Task {handle.id} was cancelled; it has no result")
            if state == "input_required" and req.session is not None:
                self._relay(req.session, req.sink, handle, status)
            poll = status.get("pollIntervalMs")
            await asyncio.sleep(poll / 1000 if isinstance(poll, int) and poll > 0 else 1.0)

    def _relay(self, session: Any, sink: Any, handle: Any, status: dict[str, Any]) -> None:
        """Ask the front client each new input request of the task (a server-to-client
        request tagged with the task, on `sink`); its answer goes to the target's task."""
        requests = status.get("inputRequests")
        if status.get("status") != "input_required" or not isinstance(requests, dict):
            return
        for key, request in requests.items():
            if (handle.id, key) in self.relayed or not isinstance(request, dict):
                continue
            self.relayed.add((handle.id, key))
            relay = asyncio.ensure_future(self._ask(session, sink, handle, key, request))
            self._relays.add(relay)
            relay.add_done_callback(self._relays.discard)

    async def _ask(self, session: Any, sink: Any, handle: Any, key: str, request: dict[str, Any]) -> None:
        params = {**(request.get("params") or {}), "_meta": {RELATED_TASK: {"taskId": handle.id}}}
        try:
            answer = await session.requests().request(
                sink, request.get("method"), params, timeout=self.routing.input_timeout
            )
            with translated("tasks/update"):
                await handle.forward("tasks/update", {"inputResponses": {key: answer}})
        except Exception as exc:  # a relay has no caller: the task stays input_required
            self.relayed.discard((handle.id, key))  # asked again on the next poll
            log.warning("Proxy: could not relay input %s of task %s: %s", key, handle.id, exc)

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


def _ttl(req: ServerRequest) -> int | None:
    """The ttl a 2025-11-25 front's client asked for (a 2026-07-28 target sets its own, and
    the task it answers with says which)."""
    hint = req.params.get("task")
    ttl = hint.get("ttl") if isinstance(hint, dict) else None
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0):
        raise MCPError(INVALID_PARAMS, "params.task.ttl must be a positive integer (milliseconds)")
    return ttl
