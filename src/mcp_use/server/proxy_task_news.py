"""What a proxy's target says about the tasks it runs for the front's clients, passed on
to the front client that owns each task.

A 2025-11-25 target tells the session that made a task of each change with
`notifications/tasks/status`; the proxy's session at the target is that session, so
the proxy passes the notification on to the legacy front session the task belongs to
(the one that asked for it, `ProxyTasks.start`). A task's progress is its status
message: when the front's task-augmented `tools/call` carried a progress token, each
new message also reaches the front client as `notifications/progress` with that token
(2025-11-25 keeps a task call's token alive for the whole task; the proxy's own task
call gives the target no token, so the target's status is the one source).
A 2026-07-28 front client hears a task by naming its id in `taskIds` of its
`subscriptions/listen`; for a task run on a 2026-07-28 target, the proxy names it in
its own listen on the target (`ClientSession.watch_task`) while a front listen wants
it, and the target's `notifications/tasks` go to the front's listeners of that id. The
other mixes are translated: a 2025-11-25 front's task on a 2026-07-28 target is
listened for until it ends and told as `notifications/tasks/status`; a 2026-07-28
front's task on a 2025-11-25 target (`proxy_task_bridge`) is told as
`notifications/tasks`, as its bridge describes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ..protocol.errors import MCPError
from ..protocol.jsonrpc import notification
from .notifications import Listener
from .proxy_target import ProxyTarget, translated

log = logging.getLogger("mcp_use.server.proxy")
TERMINAL = frozenset({"completed", "failed", "cancelled"})
MODERN_ONLY = {"resultType", "ttlMs", "pollIntervalMs", "result", "error", "inputRequests"}


@dataclasses.dataclass
class Owner:
    """The front side of one proxied task: the legacy session that made it (None on
    2026-07-28) and the progress token of its `tools/call`, if it had one."""

    session: Any
    progress_token: Any
    bridge: Any = None  # a 2026-07-28 front's task on a 2025-11-25 target (`proxy_task_bridge`)
    reported: int = 0
    last_message: str | None = None


class TaskNews:
    def __init__(
        self, target: ProxyTarget, broadcast: Callable[[str, dict[str, Any]], Awaitable[None]]
    ) -> None:
        self.target = target
        self.broadcast = broadcast  # the front hub's `task_status` (to listeners of the id)
        self.owners: dict[str, Owner] = {}
        self.watched: Counter[str] = Counter()  # task id -> the front listens naming it
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def own(self, task_id: str, session: Any, progress_token: Any) -> None:
        self.owners[task_id] = Owner(session, progress_token)

    async def follow(self, task_id: str) -> None:
        """A 2025-11-25 front client's task on a 2026-07-28 target: the proxy listens for
        it on the target (until it ends), to tell the client as its era does."""
        await self._change([task_id], +1)

    def forget(self, task_id: str) -> None:
        self.owners.pop(task_id, None)

    # ---- from the target ------------------------------------------------------------
    async def heard(self, message: dict[str, Any]) -> None:
        """A notification of the target (the client's `message_handler`)."""
        method = message.get("method")
        params = message.get("params")
        if not isinstance(params, dict):
            return
        if method == "notifications/tasks/status":
            await self._legacy_status(params)
        elif method == "notifications/tasks":
            task_id = params.get("taskId")
            owner = self.owners.get(task_id) if isinstance(task_id, str) else None
            if owner is None:
                return
            status = {k: v for k, v in params.items() if k != "_meta"}
            if owner.session is not None:  # a 2025-11-25 front client: as that era says it
                await self._legacy_status(legacy_task(status))
                if status.get("status") in TERMINAL:
                    self._later(self._change([str(task_id)], -1))
            else:
                await self.broadcast(str(task_id), status)

    async def _legacy_status(self, params: dict[str, Any]) -> None:
        task_id = params.get("taskId")
        owner = self.owners.get(task_id) if isinstance(task_id, str) else None
        if owner is not None and owner.bridge is not None:  # told as its 2026-07-28 front has it
            await self.broadcast(str(task_id), owner.bridge.describe(params))
        if owner is None or owner.session is None:
            return
        await owner.session.notify(notification("notifications/tasks/status", params))
        message = params.get("statusMessage")
        if owner.progress_token is None or not isinstance(message, str) or message == owner.last_message:
            return
        owner.last_message = message
        owner.reported += 1
        progress = {"progressToken": owner.progress_token, "progress": owner.reported, "message": message}
        await owner.session.notify(notification("notifications/progress", progress))

    # ---- front listens naming tasks (2026-07-28) --------------------------------------
    def observe(self, listener: Listener, opened: bool) -> Awaitable[None] | None:
        """An engine listen observer: the target is asked for news of the proxied tasks a
        new listen names (before its acknowledgment); an ended listen's are let go."""
        ids = [t for t in listener.filter.get("taskIds") or () if isinstance(t, str) and t in self.owners]
        if not ids:
            return None
        if opened:
            return self._change(ids, +1)
        self._later(self._change(ids, -1))
        return None

    def _later(self, change: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(change)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _change(self, ids: list[str], step: int) -> None:
        async with self._lock:
            for task_id in ids:
                before = self.watched[task_id]
                self.watched[task_id] = max(0, before + step)
                if (before == 0) == (self.watched[task_id] == 0):
                    continue  # still wanted (or still not): the target's listen is as it should be
                if not self.watched[task_id]:
                    del self.watched[task_id]
                try:
                    session = await self.target.session()
                    if session.era != "modern":
                        continue  # a 2025-11-25 target tells its session anyway
                    with translated("subscriptions/listen"):
                        await session.watch_task(task_id, watch=step > 0)
                except MCPError as exc:  # the listen stays open; this task's news may not come
                    log.warning("Proxy target %s: could not listen for task %s: %s",
                                self.target.description, task_id, exc)  # fmt: skip


def legacy_task(status: dict[str, Any]) -> dict[str, Any]:
    """A task as 2025-11-25 shows it, from either era's wire form."""
    task = {k: v for k, v in status.items() if k not in MODERN_ONLY}
    if "ttlMs" in status:
        task["ttl"] = status["ttlMs"]
    if "pollIntervalMs" in status:
        task["pollInterval"] = status["pollIntervalMs"]
    return task
