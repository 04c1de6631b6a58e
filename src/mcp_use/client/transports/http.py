"""The client's one HTTP edge: the pooled aiohttp session, requests with auth, and errors.

Everything aiohttp-specific the client does goes through this module, so aiohttp's
exceptions are translated into ours in exactly one table (`_TRANSLATIONS`) and nowhere
else. An `HTTPPool` owns one `aiohttp.ClientSession` (keep-alive connections reused
across requests and across servers): `MCPClient` makes one and hands it to every HTTP
transport it builds; a transport made alone makes its own and closes it with itself.

TLS uses the system trust store through `ssl.create_default_context()`, built when the
first https request goes out, so `SSL_CERT_FILE` / `SSL_CERT_DIR` set before then are
honoured. Redirects are followed (307/308 keep the method and body; aiohttp drops
`Authorization` when a redirect leaves the origin), at most `MAX_REDIRECTS` times.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
from collections.abc import AsyncIterator, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

import aiohttp

from ...protocol.sse import SSEEvent, SSEParser
from ..errors import ClientError, ConnectError, ConnectionRefused, ServerDisconnected, TransportError
from .http_auth import HTTPAuth, send_signed

MAX_REDIRECTS = 10
READ_CHUNK = 1 << 16

# First match wins: subclasses come before the classes they extend.
_TRANSLATIONS: tuple[tuple[type[BaseException], type[ClientError], str], ...] = (
    (aiohttp.ClientConnectorCertificateError, ConnectError, "the TLS certificate is not trusted"),
    (aiohttp.ClientSSLError, ConnectError, "the TLS handshake failed"),
    (aiohttp.TooManyRedirects, TransportError, f"more than {MAX_REDIRECTS} redirects"),
    (aiohttp.RedirectClientError, TransportError, "a redirect to an unusable URL"),
    (aiohttp.NonHttpUrlClientError, ConnectError, "not an http(s) URL"),
    (aiohttp.InvalidURL, ConnectError, "an invalid URL"),
    (aiohttp.ClientConnectorError, ServerDisconnected, "cannot connect"),
    (TimeoutError, TransportError, "HTTP timeout"),
    (aiohttp.ClientPayloadError, ServerDisconnected, "the response broke off"),
    (aiohttp.ClientConnectionError, ServerDisconnected, "the connection was lost"),
    (aiohttp.ClientError, TransportError, "HTTP error"),
    (OSError, ServerDisconnected, "the connection failed"),
)


def translate(exc: BaseException, server: str | None, what: str) -> ClientError:
    """Our typed error for a foreign (aiohttp or socket) one; `what` says which request."""
    if isinstance(exc, ClientError):
        return exc
    if isinstance(exc, aiohttp.ClientConnectorError) and _refused(exc):
        return ConnectionRefused(server, f"{exc.host}:{exc.port}", what)
    for foreign, ours, phrase in _TRANSLATIONS:
        if isinstance(exc, foreign):
            detail = str(exc) or type(exc).__name__
            return ours(server, f"{what}: {phrase} ({detail})")
    return TransportError(server, f"{what} failed: {exc!r}")


def _refused(exc: aiohttp.ClientConnectorError) -> bool:
    """Whether the peer refused the connection (nothing listens), not a timeout or DNS failure."""
    cause = exc.os_error
    return isinstance(cause, ConnectionRefusedError) or cause.errno == errno.ECONNREFUSED


class HTTPPool:
    """One aiohttp session (connection pool) shared by the HTTP transports of an owner.

    Created lazily inside the running loop; `close()` closes it only when this pool made
    it (a session passed in belongs to whoever passed it).
    """

    def __init__(
        self, session: aiohttp.ClientSession | None = None, *, connect_timeout: float = 10.0
    ) -> None:
        self.connect_timeout = connect_timeout
        self._session = session
        self._owned = session is None
        self._ssl: ssl.SSLContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, made on first use (it must be made inside the running loop)."""
        session = self._session
        loop = asyncio.get_running_loop()
        if self._owned and session is not None and self._loop is not loop:
            session = None  # made in a loop that is gone (asyncio.run twice): start afresh
        if session is None or (self._owned and session.closed):
            self._loop = loop
            connector = aiohttp.TCPConnector(limit=256, limit_per_host=0, keepalive_timeout=30)
            timeout = aiohttp.ClientTimeout(
                total=None, connect=self.connect_timeout, sock_connect=self.connect_timeout
            )
            session = aiohttp.ClientSession(connector=connector, timeout=timeout)
            self._session = session
        return session

    def ssl_for(self, url: str) -> ssl.SSLContext | bool:
        """The TLS context for an https URL (system trust store, env honoured); True otherwise."""
        if not url.startswith("https:"):
            return True
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    @property
    def traced(self) -> bool:
        """Whether the session has aiohttp trace configs (only one passed in can)."""
        session = self._session
        return session is not None and bool(session.trace_configs)

    @property
    def closed(self) -> bool:
        return self._session is None or self._session.closed

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._owned and not session.closed:
            await session.close()


