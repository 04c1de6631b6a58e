"""Streamable HTTP: one POST per message, answered as JSON or an SSE stream.

A request's POST runs in its own task so the caller's deadline (kept by the
correlator) covers the whole wait, and an HTTP error, malformed body or dropped
connection settles that request at once through `Receiver.fail()`. On the legacy era
the transport keeps the session id, opens the standalone GET stream, resumes a broken
response stream with `Last-Event-ID` after the server's `retry` delay, and sends
DELETE on close. HTTP itself (pooling, auth, error translation) is `http.py`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from ...protocol import jsonrpc
from ...protocol.errors import MCPError
from ...protocol.headers import NAMED_FIELDS, encode_value
from ...protocol.sse import SSEParser
from ...protocol.versions import is_modern
from ..errors import HTTPStatusError, ServerDisconnected, ServerError, TransportError
from . import http
from .http_transport import HTTPClientTransport

log = logging.getLogger("mcp_use.client.http")
ACCEPT = "application/json, text/event-stream"
MAX_RESUMES = 5
DEFAULT_RETRY_S = 1.0
MAX_CACHED_NAMES = 1024


class StreamableHTTPClientTransport(HTTPClientTransport):
    def _init_state(self) -> None:
        self.session_id: str | None = None
        self._inflight: dict[jsonrpc.RequestId, asyncio.Task[None]] = {}
        self._get_task: asyncio.Task[None] | None = None
        self._closed = False
        self._names: dict[str, str] = {}

    @property
    def description(self) -> str:
        return self.url

    async def start(self) -> None:
        """Make sure the pool's aiohttp session exists, bound to the running loop."""
        self._pool.session()

    # ---- sending ----------------------------------------------------------------------
    def _headers(self, message: jsonrpc.Message, extra: Mapping[str, str] | None) -> dict[str, str]:
        h = {**self.headers, "content-type": "application/json", "accept": ACCEPT}
        version = self.protocol_version
        if version:
            h["mcp-protocol-version"] = version
        if self.session_id:
            h["mcp-session-id"] = self.session_id
        method = message.get("method")
        # Mcp-Method and Mcp-Name are 2026-07-28 headers: a legacy session's requests go
        # without them (two headers fewer to write, and for the server to read, per call).
        if method is not None and (not version or is_modern(version)):
            h["mcp-method"] = method
            field = NAMED_FIELDS.get(method)
            if field is not None:
                params = message.get("params")
                value = params.get(field) if isinstance(params, dict) else None
                if isinstance(value, str):
                    h["mcp-name"] = self._name_header(value)
        if extra:
            h.update(extra)
        return h

    def _name_header(self, value: str) -> str:
        """`Mcp-Name` for a name, encoded once per name (a session calls a few tools often)."""
        encoded = self._names.get(value)
        if encoded is None:
            if len(self._names) >= MAX_CACHED_NAMES:
                self._names.clear()
            encoded = self._names[value] = encode_value(value)
        return encoded

    async def _post(self, body: bytes, headers: Mapping[str, str], what: str) -> aiohttp.ClientResponse:
        return await http.request(
            self._pool,
            "POST",
            self.url,
            headers=headers,
            body=body,
            auth=self.auth,
            server=self.server,
            what=what,
        )

    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        if self._closed:
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

    async def call(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        """POST a request and read its answer in the caller's task (no task per call)."""
        if self._closed:
            raise ServerDisconnected(self.server, "the HTTP transport is closed")
        await self._post_request(
            message["id"], message["method"], jsonrpc.dumps(message), self._headers(message, headers)
        )

    async def _post_other(self, message: jsonrpc.Message, body: bytes, headers: dict[str, str]) -> None:
        """A notification or our answer to a server request: expect 202 Accepted."""
        kind = message.get("method") or f"response to {message.get('id')!r}"
        what = f"POST {kind} to {self.url}"
        response = await self._post(body, headers, what)
        try:
            raw = await http.read_body(response, self.server, what)
            if response.status >= 400:
                log.warning("[%s] %s answered HTTP %s: %.200r", self.server, what, response.status, raw)
                return
            # A server may answer a response with further messages; read them.
            if raw and response.headers.get("content-type", "").startswith("application/json"):
                with contextlib.suppress(MCPError):
                    await self._deliver(jsonrpc.loads(raw))
        finally:
            response.release()

    async def _post_request(
        self, rid: jsonrpc.RequestId, method: str, body: bytes, headers: dict[str, str]
    ) -> None:
        receiver = self.receiver
        assert receiver is not None
        what = f"{method} at {self.url}"
        try:
            response = await self._post(body, headers, what)
            try:
                await self._response(rid, method, response, what)
            finally:
                response.release()
        except asyncio.CancelledError:
            raise
        except MCPError as exc:
            receiver.fail(rid, exc)
        except Exception as exc:  # never leave a caller waiting on a bug
            log.exception("[%s] unexpected error in %s", self.server, method)
            receiver.fail(rid, TransportError(self.server, f"{method} failed: {exc!r}"))

    async def _response(
        self, rid: jsonrpc.RequestId, method: str, response: aiohttp.ClientResponse, what: str
    ) -> None:
        receiver = self.receiver
        assert receiver is not None
        status = response.status
        if method == "initialize":
            session_id = response.headers.get("mcp-session-id")
            if session_id:
                self.session_id = session_id
        if status >= 400 or status == 202 or status == 204:
            raw = await http.read_body(response, self.server, what, traced=self._pool.traced)
            receiver.fail(rid, self._http_error(method, status, raw))
            return
        if http.is_event_stream(response):
            await self._stream(rid, method, response)
            return
        raw = await http.read_body(response, self.server, what, traced=self._pool.traced)
        try:
            message = jsonrpc.loads(raw)
        except MCPError:
            raise TransportError(
                self.server, f"malformed JSON in the answer to {method} (HTTP {status}): {raw[:200]!r}"
            ) from None
        if type(message) is dict and message.get("id") == rid and "method" not in message:
            receiver.settle(message)  # the usual answer: settled here, no feed() coroutine
            return
        if not await self._deliver(message, rid):
            raise TransportError(
                self.server, f"the HTTP answer to {method} held no response to request {rid!r}"
            )

    def _http_error(self, method: str, status: int, raw: bytes) -> MCPError:
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

    async def _stream(self, rid: jsonrpc.RequestId, method: str, response: aiohttp.ClientResponse) -> None:
        """Read a POST's SSE answer; resume with GET + Last-Event-ID if it ends early."""
        parser = SSEParser()
        if await self._read_events(rid, method, response, parser):
            return
        for _ in range(MAX_RESUMES):
            if not parser.last_event_id or self.session_id is None:
                break
            await asyncio.sleep(_retry_s(parser))
            parser = _continue(parser)
            what = f"{method} (resuming) at {self.url}"
            resumed = await self._get(parser.last_event_id, what)
            try:
                if resumed.status != 200:
                    raw = await http.read_body(resumed, self.server, what)
                    raise self._http_error(f"{method} (resuming)", resumed.status, raw)
                if await self._read_events(rid, method, resumed, parser):
                    return
            finally:
                resumed.release()
        raise TransportError(self.server, f"the response stream for {method} ended before its answer")

    async def _read_events(
        self, rid: jsonrpc.RequestId, method: str, response: aiohttp.ClientResponse, parser: SSEParser
    ) -> bool:
        what = f"the event stream answering {method}"
        async for event in http.sse_events(response, parser, self.server, what):
            data = event.data
            if not data:
                continue
            try:
                message = jsonrpc.loads(data)
            except MCPError:
                raise TransportError(self.server, f"malformed JSON in {what}: {data[:200]!r}") from None
            if await self._deliver(message, rid):
                return True
        return False

    async def _get(self, last_event_id: str, what: str) -> aiohttp.ClientResponse:
        """Open a GET event stream (the standalone one, or a resumption after `last_event_id`)."""
        headers = self._get_headers(last_event_id)
        return await http.request(
            self._pool, "GET", self.url, headers=headers, auth=self.auth, server=self.server, what=what
        )

    def _get_headers(self, last_event_id: str | None = None) -> dict[str, str]:
        h = {**self.headers, "accept": "text/event-stream"}
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
        parser = SSEParser()
        failures = 0
        what = f"the GET stream of {self.url}"
        while not self._closed and failures < 3:
            try:
                response = await self._get(parser.last_event_id, what)
                try:
                    if response.status != 200:
                        return  # 405: the server has no GET stream; that is allowed
                    failures = 0
                    async for event in http.sse_events(response, parser, self.server, what):
                        if event.data:
                            with contextlib.suppress(MCPError):
                                await self._deliver(jsonrpc.loads(event.data))
                finally:
                    response.release()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.debug("[%s] GET stream dropped: %r", self.server, exc)
            parser = _continue(parser)
            await asyncio.sleep(_retry_s(parser))

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
        if self.session_id and not self._pool.closed:
            with contextlib.suppress(Exception):
                response = await http.request(
                    self._pool,
                    "DELETE",
                    self.url,
                    headers=self._get_headers(),
                    auth=self.auth,
                    server=self.server,
                    timeout=2.0,
                )
                response.release()
        await self._close_own_pool()


def _retry_s(parser: SSEParser) -> float:
    return parser.retry / 1000.0 if parser.retry is not None else DEFAULT_RETRY_S


def _continue(parser: SSEParser) -> SSEParser:
    """A fresh parser for the next connection that keeps the stream's id and retry."""
    fresh = SSEParser()
    fresh.last_event_id = parser.last_event_id
    fresh.retry = parser.retry
    return fresh
