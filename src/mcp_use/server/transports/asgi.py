"""Small raw-ASGI helpers: the MCP endpoint skips Request/Response objects on its hot path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ...protocol import jsonrpc

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


class BodyTooLarge(Exception):
    pass


def header_map(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def read_body(receive: Receive, limit: int, declared: str | None) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = [body]
    size = len(body)
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
    body = orjson.dumps(payload)
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


def sse_event(message: jsonrpc.Message, event_id: str | None = None) -> bytes:
    head = b"event: message\n"
    if event_id is not None:
        head = b"id: " + event_id.encode() + b"\n" + head
    return head + b"data: " + orjson.dumps(message) + b"\n\n"


def accepts(accept: str, media: str) -> bool:
    """Whether an `Accept` header value admits `media` (exactly, by `type/*`, or `*/*`)."""
    if not accept:
        return False
    if "*/*" in accept:
        return True
    return media in accept or (media.split("/")[0] + "/*") in accept
