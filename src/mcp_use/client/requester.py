"""The wire to one server: requests out, answers and server messages in.

`Requester` is the `Receiver` its transport feeds. It gives each request an id and a
deadline (the shared `Correlator`), adds the 2026-07-28 `_meta` (version, client
capabilities, client info, log level) once the era is modern, turns correlator
failures into the client's typed errors, answers input-required results by asking the
user's callbacks and resending (`rounds()`), and answers legacy server-to-client
requests. Plain dicts throughout: typed results are the session's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping
from functools import partial
from typing import Any

from ..protocol import jsonrpc
from ..protocol.correlator import Correlator, ProgressCallback, RequestTimeout
from ..protocol.errors import INTERNAL_ERROR, MCPError
from ..protocol.versions import (
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
)
from .errors import ClientError, RequestTimedOut, ServerDisconnected, ServerError
from .inbound import INPUT_KEY, Inbound
from .transports.base import ClientTransport

log = logging.getLogger("mcp_use.client")
MAX_INPUT_ROUNDS = 16


class Requester:
    def __init__(
        self, name: str, transport: ClientTransport, inbound: Inbound, *, timeout: float | None
    ) -> None:
        self.name = name
        self.inbound = inbound
        self.timeout = timeout
        self.transport = transport
        self.correlator = Correlator(default_timeout=timeout)
        self.modern = False
        self.meta: dict[str, Any] = {}
        self.log_level: str | None = None
        self.connected = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        transport.bind(self)

    # ---- the era's envelope -------------------------------------------------------------
    def attach(self, transport: ClientTransport) -> None:
        """Talk through another transport from now on (the legacy SSE fallback)."""
        self.transport = transport
        self.correlator = Correlator(default_timeout=self.timeout)
        transport.bind(self)

    def use_modern(self, version: str, client_info: Mapping[str, Any]) -> None:
        self.modern = True
        self.transport.protocol_version = version
        meta: dict[str, Any] = {
            META_PROTOCOL_VERSION: version,
            META_CLIENT_CAPABILITIES: self.inbound.capabilities,
            META_CLIENT_INFO: dict(client_info),
        }
        if self.log_level is not None:
            meta[META_LOG_LEVEL] = self.log_level
        self.meta = meta

    def use_legacy(self, version: str | None = None) -> None:
        self.modern = False
        self.meta = {}
        self.transport.protocol_version = version

    def set_log_level(self, level: str) -> None:
        """2026-07-28 has no `logging/setLevel`: the level rides in every request's `_meta`."""
        self.log_level = level
        self.meta = {**self.meta, META_LOG_LEVEL: level}

    def with_meta(self, params: dict[str, Any] | None) -> dict[str, Any]:
        if params is None:
            return {"_meta": self.meta}
        params = dict(params)
        meta = params.get("_meta")
        params["_meta"] = {**self.meta, **meta} if isinstance(meta, dict) else self.meta
        return params

    # ---- sending ------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | Any | None = ...,
        progress_callback: ProgressCallback | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request and return its raw result dict, or raise a typed client error.

        Errors name the server, the method and what it was about (`tools/call 'name'`).
        """
        sent = params
        if self.modern:
            sent = self.with_meta(params)
        send = self.transport.call if headers is None else partial(self.transport.call, headers=headers)
        try:
            return await self.correlator.request(
                send,
                method,
                sent,
                timeout=timeout,
                on_progress=progress_callback,
                on_cancel=self._on_cancel,
            )
        except ServerError as exc:  # from the transport (an HTTP error body): add the method
            if exc.method is not None:
                raise
            raise ServerError.wrap(self.name, exc, method, _subject(method, params)) from None
        except ClientError:
            raise
        except RequestTimeout as exc:
            raise RequestTimedOut(self.name, method, exc.timeout, _subject(method, params)) from None
        except MCPError as exc:
            raise ServerError.wrap(self.name, exc, method, _subject(method, params)) from None

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        if self.modern:
            params = self.with_meta(params)
        await self.transport.send(jsonrpc.notification(method, params))

    async def quiet_notify(self, method: str, params: dict[str, Any]) -> None:
        """A best-effort notification (a cancellation): never raises, never waits long."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.notify(method, params), 5.0)

    async def _on_cancel(self, request_id: jsonrpc.RequestId, reason: str) -> None:
        self.transport.cancel(request_id)
        if self.modern and self.transport.uses_headers:
            return  # on 2026-07-28 HTTP, closing the response stream is the cancellation
        self.spawn(self.quiet_notify("notifications/cancelled", {"requestId": request_id, "reason": reason}))

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def rounds(
        self,
        method: str,
        params: dict[str, Any],
        *,
        timeout: Any = ...,
        progress_callback: ProgressCallback | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A request that may come back input-required (2026-07-28): answer and resend."""
        result = await self.request(
            method, params, timeout=timeout, progress_callback=progress_callback, headers=headers
        )
        if result.get("resultType") != "input_required":
            return result
        kw: dict[str, Any] = {"timeout": timeout, "progress_callback": progress_callback, "headers": headers}
        rounds = 0
        while result.get("resultType") == "input_required":
            rounds += 1
            if rounds > MAX_INPUT_ROUNDS:
                raise ClientError(self.name, f"{method} still needs input after {MAX_INPUT_ROUNDS} rounds")
            asked = result.get("inputRequests")
            asked = asked if isinstance(asked, dict) else {}
            keys = list(asked)
            answers = await asyncio.gather(*(self._input_for(asked[k], k) for k in keys))
            params = {k: v for k, v in params.items() if k not in ("inputResponses", "requestState")}
            params["inputResponses"] = dict(zip(keys, answers, strict=True))
            if "requestState" in result:
                params["requestState"] = result["requestState"]
            result = await self.request(method, params, **kw)
        return result

    async def _input_for(self, request: Any, key: str | None = None) -> dict[str, Any]:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            raise ClientError(self.name, f"the server sent a malformed input request: {request!r}")
        params = request.get("params")
        token = INPUT_KEY.set(key)
        try:
            return await self.inbound.answer(request["method"], params if isinstance(params, dict) else {})
        finally:
            INPUT_KEY.reset(token)

    # ---- the Receiver interface (called by the transport) ------------------------------
    async def feed(self, message: jsonrpc.Message) -> None:
        method = message.get("method")
        if method is None:
            self.settle(message)
            return
        if "id" in message:
            self.spawn(self._serve(message))
            return
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        try:
            if method == "notifications/progress":
                await self.correlator.progress(params)
            await self.inbound.notification(method, params, message)
        except Exception:
            log.exception("[%s] a notification callback failed on %s", self.name, method)

    def settle(self, message: jsonrpc.Message) -> None:
        if not self.correlator.resolve(message):
            log.debug("[%s] dropped a response nobody waits for: %r", self.name, message.get("id"))

    def fail(self, request_id: jsonrpc.RequestId, error: MCPError) -> None:
        self.correlator.fail(request_id, error)

    def closed(self, error: MCPError) -> None:
        if self._closed:
            return
        self.connected = False
        log.warning("%s", error.message)
        self.correlator.fail_all(error)

    async def _serve(self, message: jsonrpc.Message) -> None:
        """Answer a server-to-client request (legacy era) by sending the response back."""
        rid = message["id"]
        params = message.get("params")
        try:
            result = await self.inbound.answer(message["method"], params if isinstance(params, dict) else {})
            response = jsonrpc.result(rid, result)
        except MCPError as exc:
            response = jsonrpc.error_from(rid, exc)
        except Exception as exc:
            log.exception("[%s] callback for %s failed", self.name, message["method"])
            response = jsonrpc.error(rid, INTERNAL_ERROR, f"Client callback failed: {exc}")
        try:
            await self.transport.send(response)
        except Exception as exc:
            log.warning("[%s] could not answer %s: %s", self.name, message["method"], exc)

    # ---- closing ------------------------------------------------------------------------
    def abandon(self, reason: str) -> None:
        """Fail whatever is pending (a connect that gave up)."""
        self.correlator.fail_all(ServerDisconnected(self.name, reason))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.connected = False
        self.correlator.fail_all(ServerDisconnected(self.name, "the session was closed"))
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.transport.close()


_SUBJECT = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def _subject(method: str, params: Mapping[str, Any] | None) -> str | None:
    """What a request is about, for its errors: the tool or prompt name, the resource URI."""
    field = _SUBJECT.get(method)
    value = params.get(field) if field is not None and params else None
    return value if isinstance(value, str) else None


__all__ = ["MAX_INPUT_ROUNDS", "Requester"]
