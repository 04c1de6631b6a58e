"""`server.run()`'s HTTP protocol: uvicorn's httptools one, a response's head sent with its body.

Served by a real uvicorn on a real socket, read by a raw socket client. Every test
records what reached the connection's real transport: the head goes out in the same write
as the body that follows it, a head nothing follows in its step still goes out at once,
and nothing is reordered, lost or held past a close.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mcp_use.server.http.uvicorn_protocol import HeadJoiningTransport, HTTPProtocol
from mcp_use.server.runner import HTTP_PROTOCOL, uvicorn_config

from .test_features import wait_until
from .test_request_log import make_server


class Recorder:
    """Stands between a protocol and the connection's transport and keeps every write."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def recorded(base: type[HttpToolsProtocol], writes: list[bytes]) -> type[HttpToolsProtocol]:
    class Recorded(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(Recorder(transport, writes))  # type: ignore[arg-type]

    return Recorded


@contextlib.asynccontextmanager
async def served(app: Any, protocol: type[HttpToolsProtocol], **options: Any) -> AsyncIterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, http=protocol, log_level="warning", lifespan="off", loop="asyncio", **options
    )
    runner = uvicorn.Server(config)
    task = asyncio.create_task(runner.serve(sockets=[sock]))
    try:
        await wait_until(lambda: runner.started, 10)
        yield sock.getsockname()[1]
    finally:
        runner.should_exit = True
        async with asyncio.timeout(10):
            await task
        sock.close()


