"""Streamable HTTP on httpx: one POST per message, answered as JSON or an SSE stream.

A request's POST runs in its own task so the caller's deadline (kept by the
correlator) covers the whole wait, and an HTTP error, malformed body or dropped
connection settles that request at once through `Receiver.fail()`. On the legacy era
the transport keeps the session id, opens the standalone GET stream, resumes a broken
response stream with `Last-Event-ID` after the server's `retry` delay, and sends
DELETE on close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import httpx
from httpx_sse import EventSource

from ...protocol import jsonrpc
from ...protocol.errors import MCPError
from ...protocol.headers import encode_value
from ..errors import HTTPStatusError, ServerDisconnected, ServerError, TransportError
from .base import Transport

log = logging.getLogger("mcp_use.client.http")
ACCEPT = "application/json, text/event-stream"
NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
MAX_RESUMES = 5
DEFAULT_RETRY_S = 1.0


class StreamableHTTPTransport(Transport):
    uses_headers = True

    def __init__(
        self,
        server: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(server)
        self.url = url
        self.headers = dict(headers or {})
        self.session_id: str | None = None
        self.connect_timeout = connect_timeout
        self._client = client
        self._own_client = client is None
        self._inflight: dict[jsonrpc.RequestId, asyncio.Task[None]] = {}
        self._get_task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def description(self) -> str:
        return self.url

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                headers=self.headers,
                timeout=httpx.Timeout(30.0, connect=self.connect_timeout, read=None),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )

    # ---- sending ----------------------------------------------------------------------
    def _headers(self, message: jsonrpc.Message, extra: Mapping[str, str] | None) -> dict[str, str]:
        h = {"content-type": "application/json", "accept": ACCEPT}
        if self.protocol_version:
            h["mcp-protocol-version"] = self.protocol_version
        if self.session_id:
            h["mcp-session-id"] = self.session_id
        method = message.get("method")
        if method is not None:
            h["mcp-method"] = method
            field = NAMED.get(method)
            if field is not None:
                params = message.get("params")
                value = params.get(field) if isinstance(params, dict) else None
                if isinstance(value, str):
                    h["mcp-name"] = encode_value(value)
        if extra:
            h.update(extra)
        return h

    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        if self._closed or self._client is None:
            raise ServerDisconnected(self.server, "the HTTP transport is closed")
        body = jsonrpc.dumps(message)
        h = self._headers(message, headers)
        if "method" in message and "id" in message:
            rid = message["id"]
            task = asyncio.get_running_loop().create_task(self._post_request(rid, message["method"], body, h))
            self._inflight[rid] = task
            task.add_done_callback(lambda _t, rid=rid: self._inflight.pop(rid, None))
            return
        await self._post_other(message, body, h)

    async def _post_other(self, message: jsonrpc.Message, body: bytes, headers: dict[str, str]) -> None:
        """A notification or our answer to a server request: expect 202 Accepted."""
        what = message.get("method") or f"response to {message.get('id')!r}"
        try:
            response = await self._client.post(self.url, content=body, headers=headers)  # type: ignore[union-attr]
        except httpx.HTTPError as exc:
            raise ServerDisconnected(self.server, f"POST {what} to {self.url} failed: {exc!r}") from None
        if response.status_code >= 400:
            log.warning(
                "[%s] %s answered HTTP %s: %.200s", self.server, what, response.status_code, response.text
            )
            return
        # A server may answer a response with a stream of further messages; read them.
        if response.headers.get("content-type", "").startswith("application/json") and response.content:
            with contextlib.suppress(MCPError):
                await self._deliver(jsonrpc.loads(response.content))

    async def _post_request(
        self, rid: jsonrpc.RequestId, method: str, body: bytes, headers: dict[str, str]
    ) -> None:
        receiver = self.receiver
        assert receiver is not None and self._client is not None
        try:
            async with self._client.stream("POST", self.url, content=body, headers=headers) as response:
                await self._response(rid, method, response)
        except asyncio.CancelledError:
            raise
        except MCPError as exc:
            receiver.fail(rid, exc)
        except httpx.TimeoutException as exc:
            receiver.fail(
                rid, TransportError(self.server, f"{method}: HTTP timeout talking to {self.url} ({exc!r})")
            )
        except httpx.HTTPError as exc:
            receiver.fail(
                rid,
                ServerDisconnected(self.server, f"connection to {self.url} lost during {method}: {exc!r}"),
            )
        except Exception as exc:  # never leave a caller waiting on a bug
            log.exception("[%s] unexpected error in %s", self.server, method)
            receiver.fail(rid, TransportError(self.server, f"{method} failed: {exc!r}"))

    async def _response(self, rid: jsonrpc.RequestId, method: str, response: httpx.Response) -> None:
        receiver = self.receiver
        assert receiver is not None
        session_id = response.headers.get("mcp-session-id")
        if session_id and method == "initialize":
            self.session_id = session_id
        status = response.status_code
        ctype = response.headers.get("content-type", "")
        if status >= 400 or status == 202 or status == 204:
            raw = await response.aread()
            receiver.fail(rid, self._http_error(rid, method, status, raw))
            return
        if ctype.startswith("text/event-stream"):
            await self._stream(rid, method, response)
            return
        raw = await response.aread()
        try:
            message = jsonrpc.loads(raw)
        except MCPError:
            raise TransportError(
                self.server, f"malformed JSON in the answer to {method} (HTTP {status}): {raw[:200]!r}"
            ) from None
        if not await self._deliver(message, rid):
            raise TransportError(
                self.server, f"the HTTP answer to {method} held no response to request {rid!r}"
            )

    def _http_error(self, rid: jsonrpc.RequestId, method: str, status: int, raw: bytes) -> MCPError:
        """A JSON-RPC error body becomes a `ServerError` (with the status); anything else an HTTP error."""
        try:
            message = jsonrpc.loads(raw) if raw else None
        except MCPError:
            message = None
        if isinstance(message, dict) and isinstance(message.get("error"), dict):
            error = ServerError.wrap(self.server, MCPError.from_error(message["error"]))
            error.http_status = status
            return error
        if status < 400:
            return TransportError(
                self.server, f"HTTP {status} with no response for {method}", http_status=status
            )
        return HTTPStatusError(self.server, status, raw.decode("utf-8", "replace"), f"{method} at {self.url}")

    async def _deliver(self, message: Any, rid: jsonrpc.RequestId | None = None) -> bool:
        """Feed a decoded body to the receiver; True when it answered `rid`."""
        receiver = self.receiver
        assert receiver is not None
        answered = False
        for item in message if isinstance(message, list) else (message,):
            if not isinstance(item, dict):
                continue
            if rid is not None and "method" not in item and item.get("id") == rid:
                answered = True
            await receiver.feed(item)
        return answered

    async def _stream(self, rid: jsonrpc.RequestId, method: str, response: httpx.Response) -> None:
        """Read a POST's SSE answer; resume with GET + Last-Event-ID if it ends early."""
        state = _StreamState()
        if await self._read_events(rid, method, response, state):
            return
        for _ in range(MAX_RESUMES):
            if state.last_id is None or self.session_id is None:
                break
            await asyncio.sleep(state.retry_s)
            headers = self._get_headers(state.last_id)
            async with self._client.stream("GET", self.url, headers=headers) as resumed:  # type: ignore[union-attr]
                if resumed.status_code != 200:
                    raw = await resumed.aread()
                    raise self._http_error(rid, f"{method} (resuming)", resumed.status_code, raw)
                if await self._read_events(rid, method, resumed, state):
                    return
        raise TransportError(self.server, f"the response stream for {method} ended before its answer")

    async def _read_events(
        self, rid: jsonrpc.RequestId, method: str, response: httpx.Response, state: _StreamState
    ) -> bool:
        async for event in EventSource(response).aiter_sse():
            if event.id:
                state.last_id = event.id
            if event.retry is not None:
                state.retry_s = event.retry / 1000.0
            data = event.data
            if not data:
                continue
            try:
                message = jsonrpc.loads(data)
            except MCPError:
                raise TransportError(
                    self.server, f"malformed JSON in the event stream answering {method}: {data[:200]!r}"
                ) from None
            if await self._deliver(message, rid):
                return True
        return False

    def _get_headers(self, last_event_id: str | None = None) -> dict[str, str]:
        h = {"accept": "text/event-stream"}
        if self.protocol_version:
            h["mcp-protocol-version"] = self.protocol_version
        if self.session_id:
            h["mcp-session-id"] = self.session_id
        if last_event_id:
            h["last-event-id"] = last_event_id
        return h

    def cancel(self, request_id: jsonrpc.RequestId) -> None:
        task = self._inflight.pop(request_id, None)
        if task is not None:
            task.cancel()

    # ---- the legacy standalone GET stream ---------------------------------------------
    def on_initialized(self) -> None:
        if self._get_task is None and not self._closed:
            self._get_task = asyncio.get_running_loop().create_task(self._get_stream())

    async def _get_stream(self) -> None:
        """Server-initiated messages outside any request; reconnects honouring `retry`."""
        state = _StreamState()
        failures = 0
        while not self._closed and failures < 3:
            try:
                async with self._client.stream(  # type: ignore[union-attr]
                    "GET", self.url, headers=self._get_headers(state.last_id)
                ) as response:
                    if response.status_code != 200:
                        return  # 405: the server has no GET stream; that is allowed
                    failures = 0
                    async for event in EventSource(response).aiter_sse():
                        if event.id:
                            state.last_id = event.id
                        if event.retry is not None:
                            state.retry_s = event.retry / 1000.0
                        if event.data:
                            with contextlib.suppress(MCPError):
                                await self._deliver(jsonrpc.loads(event.data))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.debug("[%s] GET stream dropped: %r", self.server, exc)
            await asyncio.sleep(state.retry_s)

    # ---- closing ----------------------------------------------------------------------
    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = [*self._inflight.values(), *([self._get_task] if self._get_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._inflight.clear()
        client = self._client
        if client is not None and self.session_id:
            with contextlib.suppress(Exception):
                await client.delete(self.url, headers=self._get_headers(), timeout=2.0)
        if client is not None and self._own_client:
            with contextlib.suppress(Exception):
                await client.aclose()


class _StreamState:
    __slots__ = ("last_id", "retry_s")

    def __init__(self) -> None:
        self.last_id: str | None = None
        self.retry_s = DEFAULT_RETRY_S
