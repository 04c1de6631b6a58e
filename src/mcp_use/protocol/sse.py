"""Server-sent events, both directions: `encode_event` writes one, `SSEParser` reads a stream.

The format is the WHATWG "event stream": UTF-8 text, lines ended by CRLF, LF or CR,
an optional BOM at the very start, `field: value` lines, `:` comments, and an empty
line that dispatches the event. Both MCP eras frame their streamed answers this way,
so the server's writer and the client's reader live here, next to each other, and a
change to one is tested against the other.

The parser is incremental: `feed()` takes whatever bytes the socket gave (a chunk may
end anywhere, inside a CRLF or a multi-byte character) and returns the events it
completed. Any byte string is accepted (invalid UTF-8 is replaced, as the standard
says); the only error is an event or line larger than `max_event_bytes`, raised as
`SSEError`, so a hostile peer cannot make the reader buffer without bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PARSE_ERROR, MCPError

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024


class SSEError(MCPError):
    """The event stream cannot be read further (an event over the size limit)."""

    def __init__(self, message: str) -> None:
        super().__init__(PARSE_ERROR, message)


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event. `id` is the stream's last event id when it was dispatched."""

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None


class SSEParser:
    """Turns chunks of an event stream into `SSEEvent`s; one parser per stream.

    `last_event_id` and `retry` are the stream's state as the standard defines it: they
    change as soon as an `id:` or `retry:` line is read, even in an event with no data
    (a priming event), which is what a client needs to resume with `Last-Event-ID`.
    """

    __slots__ = (
        "_bom_done",
        "_data",
        "_event",
        "_limit",
        "_pending",
        "_size",
        "_skip_lf",
        "last_event_id",
        "retry",
    )

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._limit = max_event_bytes
        self._pending = b""  # an unterminated line (never holds a CR or LF)
        self._bom_done = False
        self._skip_lf = False  # the last chunk ended in CR: an LF first in the next is its pair
        self._data: list[str] = []
        self._event = ""
        self._size = 0
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Parse more bytes; return the events they completed, in order."""
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        buf = self._pending + chunk if self._pending else chunk
        if not self._bom_done:
            if len(buf) < len(BOM) and BOM.startswith(buf):
                self._pending = buf
                return []
            self._bom_done = True
            if buf.startswith(BOM):
                buf = buf[len(BOM) :]
        if b"\r" in buf:
            self._skip_lf = buf.endswith(b"\r")
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        rest = lines.pop()
        if len(rest) + self._size > self._limit:
            raise SSEError(f"an event stream line is longer than {self._limit} bytes")
        self._pending = rest
        events: list[SSEEvent] = []
        for line in lines:
            if not line:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
            elif line[0] != 0x3A:  # ':' starts a comment
                self._field(line)
        return events

    def _field(self, line: bytes) -> None:
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._size += len(value) + 1
            if self._size > self._limit:
                raise SSEError(f"an event is larger than {self._limit} bytes")
            self._data.append(value.decode("utf-8", "replace"))
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value.isdigit():  # bytes.isdigit: ASCII digits only
                self.retry = int(value)
        # any other field is ignored, as the standard says

    def _dispatch(self) -> SSEEvent | None:
        data, event = self._data, self._event
        self._data, self._event, self._size = [], "", 0
        if not data:
            return None
        return SSEEvent("\n".join(data), event or "message", self.last_event_id, self.retry)


def _checked(name: str, value: str) -> bytes:
    raw = value.encode()
    if b"\n" in raw or b"\r" in raw:
        raise ValueError(f"an SSE {name} cannot contain a line break: {value!r}")
    return raw


def encode_event(
    data: bytes, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> bytes:
    """One event, ready to write: `id`, `retry`, `event` lines, then `data` (one line per line).

    `data` is the payload (a JSON message is a single line; any line breaks in it become
    separate `data:` lines, which a reader joins back with LF). An `id` may not contain
    NUL or a line break; `retry` is milliseconds.
    """
    out = bytearray()
    if id is not None:
        raw_id = _checked("id", id)
        if b"\0" in raw_id:
            raise ValueError(f"an SSE id cannot contain NUL: {id!r}")
        out += b"id: " + raw_id + b"\n"
    if retry is not None:
        if retry < 0:
            raise ValueError(f"an SSE retry must be >= 0 ms, got {retry}")
        out += b"retry: %d\n" % retry
    if event is not None:
        out += b"event: " + _checked("event", event) + b"\n"
    if b"\n" in data or b"\r" in data:
        for line in data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
            out += b"data: " + line + b"\n"
    else:
        out += b"data: " + data + b"\n"
    out += b"\n"
    return bytes(out)


def encode_comment(text: str = "") -> bytes:
    """A comment line (`: text`), ignored by readers: a keep-alive that carries no event."""
    return b": " + _checked("comment", text) + b"\n\n"


__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEError", "SSEEvent", "SSEParser", "encode_comment", "encode_event"]