async def exchange(port: int, request: bytes, until: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until `until` has arrived (or the server closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        got = b""
        async with asyncio.timeout(timeout):
            while until not in got:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                got += chunk
        return got
    finally:
        writer.close()


def post(path: str, body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"accept: application/json, text/event-stream\r\n{head}content-length: {len(body)}\r\n\r\n"
    ).encode() + body


MODERN_CALL = orjson.dumps(
    {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {
            "name": "add",
            "arguments": {"a": 2, "b": 3},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
)
MODERN_HEADERS = ("mcp-protocol-version: 2026-07-28", "mcp-method: tools/call", "mcp-name: add")


async def test_run_serves_with_the_joining_protocol() -> None:
    options = uvicorn_config("127.0.0.1", 8000, None, {})
    assert options["http"] == HTTP_PROTOCOL
    module, _, name = HTTP_PROTOCOL.partition(":")
    assert getattr(importlib.import_module(module), name) is HTTPProtocol
    # What the caller passes wins (uvicorn's own protocols stay one keyword away).
    assert uvicorn_config("127.0.0.1", 8000, None, {"http": "h11"})["http"] == "h11"


async def test_an_answer_leaves_in_one_write_where_uvicorn_alone_makes_two() -> None:
    server = make_server()
    for protocol, writes_per_answer in ((HTTPProtocol, 1), (HttpToolsProtocol, 2)):
        writes: list[bytes] = []
        async with served(server.app, recorded(protocol, writes)) as port:
            got = await exchange(port, post("/mcp", MODERN_CALL, *MODERN_HEADERS), b'"isError":false')
        assert got.startswith(b"HTTP/1.1 200 OK\r\n"), got
        assert orjson.loads(got.split(b"\r\n\r\n", 1)[1])["result"]["content"][0]["text"] == "5"
        assert len(writes) == writes_per_answer, (protocol, writes)
        assert b"".join(writes) == got


async def where_from(scope: Any, receive: Any, send: Any) -> None:
    """Answers with the client address and scheme the app was given."""
    body = orjson.dumps({"client": scope["client"][0], "scheme": scope["scheme"]})
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


FORWARDED_CASES = [
    (),
    ("X-Forwarded-For: 203.0.113.9",),
    ("X-Forwarded-Proto: https",),
    ("x-forwarded-for: 203.0.113.9, 198.51.100.2", "X-FORWARDED-PROTO: https"),
    ("X-Forwarded-For: 198.51.100.2", "X-Forwarded-For: 203.0.113.9"),  # repeated: joined
    ("X-Forwarded-Host: example.com",),  # read by the middleware, changes nothing
    ("X-Not-Forwarded-For: 203.0.113.9",),  # a name that only contains the prefix
    ("X-Forwarded-Proto: gopher",),  # a value the middleware refuses
]


async def test_forwarded_headers_change_the_request_exactly_as_uvicorn_alone_does(monkeypatch: Any) -> None:
    """Skipping the proxy-headers middleware where no X-Forwarded-* header is present
    changes nothing: a trusted proxy's headers rewrite client and scheme, an untrusted
    client's are ignored, with the middleware off nothing is read, all as with stock uvicorn."""
    ran: list[int] = []
    middleware_call = ProxyHeadersMiddleware.__call__

    async def counted(self: Any, scope: Any, receive: Any, send: Any) -> None:
        ran.append(1)
        await middleware_call(self, scope, receive, send)

    monkeypatch.setattr(ProxyHeadersMiddleware, "__call__", counted)
    settings: list[dict[str, Any]] = [
        {"forwarded_allow_ips": "127.0.0.1"},
        {"forwarded_allow_ips": "*"},
        {"forwarded_allow_ips": "10.9.8.7"},  # the client is not a trusted proxy
        {"proxy_headers": False},
    ]
    for options in settings:
        answers: dict[type, list[Any]] = {}
        for protocol in (HTTPProtocol, HttpToolsProtocol):
            ran.clear()
            got = answers[protocol] = []
            async with served(where_from, protocol, **options) as port:
                for headers in FORWARDED_CASES:
                    raw = await exchange(port, post("/", b"{}", *headers), b"}")
                    got.append(orjson.loads(raw.split(b"\r\n\r\n", 1)[1]))
            ran_for = len(ran)
            if options.get("proxy_headers") is False:
                assert ran_for == 0
            elif protocol is HTTPProtocol:
                # the first case and the near miss name no x-forwarded- header
                assert ran_for == len(FORWARDED_CASES) - 2, options
            else:
                assert ran_for == len(FORWARDED_CASES), options
        assert answers[HTTPProtocol] == answers[HttpToolsProtocol], options
        first_forwarded = answers[HTTPProtocol][3]
        if options.get("forwarded_allow_ips") == "127.0.0.1":  # the nearest untrusted hop
            assert first_forwarded == {"client": "198.51.100.2", "scheme": "https"}
        elif options.get("forwarded_allow_ips") == "*":  # every hop trusted: the first
            assert first_forwarded == {"client": "203.0.113.9", "scheme": "https"}
        else:
            assert first_forwarded == {"client": "127.0.0.1", "scheme": "http"}
        assert answers[HTTPProtocol][0] == {"client": "127.0.0.1", "scheme": "http"}


async def test_a_head_nothing_follows_goes_out_at_once() -> None:
    """A streamed answer: the head reaches the client long before the first chunk."""
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await release.wait()
        await send({"type": "http.response.body", "body": b"late", "more_body": False})

    writes: list[bytes] = []
    async with served(app, recorded(HTTPProtocol, writes)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        head = b""
        async with asyncio.timeout(2):  # the app holds the body back until told
            while b"\r\n\r\n" not in head:
                head += await reader.read(65536)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"transfer-encoding: chunked" in head
        release.set()
        rest = b""
        async with asyncio.timeout(5):
            while not (head + rest).endswith(b"0\r\n\r\n"):
                rest += await reader.read(65536)
        writer.close()
    assert b"late" in rest
    assert len(writes) == 2 and writes[0].startswith(b"HTTP/1.1 200") and b"late" in writes[1]


async def test_pipelined_requests_are_answered_in_order() -> None:
    server = make_server()
    calls = b"".join(
        post(
            "/mcp",
            MODERN_CALL.replace(b'"id":7', f'"id":{i}'.encode()).replace(b'"a":2', f'"a":{i}'.encode()),
            *MODERN_HEADERS,
        )
        for i in range(5)
    )
    writes: list[bytes] = []
    async with served(server.app, recorded(HTTPProtocol, writes)) as port:
        got = await exchange(port, calls, b'"id":4,')
    answers = got.split(b"HTTP/1.1 200 OK\r\n")[1:]
    ids = [orjson.loads(a.split(b"\r\n\r\n", 1)[1])["id"] for a in answers]
    texts = [orjson.loads(a.split(b"\r\n\r\n", 1)[1])["result"]["content"][0]["text"] for a in answers]
    assert ids == [0, 1, 2, 3, 4] and texts == [str(i + 3) for i in range(5)]
    assert len(writes) == 5


async def test_a_refusal_that_closes_the_connection_is_sent_whole() -> None:
    writes: list[bytes] = []
    async with served(make_server().app, recorded(HTTPProtocol, writes)) as port:
        got = await exchange(port, b"NOT HTTP AT ALL\r\n\r\n", b"never")
    assert got.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"connection: close" in got
    assert b"".join(writes) == got


async def test_expect_continue_gets_its_interim_answer_then_the_final_one() -> None:
    writes: list[bytes] = []
    async with served(make_server().app, recorded(HTTPProtocol, writes)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = post("/mcp", MODERN_CALL, *MODERN_HEADERS, "expect: 100-continue")
        head, body = request.split(b"\r\n\r\n", 1)
        writer.write(head + b"\r\n\r\n")
        got = b""
        async with asyncio.timeout(2):
            while b"100 Continue\r\n\r\n" not in got:
                got += await reader.read(65536)
        writer.write(body)
        async with asyncio.timeout(5):
            while b'"isError":false' not in got:
                got += await reader.read(65536)
        writer.close()
    assert got.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert b"".join(writes) == got


async def test_a_large_answer_arrives_whole_through_flow_control() -> None:
    big = bytes(range(256)) * 40_000  # 10 MB, far past the transport's high-water mark

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-length", str(len(big)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(0, len(big), 1 << 20):
            await send({"type": "http.response.body", "body": big[i : i + (1 << 20)], "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    writes: list[bytes] = []
    async with served(app, recorded(HTTPProtocol, writes)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        got = await reader.readuntil(b"\r\n\r\n")
        async with asyncio.timeout(20):
            body = await reader.readexactly(len(big))
        writer.close()
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and body == big
    assert writes[0].startswith(b"HTTP/1.1 200 OK") and writes[0].endswith(big[: 1 << 20])


class Written:
    """The transport underneath, for the cases a live socket cannot stage."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.aborted = self.closing = True

    def close(self) -> None:
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0


async def test_abort_drops_a_held_head_and_a_gone_peer_gets_no_late_write() -> None:
    loop = asyncio.get_running_loop()
    under = Written()
    joined = HeadJoiningTransport(under, loop)  # type: ignore[arg-type]
    joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
    assert joined.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\n")
    joined.abort()
    await asyncio.sleep(0)
    assert under.writes == [] and under.aborted

    under = Written()
    joined = HeadJoiningTransport(under, loop)  # type: ignore[arg-type]
    joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
    under.closing = True  # the connection went away before the loop's next turn
    await asyncio.sleep(0)
    assert under.writes == []

    under = Written()
    joined = HeadJoiningTransport(under, loop)  # type: ignore[arg-type]
    joined.writelines([b"HTTP/1.1 200 OK\r\n", b"\r\n"])
    joined.writelines([memoryview(b"body")])
    joined.write(bytearray(b"more"))
    assert under.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"more"]
