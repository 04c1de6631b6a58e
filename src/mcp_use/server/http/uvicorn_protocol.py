"""uvicorn's httptools protocol, writing a response's head together with its body.

uvicorn writes a response's status line and headers the moment the app sends
`http.response.start`, and the body when it sends `http.response.body`. On uvloop each
`transport.write` on an idle socket is a `write` syscall of its own, so every answer
costs the server two syscalls and goes out as two TCP segments, and the client wakes
and reads twice before it has the answer. For a small JSON answer that second round is
a large part of what a call costs on both sides (measured here: 10-20% more requests
per second at 16 connections).

`HTTPProtocol` is `HttpToolsProtocol` with one change: the transport it is given holds
a response head (`HeadJoiningTransport`) and sends it with the write that follows in the
same step of the loop, or on its own at the next step when nothing follows (a stream
whose first event comes later). Every byte still goes out in order and a held head never
waits longer than one turn of the loop. `server.run()` picks it whenever it serves with
httptools; `uvicorn module:app --http mcp_use.server.http.uvicorn_protocol:HTTPProtocol`
picks it from the command line.

When the app offers `answer_now(scope, body)` (the endpoint's plain-call lane,
`transports/plain_post.py`), a request whose headers and whole body arrive in one read
is offered to it before any ASGI machinery is built: answered there, its response is
written in that same step, and uvicorn's request cycle, its task, `receive` and the two
`send` messages are never made (about a quarter of what a small call costs the server).
Only a request uvicorn would serve the plain way is offered: POST over HTTP/1.1 kept
alive, a plain path, no `Expect`, no upgrade, nothing in flight before it on the
connection, the write side not paused, no access log, no concurrency limit. Every other
request, and every one the app declines, goes on through uvicorn exactly as before (its
cycle made then, from the same parser state).

It also runs uvicorn's `ProxyHeadersMiddleware` (on by default) only for the requests it
can change: those naming an `X-Forwarded-*` header (`ForwardedOnly`). The middleware
checks the client's address against its trusted hosts on every request, a tenth of what
a small call costs the server; a request without such a header leaves it untouched.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from operator import itemgetter
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Every head uvicorn's httptools protocol writes starts so (its `STATUS_LINE` table).
_HEAD = b"HTTP/1.1 "
# What the names of the headers `ProxyHeadersMiddleware` reads (X-Forwarded-For and
# X-Forwarded-Proto; ASGI names are lower case) have in common.
_FORWARDED = b"x-forwarded-"
_name = itemgetter(0)
# Past this much body the request is not held for `answer_now`: it goes the ASGI way.
HELD_BODY_LIMIT = 64 * 1024
_STATUS_LINES: dict[int, bytes] = {}


def status_line(status: int) -> bytes:
    """`HTTP/1.1 200 OK\\r\\n`, as uvicorn writes it for `status`."""
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        line = _STATUS_LINES[status] = b"HTTP/1.1 %d %s\r\n" % (status, phrase.encode())
    return line


class HeadJoiningTransport(asyncio.Transport):
    """A transport that sends a response head with the next write instead of alone.

    Only a write that starts like a response head is held, and only one at a time; every
    other write goes straight through (after the held head, joined to it). Closing sends
    what is held first; aborting drops it, as aborting drops any buffered data.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data[:9] == _HEAD:
            self._held = bytes(data)
            self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)

    def _flush(self) -> None:
        """Send a head nothing followed in its step (a streamed response, an interim 100)."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def write_whole(self, data: bytes) -> None:
        """Send a whole response (head and body) at once, after anything held."""
        held = self._held
        if held is not None:
            self._held = None
            data = held + data
        self._transport.write(data)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def get_write_buffer_size(self) -> int:
        held = self._held
        return self._transport.get_write_buffer_size() + (0 if held is None else len(held))


class ForwardedOnly:
    """An app that runs `middleware` (uvicorn's `ProxyHeadersMiddleware`) only for a
    request naming an `X-Forwarded-*` header and calls the app behind it directly for
    every other, which the middleware would pass on unchanged (it rewrites `client` and
    `scheme` from those headers alone, and only for a trusted client)."""

    __slots__ = ("app", "middleware")

    def __init__(self, middleware: ProxyHeadersMiddleware) -> None:
        self.middleware = middleware
        self.app = middleware.app

    def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        # Header names hold no newline, so the joined names contain the prefix only
        # where one name does: one C-level search, not a Python loop over the headers.
        if _FORWARDED in b"\n".join(map(_name, scope["headers"])):
            return self.middleware(scope, receive, send)
        return self.app(scope, receive, send)  # (its coroutine, awaited by uvicorn)


def answerer(app: Any) -> Any:
    """The `answer_now` of the app behind uvicorn's proxy-headers layer, if it has one."""
    if type(app) in (ProxyHeadersMiddleware, ForwardedOnly):
        app = app.app
    answer_now = getattr(app, "answer_now", None)
    return answer_now if callable(answer_now) else None


class HTTPProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` on a `HeadJoiningTransport` (one write per small answer), the
    proxy-headers middleware run only where it can change the request. For an app that
    offers `answer_now` it is an `AnsweringHTTPProtocol`: uvicorn names one class for
    every app, and the parser callbacks that class overrides cost every other app a
    call layer per request for nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is HTTPProtocol:
            config = kwargs["config"] if "config" in kwargs else args[0]
            if answerer(config.loaded_app) is not None:
                cls = AnsweringHTTPProtocol
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if type(self.app) is ProxyHeadersMiddleware:
            self.app = ForwardedOnly(self.app)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeadJoiningTransport(transport, self.loop))


class AnsweringHTTPProtocol(HTTPProtocol):
    """`HTTPProtocol` offering each complete plain request to the app's `answer_now`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._forwarded = type(self.app) is ForwardedOnly  # then a forwarded request is not offered
        plain = not self.access_log and self.limit_concurrency is None and not self.root_path
        self._answer_now = answerer(self.app) if plain else None
        self._holding = False  # this message is held for `answer_now`: no cycle made yet
        self._held_body = b""
        self._defaults: Any = None  # the default headers `_default_head` was made from
        self._default_head = b""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._holding:  # the body goes on in a later read (or the read was refused, as
            self._release()  # uvicorn refuses it): the ASGI way from here, as uvicorn's own

    def on_headers_complete(self) -> None:
        if self._answer_now is None or not self._may_hold():
            super().on_headers_complete()
            return
        keep_alive = self.timeout_keep_alive_task
        if keep_alive is not None:  # (an answer earlier in this read armed it)
            keep_alive.cancel()
            self.timeout_keep_alive_task = None
        self._holding = True
        self._held_body = b""

    def on_body(self, body: bytes) -> None:
        if not self._holding:
            super().on_body(body)
            return
        self._held_body += body
        if len(self._held_body) > HELD_BODY_LIMIT:
            self._release()

    def on_message_complete(self) -> None:
        if not self._holding:
            super().on_message_complete()
            return
        if not self._answered():
            self._release()
            super().on_message_complete()

    def _may_hold(self) -> bool:
        """Whether uvicorn would serve this request the plain way, nothing before it."""
        parser = self.parser
        cycle = self.cycle
        url = self.url
        return (
            (cycle is None or cycle.response_complete)
            and not self.pipeline
            and not self.expect_100_continue
            and parser.get_method() == b"POST"
            and parser.get_http_version() == "1.1"
            and parser.should_keep_alive()
            and not parser.should_upgrade()
            and url[:1] == b"/"
            and b"?" not in url
            and b"%" not in url
            and not self.flow.write_paused
            and not self.transport.is_closing()
            and not (self._forwarded and _FORWARDED in b"\n".join(map(_name, self.headers)))
        )

    def _answered(self) -> bool:
        """Offer the held request to `answer_now`; True once its answer is written."""
        self._holding = False
        scope: Any = self.scope
        scope["method"] = "POST"
        scope["path"] = self.url.decode("ascii")
        scope["raw_path"] = self.url
        scope["query_string"] = b""
        answer = self._answer_now(scope, self._held_body)  # type: ignore[misc]
        if answer is None:
            return False  # (`_release` gives the body on)
        self._held_body = b""
        status, headers, body = answer
        defaults = self.server_state.default_headers  # (uvicorn renews the list each second)
        if defaults is not self._defaults:
            self._defaults = defaults
            self._default_head = b"".join([name + b": " + value + b"\r\n" for name, value in defaults])
        head = [status_line(status), self._default_head]
        for name, value in headers:
            head += (name, b": ", value, b"\r\n")
        head += (b"\r\n", body)
        self.transport.write_whole(b"".join(head))  # type: ignore[attr-defined]
        self.on_response_complete()
        return True

    def _release(self) -> None:
        """Serve the held request the ASGI way: its cycle made now, its body so far given."""
        self._holding = False
        body, self._held_body = self._held_body, b""
        super().on_headers_complete()
        if body:
            super().on_body(body)
