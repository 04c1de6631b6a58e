"""`server.run()`'s protocol answers a complete plain call in the read that brought it.

`http/uvicorn_protocol.py` offers a request whose headers and whole body arrive in one
read to the lane's `answer_now` before uvicorn builds its request cycle. Here the same
bytes go, over real sockets, to two copies of one server: one on that protocol, one on
stock uvicorn (`HttpToolsProtocol`, the lane then answering the ASGI way). Every
response must be the same bytes (the Date header aside), in the same order, for the
calls answered at once and for every request that must go the ASGI way instead: a body
split across reads, pipelining behind a call in flight, `Expect: 100-continue`,
HTTP/1.0, `Connection: close`, a query string, forwarded headers, chunked and oversized
bodies, malformed JSON, an unknown tool. A spy on `answer_now` checks which path each
request took, so a test cannot pass by never taking the fast one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mcp_use import Context, MCPServer
from mcp_use.server.http.uvicorn_protocol import HELD_BODY_LIMIT, AnsweringHTTPProtocol, HTTPProtocol

from .test_uvicorn_protocol import MODERN_CALL, MODERN_HEADERS, post, served

DATE = re.compile(rb"^date: [^\r]*\r\n", re.M | re.I)


def build() -> MCPServer:
    server = MCPServer("answer-now")

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool()
    async def slow(seconds: float, ctx: Context) -> str:
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    return server


class Spy:
    """Counts what `answer_now` answered and declined."""

    def __init__(self, lane: Any) -> None:
        self.answered = 0
        self.declined = 0
        self._answer_now = lane.answer_now
        lane.answer_now = self

    def __call__(self, scope: Any, body: bytes) -> Any:
        answer = self._answer_now(scope, body)
        if answer is None:
            self.declined += 1
        else:
            self.answered += 1
        return answer


@contextlib.asynccontextmanager
async def both(**options: Any) -> AsyncIterator[tuple[int, int, Spy]]:
    """Ports of the server on our protocol and on stock uvicorn, and the former's spy;
    uvicorn configured as `server.run()` configures it (no access log) unless told."""
    options.setdefault("access_log", False)
    ours, stock = build(), build()
    ours_app, stock_app = ours._served(ours.app), stock._served(stock.app)
    spy = Spy(ours_app)
    async with (
        served(ours_app, HTTPProtocol, **options) as port,
        served(stock_app, HttpToolsProtocol, **options) as stock_port,
    ):
        for each in (port, stock_port):  # the first request readies the lane (through the app)
            assert b'"text":"5"' in b"".join(
                await talk(each, [post("/mcp", MODERN_CALL, *MODERN_HEADERS)], 1)
            )
        spy.answered = spy.declined = 0
        yield port, stock_port, spy


async def read_response(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP response (content-length or chunked), or None at the end of the stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial or None
    if head.startswith(b"HTTP/1.1 100 "):
        return head
    length = re.search(rb"\r\ncontent-length: (\d+)\r\n", head, re.I)
    if length is not None:
        return head + await reader.readexactly(int(length.group(1)))
    if re.search(rb"\r\ntransfer-encoding: chunked\r\n", head, re.I):
        body = b""
        while not body.endswith(b"0\r\n\r\n"):
            body += await reader.readuntil(b"\r\n")
        return head + body
    return head + await reader.read()


async def talk(port: int, chunks: list[bytes], responses: int, pause: float = 0.05) -> list[bytes]:
    """Send `chunks` on one connection (a pause between them, so each is a read of its
    own), then read `responses` responses, or fewer if the server closes first."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i, chunk in enumerate(chunks):
            if i:
                await asyncio.sleep(pause)
            writer.write(chunk)
            await writer.drain()
        got: list[bytes] = []
        async with asyncio.timeout(10):
            while len(got) < responses:
                response = await read_response(reader)
                if response is None:
                    break
                got.append(response)
        return got
    finally:
        writer.close()


def dateless(responses: list[bytes]) -> list[bytes]:
    return [DATE.sub(b"", response) for response in responses]


def modern_call(name: str, arguments: dict[str, Any], request_id: int = 7) -> bytes:
    message = orjson.loads(MODERN_CALL)
    message["id"] = request_id
    message["params"]["name"] = name
    message["params"]["arguments"] = arguments
    return orjson.dumps(message)