async def request(
    pool: HTTPPool,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None = None,
    auth: HTTPAuth | None = None,
    server: str | None = None,
    what: str = "",
    timeout: float | None = None,
) -> aiohttp.ClientResponse:
    """Send one request (with `auth`'s headers, resent when it says so); the caller releases it.

    Without `auth` (the common case) the one attempt is awaited directly, no closure made.
    """
    session = pool.session()
    # Only a short request (DELETE on close) gets its own total; others keep the session's.
    extra = _NO_OPTIONS if timeout is None else {"timeout": aiohttp.ClientTimeout(total=timeout)}
    send = partial(_attempt, session, method, url, body, pool.ssl_for(url), extra, server, what)
    if auth is None:  # nothing to sign or resend: the one attempt, with the caller's headers
        return await send(headers)
    return await send_signed(auth, method, url, headers, send)


_NO_OPTIONS: Mapping[str, Any] = MappingProxyType({})


async def _attempt(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: bytes | None,
    ssl_ctx: ssl.SSLContext | bool,
    extra: Mapping[str, Any],
    server: str | None,
    what: str,
    headers: Mapping[str, str],
) -> aiohttp.ClientResponse:
    """One aiohttp request; its foreign errors become ours (`what`, or the method and URL)."""
    try:
        return await session.request(
            method, url, data=body, headers=headers, ssl=ssl_ctx, max_redirects=MAX_REDIRECTS, **extra
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise translate(exc, server, what or f"{method} {url}") from None


async def read_body(
    response: aiohttp.ClientResponse, server: str | None, what: str, *, traced: bool = True
) -> bytes:
    """The whole body, or our typed error when the connection breaks while reading it.

    A small answer has usually arrived whole with its headers: with `traced=False` it is
    then taken from the buffer at once (`read_nowait`), skipping `read()`'s loop of
    `readany()` calls. A session that traces (`HTTPPool.traced`) keeps `read()`, the one
    that sends aiohttp's chunk-received signal."""
    try:
        if not traced:
            content = response.content
            if content.is_eof():
                return content.read_nowait()
        return await response.read()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise translate(exc, server, what) from None


async def sse_events(
    response: aiohttp.ClientResponse, parser: SSEParser, server: str | None, what: str
) -> AsyncIterator[SSEEvent]:
    """The events of an SSE response as they arrive; ends when the server ends the stream."""
    content = response.content
    while True:
        try:
            chunk = await content.readany()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise translate(exc, server, what) from None
        if not chunk:
            return
        for event in parser.feed(chunk):
            yield event


def is_event_stream(response: aiohttp.ClientResponse) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


__all__ = ["HTTPPool", "is_event_stream", "read_body", "request", "sse_events", "translate"]
