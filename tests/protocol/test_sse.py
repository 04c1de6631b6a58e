"""protocol/sse.py: the event-stream writer and the incremental reader, against the standard.

The reader is checked three ways: a table of the WHATWG rules (line endings, BOM,
comments, field parsing), a differential property test against a literal transcription
of the standard's algorithm (any bytes, any chunking), and round trips of the writer.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_use.protocol.sse import SSEError, SSEEvent, SSEParser, encode_comment, encode_event


def parse(raw: bytes, sizes: list[int] | None = None) -> tuple[list[SSEEvent], SSEParser]:
    """Feed `raw` in chunks of the given sizes (the rest in one chunk)."""
    parser = SSEParser()
    events: list[SSEEvent] = []
    at = 0
    for size in sizes or []:
        events += parser.feed(raw[at : at + size])
        at += size
    events += parser.feed(raw[at:])
    return events, parser


def reference(raw: bytes) -> tuple[list[tuple[str, str, str, int | None]], str, int | None]:
    """The standard's algorithm, transcribed literally: decode, split lines, interpret."""
    text = raw.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split("\r\n|\r|\n", text)
    lines.pop()  # the last piece has no line ending: never interpreted
    events: list[tuple[str, str, str, int | None]] = []
    data, kind, last_id, retry = "", "", "", None
    for line in lines:
        if line == "":
            if data:
                events.append((data.removesuffix("\n"), kind or "message", last_id, retry))
            data, kind = "", ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data += value + "\n"
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return events, last_id, retry


def as_tuples(events: list[SSEEvent]) -> list[tuple[str, str, str, int | None]]:
    return [(e.data, e.event, e.id, e.retry) for e in events]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"data: hello\n\n", [("hello", "message", "", None)]),
        (b"data: a\r\ndata: b\r\n\r\n", [("a\nb", "message", "", None)]),
        (b"data: a\rdata: b\r\r", [("a\nb", "message", "", None)]),
        (b"\xef\xbb\xbfdata: bom\n\n", [("bom", "message", "", None)]),
        (b"data: x\n\n\xef\xbb\xbfdata: y\n\n", [("x", "message", "", None)]),  # a later BOM: a bad field
        (b": keep-alive\n\ndata: after\n\n", [("after", "message", "", None)]),
        (b"event: endpoint\ndata: /messages?s=1\n\n", [("/messages?s=1", "endpoint", "", None)]),
        (b"data:no-space\ndata:  two\n\n", [("no-space\n two", "message", "", None)]),
        (b"data\n\n", [("", "message", "", None)]),  # a field with no colon: empty value
        (b"id: 7\nretry: 1500\ndata: \n\n", [("", "message", "7", 1500)]),  # a priming event
        (b"id: 1\ndata: a\n\nid\ndata: b\n\n", [("a", "message", "1", None), ("b", "message", "", None)]),
        (b"id: a\0b\ndata: x\n\n", [("x", "message", "", None)]),  # NUL in id: ignored
        (b"retry: 5s\ndata: x\n\n", [("x", "message", "", None)]),  # not digits: ignored
        (b"event: e\n\ndata: x\n\n", [("x", "message", "", None)]),  # no data: no event, type reset
        (b"data: \xff\xfe\n\n", [("\ufffd\ufffd", "message", "", None)]),  # bad UTF-8 replaced
        (b"data: unterminated", []),
        (b"data: x\n", []),  # no blank line yet: not dispatched
        (b"foo: bar\ndata: x\n\n", [("x", "message", "", None)]),  # unknown fields ignored
    ],
)
def test_the_standards_rules(raw: bytes, expected: list[tuple[str, str, str, int | None]]) -> None:
    events, _ = parse(raw)
    assert as_tuples(events) == expected
    one_by_one, _ = parse(raw, [1] * len(raw))
    assert as_tuples(one_by_one) == expected


def test_id_and_retry_are_stream_state_even_without_an_event() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 42\nretry: 250\n\n") == []
    assert parser.last_event_id == "42" and parser.retry == 250
    assert parser.feed(b"data: later\n\n") == [SSEEvent("later", "message", "42", 250)]