def headers_for(name: str) -> tuple[str, ...]:
    return ("mcp-protocol-version: 2026-07-28", "mcp-method: tools/call", f"mcp-name: {name}")


def call_request(name: str = "add", arguments: dict[str, Any] | None = None, request_id: int = 7) -> bytes:
    body = modern_call(name, {"a": 2, "b": 3} if arguments is None else arguments, request_id)
    return post("/mcp", body, *headers_for(name))


async def same_both_ways(
    chunks: list[bytes], responses: int, answered: int, declined: int, **options: Any
) -> list[bytes]:
    """The dateless responses, after checking both servers sent them and the fast path
    answered and declined as many requests as the case says."""
    async with both(**options) as (port, stock_port, spy):
        ours = await talk(port, chunks, responses)
        stock = await talk(stock_port, chunks, responses)
        assert dateless(ours) == dateless(stock)
        assert len(ours) == responses, ours
        assert (spy.answered, spy.declined) == (answered, declined)
    return dateless(ours)


async def test_a_plain_call_is_answered_in_its_read_as_uvicorn_would_answer_it() -> None:
    got = await same_both_ways([call_request()], 1, answered=1, declined=0)
    assert got[0].startswith(b"HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncontent-type: application/json\r\n")
    assert orjson.loads(got[0].split(b"\r\n\r\n", 1)[1])["result"]["structuredContent"] == {"result": 5}


async def test_requests_pipelined_in_one_read_are_all_answered_in_order() -> None:
    requests = b"".join(call_request(arguments={"a": i, "b": 1}, request_id=i) for i in range(5))
    got = await same_both_ways([requests], 5, answered=5, declined=0)
    assert [orjson.loads(r.split(b"\r\n\r\n", 1)[1])["id"] for r in got] == list(range(5))


async def test_a_call_behind_one_in_flight_waits_its_turn() -> None:
    """Pipelined behind a call the ASGI way is still serving, a plain call is not
    answered first: it goes the ASGI way too, after it."""
    requests = call_request("slow", {"seconds": 0.3}, request_id=1) + call_request(request_id=2)
    got = await same_both_ways([requests], 2, answered=0, declined=1)
    assert [orjson.loads(r.split(b"\r\n\r\n", 1)[1])["id"] for r in got] == [1, 2]


async def test_a_body_in_a_later_read_goes_the_asgi_way() -> None:
    request = call_request()
    head, body = request.split(b"\r\n\r\n", 1)
    await same_both_ways([head + b"\r\n\r\n" + body[:10], body[10:]], 1, answered=0, declined=0)


async def test_declined_requests_get_the_answers_of_the_asgi_way() -> None:
    cases = [  # request, answered at once, status
        (post("/mcp", b'{"jsonrpc": "2.0", "id": 1,', *MODERN_HEADERS), False, b"400"),
        (call_request("nope", {}), False, b"200"),  # an unknown tool: a JSON-RPC error
        (call_request(arguments={"a": "two", "b": 3}), True, b"200"),  # a tool error
        (call_request("slow", {"seconds": 0}), False, b"200"),
        (post("/mcp", modern_call("add", {"a": 2, "b": 3}), *headers_for("slow")), False, b"400"),
        (post("/mcp", b"[]", *MODERN_HEADERS), False, b"400"),
    ]
    for request, at_once, status in cases:
        got = await same_both_ways([request], 1, answered=int(at_once), declined=int(not at_once))
        assert got[0][9:12] == status, got
    # a declined request pipelined before a plain call: the call then waits its turn
    bad_then_good = cases[0][0] + call_request(request_id=9)
    got = await same_both_ways([bad_then_good], 2, answered=0, declined=1)
    assert [r[9:12] for r in got] == [b"400", b"200"]


async def test_requests_uvicorn_serves_its_own_way_are_not_offered() -> None:
    body = modern_call("add", {"a": 2, "b": 3})
    cases = [
        post("/mcp?x=1", body, *MODERN_HEADERS),
        post("/mcp", body, *MODERN_HEADERS, "x-forwarded-for: 203.0.113.9"),
        post("/mcp", body, *MODERN_HEADERS, "x-forwarded-proto: https"),
        post("/%6dcp", body, *MODERN_HEADERS),
    ]
    for request in cases:  # each on its own connection: nothing in flight before it
        await same_both_ways([request], 1, answered=0, declined=0)
    expect = post("/mcp", body, *MODERN_HEADERS, "expect: 100-continue")
    got = await same_both_ways([expect], 2, answered=0, declined=0)
    assert got[0].startswith(b"HTTP/1.1 100 Continue")
    http10 = post("/mcp", body, *MODERN_HEADERS).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    got = await same_both_ways([http10], 1, answered=0, declined=0)
    assert b"\r\nconnection: close\r\n" in got[0]
    closing = post("/mcp", body, *MODERN_HEADERS, "connection: close")
    await same_both_ways([closing + call_request()], 1, answered=0, declined=0)


