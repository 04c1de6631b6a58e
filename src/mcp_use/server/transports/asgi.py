"""Small raw-ASGI helpers: the MCP endpoint skips Request/Response objects on its hot path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ...protocol import jsonrpc
from ...protocol.errors import (
    HEADER_MISMATCH,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from ..settings import Limits

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]
RETRY_LATER = [(b"retry-after", b"5")]  # with a 503: the shared state does not answer
# A 2026-07-28 request refused as a whole answers with an HTTP status, not 200.
MODERN_ERROR_STATUS = {
    METHOD_NOT_FOUND: 404,
    HEADER_MISMATCH: 400,
    MISSING_REQUIRED_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
}


class BodyTooLarge(Exception):
    pass


MAX_SESSION_ID = 128  # ours are 32 hex digits; anything far longer is not one of ours


def header_map(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def read_headers(raw: list[tuple[bytes, bytes]], limit: int) -> tuple[dict[str, str], tuple[int, str] | None]:
    """The headers as `header_map` gives them, and `header_problem`'s verdict, in one pass.

    Every request pays this, so it is one plain loop (measured: cheaper than a
    comprehension plus a second loop, and than joining and splitting the bytes in C).
    A repeated name (the dict keeps the last, hiding an earlier session id) is rare:
    `header_problem` then looks at every header.
    """
    headers: dict[str, str] = {}
    total = 4 * len(raw)  # each header's ": " and CRLF
    for name, value in raw:
        total += len(name) + len(value)
        headers[name.decode("latin-1")] = value.decode("latin-1")
    if len(headers) != len(raw):
        return headers, header_problem(raw, limit)
    session_id = headers.get("mcp-session-id")
    if session_id is not None and (problem := session_id_problem("Mcp-Session-Id", session_id)):
        return headers, problem
    if total > limit:
        return headers, (431, f"Request Header Fields Too Large: the headers exceed {limit} bytes")
    return headers, None


def header_problem(raw: list[tuple[bytes, bytes]], limit: int) -> tuple[int, str] | None:
    """(status, reason) when the request's headers are too large to look at, else None.

    The server in front may allow more than we want to hold per request (httptools has
    no limit); the session id, looked up in the session table and in Redis, is bounded too.
    Both HTTP transports (Streamable HTTP and the legacy HTTP+SSE) check this first.
    """
    total = 0
    for name, value in raw:
        total += len(name) + len(value) + 4
        if name == b"mcp-session-id" and (problem := session_id_problem("Mcp-Session-Id", value)):
            return problem
    if total > limit:
        return 431, f"Request Header Fields Too Large: the headers exceed {limit} bytes"
    return None


def session_id_problem(name: str, value: str | bytes) -> tuple[int, str] | None:
    """(400, reason) for a session id far longer than ours (32 hex digits), else None."""
    if len(value) > MAX_SESSION_ID:
        return 400, f"Bad Request: {name} is longer than {MAX_SESSION_ID} characters"
    return None


class BodyTimeout(Exception):
    pass


class BodyRefused(Exception):
    """The body was not read: `status` (408 or 413) and `reason`, for the error answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_limited_body(receive: Receive, limits: Limits, declared: str | None) -> bytes:
    """The body within `limits` (`max_body_size`, `body_timeout`), else `BodyRefused`
    with the answer both HTTP transports give: 413 beyond the size, 408 past the time."""
    limit = limits.max_body_size
    try:
        return await read_body(receive, limit, declared, limits.body_timeout)
    except BodyTimeout:
        raise BodyRefused(
            408, f"Request Timeout: the body did not arrive within {limits.body_timeout:g}s"
        ) from None
    except BodyTooLarge:
        raise BodyRefused(413, f"Payload Too Large: the body exceeds {limit} bytes") from None


async def read_body(
    receive: Receive, limit: int, declared: str | None, timeout: float | None = None
) -> bytes:
    """The request body, up to `limit` bytes; `BodyTimeout` when the rest of it takes
    longer than `timeout` (the usual one-chunk body pays nothing for the bound)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        if len(body) > limit:
            raise BodyTooLarge
        return body
    try:
        async with asyncio.timeout(timeout):
            return await _rest(receive, limit, body)
    except TimeoutError:
        raise BodyTimeout from None


async def _rest(receive: Receive, limit: int, body: bytes) -> bytes:
    chunks = [body]
    size = len(body)
    message: dict[str, Any] = {"more_body": True}
    while message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def respond(
    send: Send,
    status: int,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": body})


async def respond_json(
    send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = jsonrpc.dumps(payload)
    all_headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if headers:
        all_headers.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def respond_error(
    send: Send,
    status: int,
    code: int,
    message: str,
    id: jsonrpc.RequestId | None = None,
    data: Any = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await respond_json(send, status, jsonrpc.error(id, code, message, data), headers)


def modern_status(response: jsonrpc.Message) -> int:
    """The HTTP status of a 2026-07-28 answer sent as JSON: 200, or the error's own."""
    error = response.get("error")
    return 200 if error is None else MODERN_ERROR_STATUS.get(error.get("code"), 200)


def sse_event(message: jsonrpc.Message, event_id: str | None = None) -> bytes:
    head = b"event: message\n"
    if event_id is not None:
        head = b"id: " + event_id.encode() + b"\n" + head
    return head + b"data: " + jsonrpc.dumps(message) + b"\n\n"


def accepts_answers(accept: str) -> bool:
    """Whether a POST's `Accept` admits both ways the endpoint may answer (JSON, SSE)."""
    return accepts(accept, "application/json") and accepts(accept, "text/event-stream")


def accepts(accept: str, media: str) -> bool:
    """Whether an `Accept` header value admits `media` (exactly, by `type/*`, or `*/*`)."""
    if not accept:
        return False
    if "*/*" in accept:
        return True
    return media in accept or (media.split("/")[0] + "/*") in accept
