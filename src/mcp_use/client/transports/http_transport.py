"""What the two HTTP client transports share: the URL, static headers, the auth hook and
the connection pool (the client's shared one, or one of their own that they close)."""

from __future__ import annotations

from collections.abc import Mapping

from . import http
from .base import ClientTransport
from .http_auth import HTTPAuth


class HTTPClientTransport(ClientTransport):
    """Base of `StreamableHTTPClientTransport` and `SSEClientTransport`."""

    uses_headers = True

    def __init__(
        self,
        server: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: HTTPAuth | None = None,
        pool: http.HTTPPool | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(server)
        self.url = url
        self.headers = dict(headers or {})
        self.auth = auth
        self.connect_timeout = connect_timeout
        self._own_pool = pool is None
        self._pool = pool if pool is not None else http.HTTPPool(connect_timeout=connect_timeout)
        self._init_state()

    def _init_state(self) -> None:
        """Each transport's own per-connection state (session id, reader task, ...)."""

    async def _close_own_pool(self) -> None:
        """A pool passed in belongs to the client; only a pool this transport made closes."""
        if self._own_pool:
            await self._pool.close()
