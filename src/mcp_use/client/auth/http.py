"""The OAuth flow's HTTP edge: aiohttp calls and their failures, translated once.

Every request the flow makes (metadata, registration, token, identity provider) goes
through `request()`, which bounds the wait, refuses redirects, reads at most 1 MiB and
turns aiohttp's and asyncio's exceptions into `OAuthError`, so nothing above this module
knows the HTTP library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from .errors import OAuthError

MAX_BODY = 1 << 20
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json_object(self, what: str) -> dict[str, Any]:
        """The body as a JSON object, or an `OAuthError` naming `what` and what came instead."""
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            snippet = self.body[:120].decode("utf-8", "replace").strip()
            raise OAuthError(
                f"{what} answered HTTP {self.status} with {self.content_type or 'no content type'}, "
                f"not JSON: {snippet!r}"
            ) from None
        if not isinstance(value, dict):
            raise OAuthError(f"{what} answered JSON that is not an object")
        return value


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    what: str,
    form: Mapping[str, str] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One HTTP exchange with a bounded wait; transport failures become `OAuthError`."""
    h = {"accept": "application/json", **(headers or {})}
    body: bytes | None = None
    if form is not None:
        from urllib.parse import urlencode

        body = urlencode(dict(form)).encode()
        h["content-type"] = "application/x-www-form-urlencoded"
    elif json is not None:
        body = orjson.dumps(json)
        h["content-type"] = "application/json"
    try:
        async with session.request(
            method,
            url,
            data=body,
            headers=h,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
        ) as resp:
            data = await resp.content.read(MAX_BODY + 1)
            if len(data) > MAX_BODY:
                raise OAuthError(f"{what} at {url} answered more than {MAX_BODY} bytes")
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, data)
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        raise OAuthError(f"{what} at {url} failed: {type(exc).__name__}: {exc}") from None


__all__ = ["MAX_BODY", "Reply", "request"]
