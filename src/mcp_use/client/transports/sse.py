"""The legacy HTTP+SSE transport (2024-11-05): one GET stream in, POSTs out.

The GET stream's first `endpoint` event says where to POST; every answer comes back
on the stream. When the stream ends, the connection is over: pending calls fail.
This transport carries only the handshake era (`modern_capable = False`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from urllib.parse import urljoin

from ...protocol import jsonrpc
from ...protocol.errors import MCPError
from ...protocol.sse import SSEParser
from ..errors import ClientError, ConnectError, HTTPStatusError, ServerDisconnected
from . import http
from .http_transport import HTTPClientTransport

log = logging.getLogger("mcp_use.client.sse")


class SSEClientTransport(HTTPClientTransport):
    modern_capable = False

    def _init_state(self) -> None:
        self.endpoint: str | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[str] | None = None
        self._closed = False

    @property
    def description(self) -> str:
        return f"{self.url} (SSE)"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        self._reader = loop.create_task(self._read())
        try:
            self.endpoint = await asyncio.wait_for(asyncio.shield(self._ready), self.connect_timeout + 5)
        except TimeoutError:
            await self.close()
            raise ConnectError(
                self.server, f"{self.url} sent no 'endpoint' event on its SSE stream"
            ) from None
        except BaseException:
            await self.close()
            raise

    async def _read(self) -> None:
        assert self._ready is not None
        error: MCPError | None = None
        what = f"the SSE stream from {self.url}"
        try:
            response = await http.request(
                self._pool,
                "GET",
                self.url,
                headers={**self.headers, "accept": "text/event-stream"},
                auth=self.auth,
                server=self.server,
                what=what,
            )
            try:
                if response.status != 200 or not http.is_event_stream(response):
                    raw = await http.read_body(response, self.server, what)
                    raise HTTPStatusError(
                        self.server, response.status, raw.decode("utf-8", "replace"), f"GET {self.url}"
                    )
                async for event in http.sse_events(response, SSEParser(), self.server, what):
                    await self._event(event.event, event.data)
            finally:
                response.release()
            error = ServerDisconnected(self.server, f"{what} ended")
        except asyncio.CancelledError:
            raise
        except MCPError as exc:
            error = exc
        if not self._ready.done():
            detail = error.detail if isinstance(error, ClientError) else str(error)
            self._ready.set_exception(ConnectError(self.server, detail))
            return
        if not self._closed and self.receiver is not None:
            self.receiver.closed(error)

    async def _event(self, kind: str, data: str) -> None:
        assert self._ready is not None
        if kind == "endpoint":
            if not self._ready.done():
                self._ready.set_result(urljoin(self.url, data.strip()))
            return
        if not data or kind != "message":
            return
        try:
            message = jsonrpc.loads(data)
        except MCPError:
            log.warning("[%s] malformed JSON on the SSE stream: %.200r", self.server, data)
            return
        if isinstance(message, dict) and self.receiver is not None:
            await self.receiver.feed(message)

    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        if self._closed or self.endpoint is None:
            raise ServerDisconnected(self.server, "the SSE transport is closed")
        h = {**self.headers, "content-type": "application/json"}
        if headers:
            h.update(headers)
        what = f"{message.get('method', 'message')} at {self.endpoint}"
        response = await http.request(
            self._pool,
            "POST",
            self.endpoint,
            headers=h,
            body=jsonrpc.dumps(message),
            auth=self.auth,
            server=self.server,
            what=what,
        )
        try:
            if response.status < 400:
                return
            raw = await http.read_body(response, self.server, what)
        finally:
            response.release()
        error = HTTPStatusError(self.server, response.status, raw.decode("utf-8", "replace"), what)
        if "id" in message and "method" in message and self.receiver is not None:
            self.receiver.fail(message["id"], error)
            return
        raise error

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        await self._close_own_pool()