async def test_chunked_and_oversized_bodies() -> None:
    """A chunked body complete in its read is offered whole; one past the held limit
    goes the ASGI way from the chunk that passes it (the server's own size limit
    answering it there)."""
    body = modern_call("add", {"a": 2, "b": 3})
    head = post("/mcp", b"", *MODERN_HEADERS).replace(
        b"content-length: 0\r\n", b"transfer-encoding: chunked\r\n"
    )
    chunked = head + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    await same_both_ways([chunked], 1, answered=1, declined=0)
    padding = b" " * (HELD_BODY_LIMIT + 10)
    big = post("/mcp", body[:-1] + padding + b"}", *MODERN_HEADERS)
    got = await same_both_ways([big], 1, answered=0, declined=0)
    assert got[0].startswith(b"HTTP/1.1 200 OK"), got  # under the server's own 4 MiB limit
    huge = post("/mcp", body[:-1] + b" " * (5 * 1024 * 1024) + b"}", *MODERN_HEADERS)
    got = await same_both_ways([huge], 1, answered=0, declined=0)
    assert got[0].startswith(b"HTTP/1.1 413 "), got[0][:200]


async def test_a_malformed_request_after_a_held_one_is_refused_and_nothing_runs() -> None:
    head = post("/mcp", b"", *MODERN_HEADERS).replace(
        b"content-length: 0\r\n", b"transfer-encoding: chunked\r\n"
    )
    async with both() as (port, _stock_port, spy):
        got = await talk(port, [head + b"zz\r\nnot a chunk\r\n"], 1)
        assert got[0].startswith(b"HTTP/1.1 400 Bad Request"), got
        assert (spy.answered, spy.declined) == (0, 0)
        # the server goes on serving
        again = await talk(port, [call_request()], 1)
        assert b'"structuredContent":{"result":5}' in again[0]
        assert spy.answered == 1


async def test_the_keep_alive_timeout_never_cuts_a_call_in_flight() -> None:
    """An answer at once arms the idle timer; a call the ASGI way that follows in the
    same read disarms it, however long it runs."""
    requests = call_request(request_id=1) + call_request("slow", {"seconds": 1.5}, request_id=2)
    got = await same_both_ways([requests], 2, answered=1, declined=1, timeout_keep_alive=1)
    assert [orjson.loads(r.split(b"\r\n\r\n", 1)[1])["id"] for r in got] == [1, 2]
    async with both(timeout_keep_alive=1) as (port, _stock_port, _spy):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(call_request())
        assert b'"result":5' in (await read_response(reader) or b"")
        async with asyncio.timeout(5):  # idle after an answer at once: closed by the timer
            assert await reader.read() == b""
        writer.close()


async def test_an_access_log_or_a_concurrency_limit_turns_the_fast_path_off() -> None:
    for options in ({"access_log": True}, {"limit_concurrency": 100}, {"root_path": "/base"}):
        async with both(**options) as (port, _stock_port, spy):
            await talk(port, [call_request()], 1)
            assert (spy.answered, spy.declined) == (0, 0), options


async def test_only_an_app_offering_answer_now_gets_the_answering_protocol() -> None:
    """Any other app (the server's own app, a user's middleware around it) keeps the
    plain joining protocol, without the parser callbacks answering needs."""
    server = build()
    cases = [(server._served(server.app), AnsweringHTTPProtocol), (server.app, HTTPProtocol)]
    for proxy_headers in (True, False):
        for app, expected in cases:
            config = uvicorn.Config(app, http=HTTPProtocol, lifespan="off", proxy_headers=proxy_headers)
            config.load()
            loop = asyncio.get_running_loop()
            protocol = HTTPProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
            assert type(protocol) is expected, (app, proxy_headers)
