"""Tasks on the wire, for both eras: which calls become tasks, and the `tasks/*` methods.

2026-07-28 (SEP-2663, the `io.modelcontextprotocol/tasks` extension): the server
decides; a call becomes a task when the tool supports it and the request declares the
extension in its `_meta` client capabilities. The answer is a flat `CreateTaskResult`;
`tasks/get` inlines the result, error or input requests by status; `tasks/update`
carries answers; `tasks/cancel` is an idempotent empty ack. Without the extension the
`tasks/*` methods are -32021, and a `task="required"` tool is -32021 too.

2025-11-25 (the spec's experimental `tasks`): the client asks with `params.task`;
`tasks/get`, `tasks/result` (waits, and carries the task's input requests to the
client as server-to-client requests), `tasks/list`, `tasks/cancel`, and
`notifications/tasks/status` to the session that created the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from ...protocol import jsonrpc
from ...protocol.errors import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    MCPError,
)
from ..request import ServerRequest
from ..settings import TaskSettings
from ..state import bus
from . import cursor
from .records import RELATED_TASK_META, TaskRecord
from .runner import LiveTask, TaskRunner

log = logging.getLogger("mcp_use.server.tasks")
TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
RunTool = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
Listeners = Callable[[str, dict[str, Any]], Awaitable[None]]


async def _discard(message: jsonrpc.Message) -> None:
    return None


def declares_extension(capabilities: Any) -> bool:
    extensions = capabilities.get("extensions") if isinstance(capabilities, dict) else None
    return isinstance(extensions, dict) and TASKS_EXTENSION in extensions


def _needs_extension(what: str) -> MCPError:
    return MCPError(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        f"{what} needs the client capability extension '{TASKS_EXTENSION}', which the request "
        "did not declare in _meta clientCapabilities.extensions",
        {"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}},
    )


class TaskHandlers:
    """Built once by the engine: `listeners` delivers a 2026-07-28 task's status to the
    `subscriptions/listen` streams that asked for it (the hub's `task_status`)."""

    def __init__(self, settings: TaskSettings, state: Any = None, listeners: Listeners | None = None) -> None:
        self.runner = TaskRunner(settings, state)
        self.runner.notify = self._notify
        self.listeners = listeners
        # 2025-11-25: input requests of other processes' tasks sent on GET streams held here.
        self._streamed = _RemoteRelays()
        self._releases: set[asyncio.Future[None]] = set()  # claims given back after a failed ask

    async def on_bus(self, data: bus.BusMessage) -> None:
        """A `task` message from another process (`state.bus`): a task's new status (for
        our listeners), or a cancellation or answers for a task we run."""
        if data.get("op") == "status":
            if self.listeners is not None and isinstance(data.get("p"), dict):
                await self.listeners(str(data.get("id")), data["p"])
            return
        await self.runner.on_signal(data)

    def methods(self, *, modern: bool) -> dict[str, Handler]:
        if modern:  # tasks/result and tasks/list are gone on this era: -32601
            return {"tasks/get": self._get, "tasks/update": self._update, "tasks/cancel": self._cancel}
        return {
            "tasks/get": self._legacy_get,
            "tasks/result": self._legacy_result,
            "tasks/list": self._legacy_list,
            "tasks/cancel": self._legacy_cancel,
        }

    def advertise(self, caps: dict[str, Any], *, modern: bool) -> None:
        if modern:
            caps.setdefault("extensions", {})[TASKS_EXTENSION] = {}
        else:
            caps["tasks"] = {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}

    # ---- tools/call -----------------------------------------------------------------
    async def call(
        self, req: ServerRequest, tool: Any, kwargs: dict[str, Any], run: RunTool
    ) -> dict[str, Any]:
        """Run a task-capable tool: as a task when the client takes one, else as a plain call."""
        ttl = None
        if req.modern:
            asked = declares_extension(req.client_capabilities)
        else:
            hint = req.params.get("task")
            asked = isinstance(hint, dict)
            ttl = hint.get("ttl") if asked else None  # type: ignore[union-attr]
            if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0):
                raise MCPError(INVALID_PARAMS, "params.task.ttl must be a positive integer (milliseconds)")
        if not asked:
            if tool.task == "required":
                if req.modern:
                    raise _needs_extension(f"Tool '{tool.name}' runs only as a task; it")
                raise MCPError(METHOD_NOT_FOUND, f"Tool '{tool.name}' must be called as a task (params.task)")
            return await run(kwargs)
        if tool.task_start == "manual":
            return await self._manual(req, tool, kwargs, run, ttl)
        live = await self._create(req, tool, ttl)
        self.runner.run(live, asyncio.ensure_future(run(kwargs)))
        return self._created(live.record)

    async def _create(self, req: ServerRequest, tool: Any, ttl: int | None) -> LiveTask:
        live = await self.runner.create(
            tool.name, scope=task_scope(req), modern=req.modern, ttl_ms=ttl, session=req.session
        )
        req.task = live
        req.start_task = None
        if req.modern or req.session is None:
            req.sink = _discard  # the call's stream is answered; status goes through the record
        else:
            req.sink = _session_sink(req.session, live.id)
        return live

    async def _manual(
        self, req: ServerRequest, tool: Any, kwargs: dict[str, Any], run: RunTool, ttl: int | None
    ) -> dict[str, Any]:
        """`task_start="manual"`: the call runs until the function awaits `ctx.start_task()`."""
        started: asyncio.Future[LiveTask] = asyncio.get_running_loop().create_future()

        async def start() -> None:
            if not started.done():
                started.set_result(await self._create(req, tool, ttl))

        req.start_task = start
        body = asyncio.ensure_future(run(kwargs))
        try:
            await asyncio.wait({body, started}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if not started.done():
                body.cancel()
            raise
        if not started.done():
            req.start_task = None
            return body.result()  # answered without becoming a task (or asked for input)
        live = started.result()
        self.runner.run(live, body)
        return self._created(live.record)

    @staticmethod
    def _created(record: TaskRecord) -> dict[str, Any]:
        if record.modern:
            return {"resultType": "task", **record.modern_wire(detailed=False)}
        return {"task": record.legacy_wire()}

    async def visible_only(self, req: ServerRequest, agreed: dict[str, Any]) -> dict[str, Any]:
        """A listen's `taskIds` without the tasks of another caller: a listen must not hear
        what `tasks/get` would refuse. An id this server holds no record of stays (a task a
        proxy forwards lives on its target), as it can only hear what is sent for it."""
        ids = agreed.get("taskIds")
        if not ids:
            return agreed
        scope, kept = task_scope(req), []
        for task_id in ids:
            record = await self.runner.record_of(task_id)
            if record is None or record.scope == scope:
                kept.append(task_id)
        return {**agreed, "taskIds": kept}

    # ---- 2026-07-28 -----------------------------------------------------------------
    async def _record(self, req: ServerRequest, method: str) -> TaskRecord:
        if req.modern and not declares_extension(req.client_capabilities):
            raise _needs_extension(method)
        return await self.runner.get(req.params.get("taskId"), task_scope(req))

    async def _get(self, req: ServerRequest) -> dict[str, Any]:
        record = await self._record(req, "tasks/get")
        return record.modern_wire(detailed=True)

    async def _update(self, req: ServerRequest) -> dict[str, Any]:
        record = await self._record(req, "tasks/update")
        responses = req.params.get("inputResponses")
        if not isinstance(responses, dict) or not all(isinstance(v, dict) for v in responses.values()):
            raise MCPError(INVALID_PARAMS, "tasks/update: inputResponses must map request keys to objects")
        await self.runner.update(record, responses)
        return {}

    async def _cancel(self, req: ServerRequest) -> dict[str, Any]:
        record = await self._record(req, "tasks/cancel")
        await self.runner.cancel(record)  # a terminal task: the same empty ack
        return {}

    # ---- 2025-11-25 -----------------------------------------------------------------
    async def _legacy_get(self, req: ServerRequest) -> dict[str, Any]:
        record = await self._record(req, "tasks/get")
        live = self.runner.live.get(record.id)
        if live is not None and live.session is not None:
            live.polled = True
            if live.session.stream is not None:
                self._relay_input(live, live.session, live.session.stream)
        elif (
            live is None
            and record.input_requests
            and req.session is not None
            and req.session.stream is not None
        ):
            # Run by another process, and the session's GET stream is here: ask from here.
            self._relay_remote(record, req.session, req.session.stream, self._streamed)
        return record.legacy_wire()

    async def _legacy_list(self, req: ServerRequest) -> dict[str, Any]:
        """One page of the caller's tasks, soonest to expire first (creation order under
        one TTL); `nextCursor` when more follow."""
        size = max(1, self.runner.settings.list_page_size)
        after = cursor.decode(req.params.get("cursor"))
        records = await self.runner.list(task_scope(req), after, size + 1)
        page: dict[str, Any] = {"tasks": [r.legacy_wire() for r in records[:size]]}
        if len(records) > size:
            page["nextCursor"] = cursor.encode(records[size - 1])
        return page

    async def _legacy_cancel(self, req: ServerRequest) -> dict[str, Any]:
        record = await self._record(req, "tasks/cancel")
        if record.terminal:
            raise MCPError(INVALID_PARAMS, f"Cannot cancel task {record.id}: it is already {record.status}")
        await self.runner.cancel(record)
        return record.legacy_wire()

    async def _legacy_result(self, req: ServerRequest) -> dict[str, Any]:
        """Wait for the end; meanwhile carry the task's input requests to the client, also
        for a task another process runs (its requests are read from the shared record)."""
        record = await self._record(req, "tasks/result")
        remote = _RemoteRelays()  # this call's sends for a task run elsewhere
        try:
            while not record.terminal:
                live = self.runner.live.get(record.id)
                if live is None:  # runs in another process: poll the store
                    if req.session is not None:
                        self._relay_remote(record, req.session, req.sink, remote)
                    await asyncio.sleep(record.poll_ms / 1000)
                    record = await self.runner.get(record.id, record.scope)
                    continue
                changed = live.changed
                if req.session is not None:
                    self._relay_input(live, req.session, req.sink)
                await changed.wait()
                record = live.record
        finally:
            remote.cancel()
        return _final(record)

    def _relay_remote(self, record: TaskRecord, session: Any, sink: Any, remote: _RemoteRelays) -> None:
        """Send the input requests of a task run by another process to the client from this
        one (on `sink`); an answer goes to the owner as a `tasks/update` from here would."""
        for key, request in list(record.input_requests.items()):
            if remote.claim(record.id, key):
                remote.keep(
                    record.id,
                    key,
                    asyncio.ensure_future(self._relay_for(session, sink, record, key, request)),
                )

    async def _relay_for(
        self, session: Any, sink: Any, record: TaskRecord, key: str, request: dict[str, Any]
    ) -> None:
        try:
            answer = await self._ask_once(session, sink, record, key, request)
            if answer is None:
                return  # asked elsewhere, or answered already
            fresh = await self.runner.get(record.id, record.scope)  # the owner moved it meanwhile
            await self.runner.update(fresh, {key: answer})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client refused or went away: the task's own wait decides
            log.info("Input for task %s (%s) relayed from here got no answer: %s", record.id, key, exc)

    def _relay_input(self, live: LiveTask, session: Any, sink: Any) -> None:
        """Send the task's new input requests to the client as server-to-client requests
        (tagged with the task), on `sink`: the `tasks/result` stream or the session's own
        stream; the answers go to the task as `tasks/update` answers would."""
        record = live.record
        for key, request in list(record.input_requests.items()):
            if key in live.relayed:
                continue
            live.relayed.add(key)
            relay = asyncio.ensure_future(self._relay(live, session, sink, key, request))
            live.relays.add(relay)
            relay.add_done_callback(live.relays.discard)

    async def _relay(
        self, live: LiveTask, session: Any, sink: Any, key: str, request: dict[str, Any]
    ) -> None:
        record = live.record
        answer = await self._ask_once(session, sink, record, key, request, timeout=None)
        if answer is None:
            live.relayed.discard(key)  # another stream asks it: if that one fails, ask again
            return
        await self.runner.update(record, {key: answer})

    async def _ask_once(
        self,
        session: Any,
        sink: Any,
        record: TaskRecord,
        key: str,
        request: dict[str, Any],
        timeout: Any = ...,
    ) -> dict[str, Any] | None:
        """Ask input `key` of the client on `sink` if no other stream (here or on another
        process) is asking it and it is not answered: a claim in the task store; None
        when the claim went elsewhere. A failed ask gives the claim back."""
        store = self.runner.store
        holder = f"{store.token}:{secrets.token_hex(4)}"
        if not await store.claim(record.id, key, holder, self.runner.claim_ttl(record)):
            return None
        if timeout is ...:
            timeout = self.runner.settings.input_timeout
        params = {**request.get("params", {}), "_meta": {RELATED_TASK_META: {"taskId": record.id}}}
        try:
            return await session.requests().request(sink, request["method"], params, timeout=timeout)  # type: ignore[no-any-return]
        except BaseException:
            release = asyncio.ensure_future(store.release(record.id, key, holder))
            self._releases.add(release)
            release.add_done_callback(self._releases.discard)
            raise

    async def on_ask(self, task_id: str, session: Any) -> None:
        """The owner of a 2025-11-25 task says it waits for input, and this process holds
        its session's GET stream: ask there (once, by claim)."""
        record = await self.runner.store.get(task_id)
        if record is None or record.terminal or not record.input_requests:
            return
        self._relay_remote(record, session, session.stream, self._streamed)  # type: ignore[arg-type]

    # ---- status notifications -------------------------------------------------------
    async def _notify(self, live: LiveTask) -> None:
        record = live.record
        if record.modern:
            params = record.modern_wire(detailed=True)
            if self.listeners is not None:
                await self.listeners(record.id, params)
            state = self.runner.state
            if state is not None and getattr(state, "ready", False):  # listeners on other processes
                await state.broadcast(bus.task_status(record.id, params))
        elif live.session is not None:
            session = live.session
            await session.notify(jsonrpc.notification("notifications/tasks/status", record.legacy_wire()))
            if record.terminal:
                for relay in list(live.relays):
                    relay.cancel()
            elif session.stream is not None and live.polled:
                # A client that listens (and knows this task: it polled it) needs no
                # tasks/result call to see the task's input requests.
                self._relay_input(live, session, session.stream)
            elif record.input_requests and session.stream is None:
                await self._ask_elsewhere(session, record)

    async def _ask_elsewhere(self, session: Any, record: TaskRecord) -> None:
        """The session's GET stream may be held by another process: ask it to send the
        input requests there (the claims keep each asked once)."""
        state = self.runner.state
        if state is not None and getattr(state, "ready", False) and session.id is not None:
            await state.broadcast(bus.task_ask(session.id, record.id))


class _RemoteRelays:
    """Input requests of tasks run elsewhere that this process is asking the client, by
    (task, key), so each is sent once from here while it is in flight."""

    __slots__ = ("_sends",)

    def __init__(self) -> None:
        self._sends: dict[tuple[str, str], asyncio.Future[None] | None] = {}

    def claim(self, task_id: str, key: str) -> bool:
        if (task_id, key) in self._sends:
            return False
        self._sends[(task_id, key)] = None
        return True

    def keep(self, task_id: str, key: str, send: asyncio.Future[None]) -> None:
        self._sends[(task_id, key)] = send
        send.add_done_callback(lambda _: self._sends.pop((task_id, key), None))

    def cancel(self) -> None:
        for send in list(self._sends.values()):
            if send is not None:
                send.cancel()


def _final(record: TaskRecord) -> dict[str, Any]:
    if record.status == "completed" and record.result is not None:
        result = dict(record.result)
        result["_meta"] = {**(result.get("_meta") or {}), RELATED_TASK_META: {"taskId": record.id}}
        return result
    if record.status == "failed" and record.error is not None:
        raise MCPError.from_error(record.error)
    raise MCPError(INVALID_REQUEST, f"Task {record.id} was {record.status}; it has no result")


def task_scope(req: ServerRequest) -> str:
    """Who may see a task: the authenticated principal; else the legacy session; else anyone
    holding its (unguessable) id."""
    token = req.access_token
    principal = getattr(token, "subject", None) or getattr(token, "client_id", None)
    if principal:
        return f"p:{principal}"
    if not req.modern and req.session is not None and req.session.id:
        return f"s:{req.session.id}"
    return ""


def _session_sink(session: Any, task_id: str) -> Callable[[jsonrpc.Message], Awaitable[None]]:
    """Where a 2025-11-25 task's logs and progress go once its call is answered."""

    async def sink(message: jsonrpc.Message) -> None:
        with contextlib.suppress(Exception):
            params = message.get("params")
            if isinstance(params, dict):
                meta = params.setdefault("_meta", {})
                meta[RELATED_TASK_META] = {"taskId": task_id}
            await session.notify(message)

    return sink
