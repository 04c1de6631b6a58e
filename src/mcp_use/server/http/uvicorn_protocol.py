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
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Every head uvicorn's httptools protocol writes starts so (its `STATUS_LINE` table).
_HEAD = b"HTTP/1.1 "


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


class HTTPProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` on a `HeadJoiningTransport`: one write per small answer."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeadJoiningTransport(transport, self.loop))
