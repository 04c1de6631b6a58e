"""The task runner: starts task bodies, moves their records, cancels them, feeds them input.

Every status change is written to the store before anyone is told of it, so a
`tasks/get` on any process sees what a notification announced. The body of a task is
an asyncio task in the process that created it (the record's `owner`); a cancellation
or an answer that reaches another process is signalled to the owner through the store.
A task whose owner stopped (its heartbeat key expired, see `RedisState`) is turned into
`failed` by whoever reads it next.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ...protocol.errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, MCPError
from ..input_rounds import InputRequired
from ..settings import TaskSettings
from ..state import bus
from ..state.tasks import MemoryTaskStore, Position, TaskStore
from .records import CANCELLED, COMPLETED, FAILED, INPUT_REQUIRED, WORKING, TaskRecord, new_task_id

log = logging.getLogger("mcp_use.server.tasks")
Notify = Callable[["LiveTask"], Awaitable[None]]


class LiveTask:
    """A task whose body runs in this process: its record and what it waits for."""

    def __init__(self, runner: TaskRunner, record: TaskRecord, session: Any = None) -> None:
        self.runner = runner
        self.record = record
        self.session = session  # 2025-11-25: the session that created it
        self.body: asyncio.Future[Any] | None = None
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.counter = 0
        self.changed = asyncio.Event()  # set on every change, for `tasks/result` waiters
        # 2025-11-25: input requests already sent to the client, and the sends in flight.
        self.relayed: set[str] = set()
        self.relays: set[asyncio.Future[None]] = set()
        self.polled = False  # the client has asked about it, so it knows the id

    @property
    def id(self) -> str:
        return self.record.id

    def touch(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def set_message(self, message: str) -> None:
        await self.runner.set_message(self, message)

    async def ask(self, kind: str, request: dict[str, Any], key: str | None) -> dict[str, Any]:
        return await self.runner.ask(self, kind, request, key)


class TaskRunner:
    def __init__(self, settings: TaskSettings, state: Any = None) -> None:
        self.settings = settings
        self.state = state
        self.memory = MemoryTaskStore()
        self.live: dict[str, LiveTask] = {}
        self.notify: Notify | None = None
        shared = getattr(state, "tasks", None)
        if shared is not None:
            shared.decode = TaskRecord.from_dict

    @property
    def store(self) -> TaskStore:
        shared = getattr(self.state, "tasks", None)
        if shared is not None and self.state.ready:
            return shared  # type: ignore[no-any-return]
        return self.memory

    # ---- creating and finishing -----------------------------------------------------
    async def create(
        self, tool: str, *, scope: str, modern: bool, ttl_ms: int | None = None, session: Any = None
    ) -> LiveTask:
        """A new `working` task, stored before this returns (so `tasks/get` finds it at once)."""
        settings = self.settings
        if len(self.live) >= settings.max_live:
            raise MCPError(
                INVALID_REQUEST, f"Too many tasks running ({settings.max_live}); try again when some finish"
            )
        ttl = settings.ttl_ms if ttl_ms is None else max(1000, min(int(ttl_ms), settings.max_ttl_ms))
        store = self.store
        record = TaskRecord(
            id=new_task_id(),
            tool=tool,
            owner=store.token,
            scope=scope,
            ttl_ms=ttl,
            poll_ms=settings.poll_interval_ms,
            modern=modern,
        )
        await store.save(record)
        live = LiveTask(self, record, session)
        self.live[record.id] = live
        return live

    def run(self, live: LiveTask, body: asyncio.Future[Any]) -> None:
        """Watch `body` (the tool's run, already scheduled) and record how it ends."""
        live.body = body
        body.add_done_callback(lambda done: asyncio.ensure_future(self._finish(live, done)))

    async def _finish(self, live: LiveTask, body: asyncio.Future[Any]) -> None:
        self.live.pop(live.id, None)
        record = live.record
        if record.terminal:
            live.touch()
            return  # cancelled (or failed) already; what the body did last does not count
        if body.cancelled():
            record.move(CANCELLED)
        else:
            exc = body.exception()
            if exc is None:
                self._complete(record, body.result())
            elif isinstance(exc, MCPError):
                record.move(FAILED)
                record.error = exc.to_error()
            elif isinstance(exc, InputRequired):
                record.move(FAILED)
                record.error = {"code": INVALID_REQUEST, "message": "The task asked for input it cannot get"}
            else:
                log.error("Task %s (%s) failed", record.id, record.tool, exc_info=exc)
                record.move(FAILED)
                record.error = {"code": INTERNAL_ERROR, "message": f"Internal error: {type(exc).__name__}"}
        await self._changed(live)

    def _complete(self, record: TaskRecord, result: dict[str, Any]) -> None:
        size = len(orjson.dumps(result))
        limit = self.settings.max_result_bytes
        if size > limit:
            record.move(FAILED)
            record.error = {
                "code": INTERNAL_ERROR,
                "message": f"Task result too large to keep: {size} bytes (limit {limit})",
            }
            return
        if record.modern:  # inlined in tasks/get as the 2026-07-28 result it would have been
            result = {**result, "resultType": "complete"}
        record.move(COMPLETED)
        record.result = result

    async def _changed(self, live: LiveTask) -> None:
        try:
            stored = await self.store.save(live.record)
            if not stored:  # another process ended it (cancel, or a dead-owner verdict)
                await self._adopt_final(live)
        finally:
            live.touch()
        if self.notify is not None:
            try:
                await self.notify(live)
            except Exception as exc:  # a dead listener must not break the task
                log.debug("Task status notification failed: %s", exc)

    async def _adopt_final(self, live: LiveTask) -> None:
        final = await self.store.get(live.id)
        if final is not None:
            live.record = final
        if live.body is not None and not live.body.done():
            live.body.cancel()

    # ---- reading --------------------------------------------------------------------
    async def record_of(self, task_id: str) -> TaskRecord | None:
        """The freshest record this process can see: its own live copy, else the store's."""
        live = self.live.get(task_id)
        return live.record if live is not None else await self.store.get(task_id)

    async def get(self, task_id: Any, scope: str) -> TaskRecord:
        """The record, or -32602 for an id this server does not know (or not for this caller)."""
        if not isinstance(task_id, str) or not task_id:
            raise MCPError(INVALID_PARAMS, "params.taskId must be a non-empty string")
        live = self.live.get(task_id)
        record = await self.record_of(task_id)
        if record is None or record.scope != scope:
            raise MCPError(INVALID_PARAMS, f"Unknown task: {task_id}")
        if live is None and not record.terminal and not await self.store.alive(record.owner):
            record.move(FAILED)
            record.error = {
                "code": INTERNAL_ERROR,
                "message": f"The process running this task ({record.owner}) stopped: no heartbeat "
                "within its window, so its work is lost",
            }
            if not await self.store.save(record):  # it ended meanwhile: that ending stands
                record = await self.store.get(task_id) or record
        return record

    async def list(self, scope: str, after: Position | None, limit: int) -> list[TaskRecord]:
        return await self.store.list(scope, after=after, limit=limit)  # type: ignore[return-value]

    # ---- controlling ----------------------------------------------------------------
    async def cancel(self, record: TaskRecord) -> None:
        """Mark a running task cancelled now, and stop its body wherever it runs."""
        if record.terminal:
            return
        live = self.live.get(record.id)
        record.move(CANCELLED)
        if live is not None:
            await self._changed(live)
            if live.body is not None:
                live.body.cancel()
            return
        await self.store.save(record)
        await self.store.signal(record.owner, bus.task_cancel(record.id))

    async def update(self, record: TaskRecord, responses: dict[str, Any]) -> None:
        """Deliver answers to pending input requests; unknown keys are ignored."""
        known = {k: v for k, v in responses.items() if k in record.input_requests}
        if not known or record.terminal:
            return
        for key in known:  # final everywhere first: no other asker, no older save re-adds it
            await self.store.answered(record.id, key, max(1.0, record.expires_at - time.time()))
        live = self.live.get(record.id)
        if live is not None:
            self._answer(live, known)
            await self._changed(live)
            return
        for key in known:
            record.input_requests.pop(key, None)
        if not record.input_requests:
            record.move(WORKING)
        await self.store.save(record)
        await self.store.signal(record.owner, bus.task_input(record.id, known))

    def claim_ttl(self, record: TaskRecord) -> float:
        """How long a claim on one of the task's input requests lasts: the input timeout,
        and never past the task's own life."""
        left = max(1.0, record.expires_at - time.time())
        timeout = self.settings.input_timeout
        return left if timeout is None else min(left, float(timeout))

    def _answer(self, live: LiveTask, answers: dict[str, Any]) -> None:
        record = live.record
        for key, value in answers.items():
            future = live.pending.get(key)
            if future is not None and not future.done():
                future.set_result(value)
            record.input_requests.pop(key, None)
        if record.status == INPUT_REQUIRED and not record.input_requests:
            record.move(WORKING)

    async def on_signal(self, data: dict[str, Any]) -> None:
        """A cancellation or an answer sent here by another process (we own the task)."""
        live = self.live.get(data.get("id"))  # type: ignore[arg-type]
        if live is None:
            return
        if data.get("op") == "cancel":
            if not live.record.terminal:
                live.record.move(CANCELLED)
                await self._changed(live)
            if live.body is not None:
                live.body.cancel()
        elif data.get("op") == "input" and isinstance(data.get("r"), dict):
            self._answer(live, data["r"])
            await self._changed(live)

    # ---- what the running body does ---------------------------------------------------
    async def set_message(self, live: LiveTask, message: str) -> None:
        if live.record.terminal or live.record.message == message:
            return
        live.record.message = message
        await self._changed(live)

    async def ask(
        self, live: LiveTask, kind: str, request: dict[str, Any], key: str | None
    ) -> dict[str, Any]:
        """Park the task in `input_required` with this request until the client answers."""
        if key is None:
            key = f"{kind}-{live.counter}"
            live.counter += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        live.pending[key] = future
        record = live.record
        if record.status != INPUT_REQUIRED:
            record.move(INPUT_REQUIRED)
        record.input_requests[key] = request
        await self.store.reopen(record.id, key)  # a key asked again (same name) is open again
        await self._changed(live)
        try:
            answer = await asyncio.wait_for(future, self.settings.input_timeout)
        finally:
            live.pending.pop(key, None)
            if not future.done() or future.cancelled():
                record.input_requests.pop(key, None)  # timed out or cancelled: no longer asked
        if not isinstance(answer, dict):
            raise MCPError(INVALID_PARAMS, f"inputResponses[{key!r}] must be an object")
        return answer
