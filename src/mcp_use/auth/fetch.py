"""Outbound HTTP for verifiers (JWKS documents, token introspection) on aiohttp.

One client session per verifier and event loop. aiohttp's exceptions stop here: the
callers see `VerifierUnavailable` with a reason.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import quote_plus

from .token import VerifierUnavailable

TIMEOUT_SECONDS = 10.0
MAX_DOCUMENT = 1024 * 1024


def basic_auth(client_id: str, secret: str) -> str:
    """HTTP Basic client authentication, each part form-encoded first (RFC 6749 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


class Fetcher:
    def __init__(self) -> None:
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> Any:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
            self._loop = loop
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body or None); VerifierUnavailable when unreachable."""
        import aiohttp

        headers = {"accept": "application/json"}
        if auth is not None:
            headers["authorization"] = basic_auth(*auth)
        try:
            async with self._client().request(method, url, data=data, headers=headers) as response:
                body = await response.content.read(MAX_DOCUMENT + 1)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise VerifierUnavailable(f"{url} is unreachable ({type(exc).__name__})") from None
        if len(body) > MAX_DOCUMENT:
            raise VerifierUnavailable(f"{url} answered more than {MAX_DOCUMENT} bytes")
        import orjson

        try:
            return status, orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            return status, None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