def test_a_crlf_split_across_chunks_is_one_line_ending() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n") == []  # the LF pairs with the CR: not a blank line
    assert parser.feed(b"\r\n") == [SSEEvent("a")]


def test_size_limit_is_a_clean_error() -> None:
    with pytest.raises(SSEError, match="longer than 64 bytes"):
        SSEParser(max_event_bytes=64).feed(b"data: " + b"x" * 100)  # one unterminated line
    parser = SSEParser(max_event_bytes=64)
    with pytest.raises(SSEError, match="larger than 64 bytes"):
        for _ in range(10):
            parser.feed(b"data: " + b"y" * 10 + b"\n")  # many lines, one event
    ok = SSEParser(max_event_bytes=64)
    for _ in range(20):  # the limit is per event, not per stream
        assert ok.feed(b"data: " + b"z" * 30 + b"\n\n") == [SSEEvent("z" * 30)]


PIECES = st.sampled_from(
    [
        b"data:",
        b"data: x",
        b"data: {}",
        b"event: e",
        b"event",
        b"id: 7",
        b"id: a\0b",
        b"id",
        b"retry: 10",
        b"retry: x",
        b"retry:",
        b": c",
        b"\n",
        b"\r",
        b"\r\n",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\xe2\x82",
        b"\xac",
        b" ",
        b":",
        b"data",
    ]
)
STREAMS = st.one_of(st.binary(max_size=300), st.lists(PIECES, max_size=60).map(b"".join))


@settings(max_examples=400, deadline=None)
@given(raw=STREAMS, cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=12))
def test_any_bytes_any_chunking_matches_the_standard(raw: bytes, cuts: list[int]) -> None:
    expected_events, expected_id, expected_retry = reference(raw)
    whole, parser = parse(raw)
    assert as_tuples(whole) == expected_events
    assert (parser.last_event_id, parser.retry) == (expected_id, expected_retry)
    chunked, chunked_parser = parse(raw, cuts)
    assert as_tuples(chunked) == expected_events
    assert (chunked_parser.last_event_id, chunked_parser.retry) == (expected_id, expected_retry)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=2000), limit=st.integers(min_value=1, max_value=64))
def test_a_small_limit_gives_events_or_sse_error_never_anything_else(raw: bytes, limit: int) -> None:
    parser = SSEParser(max_event_bytes=limit)
    try:
        for i in range(0, len(raw), 7):
            for event in parser.feed(raw[i : i + 7]):
                assert len(event.data.encode("utf-8", "surrogatepass")) <= limit * 3
    except SSEError:
        pass


LINE_FREE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    data=st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
    event=st.one_of(st.none(), LINE_FREE.filter(bool)),
    id=st.one_of(st.none(), LINE_FREE.filter(lambda s: "\0" not in s)),
    retry=st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
)
def test_what_the_writer_writes_the_reader_reads(
    data: str, event: str | None, id: str | None, retry: int | None
) -> None:
    wire = encode_event(data.encode(), event=event, id=id, retry=retry)
    events, parser = parse(encode_comment("ping") + wire + wire)
    normal = data.replace("\r\n", "\n").replace("\r", "\n")
    one = SSEEvent(normal, event or "message", id or "", retry)
    assert events == [one, one]
    assert parser.last_event_id == (id or "")


def test_writer_fast_path_and_refusals() -> None:
    assert encode_event(b'{"jsonrpc":"2.0"}') == b'data: {"jsonrpc":"2.0"}\n\n'
    assert encode_event(b"x", event="message", id="3", retry=500) == (
        b"id: 3\nretry: 500\nevent: message\ndata: x\n\n"
    )
    assert encode_event(b"a\r\nb") == b"data: a\ndata: b\n\n"
    assert encode_comment() == b": \n\n"
    for bad in ({"id": "a\nb"}, {"id": "a\0b"}, {"event": "x\ry"}, {"retry": -1}):
        with pytest.raises(ValueError):
            encode_event(b"x", **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode_comment("two\nlines")
