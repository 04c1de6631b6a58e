"""The legacy HTTP+SSE transport (2024-11-05): one GET stream in, POSTs out.

The GET stream's first `endpoint` event says where to POST; every answer comes back
on the stream. When the stream ends, the connection is over: pending calls fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from urllib.parse import urljoin

import httpx
from httpx_sse import EventSource

from ...protocol import jsonrpc
from ...protocol.errors import MCPError
from ..errors import ClientError, ConnectError, HTTPStatusError, ServerDisconnected
from .base import Transport

log = logging.getLogger("mcp_use.client.sse")


class SSETransport(Transport):
    uses_headers = True

    def __init__(
        self,
        server: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(server)
        self.url = url
        self.headers = dict(headers or {})
        self.connect_timeout = connect_timeout
        self.endpoint: str | None = None
        self._client: httpx.AsyncClient | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[str] | None = None
        self._closed = False

    @property
    def description(self) -> str:
        return f"{self.url} (SSE)"

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            headers=self.headers, timeout=httpx.Timeout(30.0, connect=self.connect_timeout, read=None)
        )
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
        assert self._client is not None and self._ready is not None
        error: MCPError | None = None
        try:
            async with self._client.stream(
                "GET", self.url, headers={"accept": "text/event-stream"}
            ) as response:
                if response.status_code != 200 or not response.headers.get("content-type", "").startswith(
                    "text/event-stream"
                ):
                    raw = await response.aread()
                    raise HTTPStatusError(
                        self.server, response.status_code, raw.decode("utf-8", "replace"), f"GET {self.url}"
                    )
                async for event in EventSource(response).aiter_sse():
                    if event.event == "endpoint":
                        if not self._ready.done():
                            self._ready.set_result(urljoin(self.url, event.data.strip()))
                        continue
                    if not event.data or event.event not in ("message", ""):
                        continue
                    try:
                        message = jsonrpc.loads(event.data)
                    except MCPError:
                        log.warning("[%s] malformed JSON on the SSE stream: %.200r", self.server, event.data)
                        continue
                    if isinstance(message, dict) and self.receiver is not None:
                        await self.receiver.feed(message)
            error = ServerDisconnected(self.server, f"the SSE stream from {self.url} ended")
        except asyncio.CancelledError:
            raise
        except MCPError as exc:
            error = exc
        except httpx.HTTPError as exc:
            error = ServerDisconnected(self.server, f"the SSE stream from {self.url} broke: {exc!r}")
        if not self._ready.done():
            detail = error.detail if isinstance(error, ClientError) else str(error)
            self._ready.set_exception(ConnectError(self.server, detail))
            return
        if not self._closed and self.receiver is not None and error is not None:
            self.receiver.closed(error)

    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        if self._closed or self._client is None or self.endpoint is None:
            raise ServerDisconnected(self.server, "the SSE transport is closed")
        h = {"content-type": "application/json"}
        if headers:
            h.update(headers)
        try:
            response = await self._client.post(self.endpoint, content=jsonrpc.dumps(message), headers=h)
        except httpx.HTTPError as exc:
            raise ServerDisconnected(self.server, f"POST to {self.endpoint} failed: {exc!r}") from None
        if response.status_code >= 400:
            error = HTTPStatusError(
                self.server,
                response.status_code,
                response.text,
                f"{message.get('method', 'message')} at {self.endpoint}",
            )
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
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
