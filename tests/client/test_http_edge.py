"""The client's HTTP edge on aiohttp: pooling, auth hook, redirects, TLS, deadlines, cancellation.

Every test talks to a real server on 127.0.0.1 (a scripted aiohttp.web app, or our own
server in a process), and each failure must come back as one of our typed errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mcp_use import MCPClient
from mcp_use.client import (
    ClientSession,
    ConnectError,
    HTTPStatusError,
    RequestTimedOut,
    ServerDisconnected,
    ServerError,
    TransportError,
)
from mcp_use.client.transports import BearerAuth, SSEClientTransport, StreamableHTTPClientTransport
from mcp_use.client.transports.http import HTTPPool, translate
from mcp_use.protocol.sse import encode_event

from .conftest import CLIENT_SERVER, start_http
from .scripted import modern_preamble, rpc_result, scripted_server, scripted_session, tool_handler


def modern_handler(seen: list[web.Request] | None = None, *, text: str = "ok") -> Any:
    """A minimal 2026-07-28 server: discover and a tools/call answering `text`."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if seen is not None:
            seen.append(request)
        body = json.loads(await request.read())
        early = modern_preamble(body)
        if early is not None:
            return early
        return rpc_result(body["id"], {"content": [{"type": "text", "text": text}]})

    return handler


async def test_one_pool_per_client_and_connections_are_reused() -> None:
    async with scripted_server(modern_handler(text="a")) as a, scripted_server(modern_handler(text="b")) as b:
        config = {"mcpServers": {"a": {"url": a.url()}, "b": {"url": b.url()}}}
        async with MCPClient(config) as client:
            sa, sb = client.get_session("a"), client.get_session("b")
            pools = {id(s.transport._pool) for s in (sa, sb)}  # type: ignore[attr-defined]
            assert pools == {id(client.http)}
            for _ in range(30):
                assert (await sa.call_tool("t", {})).content[0].text == "a"
            await asyncio.gather(*(sb.call_tool("t", {}) for _ in range(8)))
            aio = client.http.session()
        assert aio.closed  # the client closed its pool
        assert len(a.peers) == 1, a.peers  # 31 sequential requests, one keep-alive connection
        assert 1 <= len(b.peers) <= 8


async def test_a_transport_alone_owns_and_closes_its_pool() -> None:
    async with scripted_server(modern_handler()) as fake:
        session = scripted_session(fake.url())
        async with session:
            pool: HTTPPool = session.transport._pool  # type: ignore[attr-defined]
            assert not pool.closed
        assert pool.closed


async def test_a_pool_given_an_aiohttp_session_does_not_close_it() -> None:
    import aiohttp

    async with scripted_server(modern_handler()) as fake, aiohttp.ClientSession() as mine:
        pool = HTTPPool(mine)
        transport = StreamableHTTPClientTransport("fake", fake.url(), pool=pool)
        async with ClientSession(transport, timeout=5) as session:
            assert (await session.call_tool("t", {})).content[0].text == "ok"
        await pool.close()
        assert not mine.closed


async def test_a_traced_aiohttp_session_hears_every_answer_body() -> None:
    """A session passed in with aiohttp tracing keeps its chunk-received signal for every
    answer (ours read a whole small answer straight from the buffer, untraced)."""
    import aiohttp

    chunks: list[bytes] = []

    async def on_chunk(_session: Any, _ctx: Any, params: Any) -> None:
        chunks.append(params.chunk)

    trace = aiohttp.TraceConfig()
    trace.on_response_chunk_received.append(on_chunk)
    async with scripted_server(modern_handler(text="traced")) as fake:
        async with aiohttp.ClientSession(trace_configs=[trace]) as mine:
            pool = HTTPPool(mine)
            assert pool.traced
            transport = StreamableHTTPClientTransport("fake", fake.url(), pool=pool)
            async with ClientSession(transport, timeout=5) as session:
                before = len(chunks)
                assert (await session.call_tool("t", {})).content[0].text == "traced"
                assert len(chunks) > before and b'"traced"' in chunks[-1]  # (tools/list came first)
        own = HTTPPool()
        own.session()
        assert not own.traced
        await own.close()


class RotatingAuth:
    """Refuses nothing itself; when the server says 401 it "refreshes" to the next token."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.seen: list[tuple[int, str, str]] = []
        self.carried: list[str | None] = []

    async def headers(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[0]}"}

    async def on_response(
        self,
        status: int,
        headers: Mapping[str, str],
        method: str,
        url: str,
        *,
        authorization: str | None = None,
    ) -> bool:
        self.seen.append((status, method, headers.get("x-nonce", "")))
        self.carried.append(authorization)
        if status == 401 and len(self.tokens) > 1:
            self.tokens.pop(0)
            return True
        return False


async def test_auth_hook_sees_every_response_and_resends_after_a_refresh() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("authorization") != "Bearer good":
            return web.json_response({"error": "invalid_token"}, status=401)
        return await modern_handler()(request)

    async with scripted_server(handler) as fake:
        auth = RotatingAuth(["stale", "good"])
        async with scripted_session(fake.url(), auth=auth) as session:
            assert (await session.call_tool("t", {})).content[0].text == "ok"
        # discover (401, resent: 200), tools/list (for x-mcp-header), tools/call: 2xx reach the hook too
        assert [s for s, _, _ in auth.seen] == [401, 200, 200, 200]
        assert auth.carried == ["Bearer stale", "Bearer good", "Bearer good", "Bearer good"]
        assert {m for _, m, _ in auth.seen} == {"POST"}


async def test_auth_resends_at_most_three_times_in_a_row() -> None:
    hits: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        hits.append(request.headers.get("authorization", ""))
        return web.json_response({"error": "invalid_token"}, status=401)

    async with scripted_server(handler) as fake:
        auth = RotatingAuth([f"t{i}" for i in range(10)])
        session = scripted_session(fake.url(), mode="2026-07-28", auth=auth)
        with pytest.raises(HTTPStatusError) as info:
            await session.connect()
        assert info.value.status == 401
        assert hits == ["Bearer t0", "Bearer t1", "Bearer t2", "Bearer t3"]


async def test_config_bearer_string_becomes_bearer_auth_and_a_header_wins() -> None:
    seen: list[web.Request] = []
    async with scripted_server(modern_handler(seen)) as fake:
        config = {"mcpServers": {"tok": {"url": fake.url(), "auth": "abc"}}}
        async with MCPClient(config) as client:
            await client.get_session("tok").call_tool("t", {})
            assert isinstance(client.get_session("tok").transport.auth, BearerAuth)  # type: ignore[attr-defined]
        assert {r.headers["authorization"] for r in seen} == {"Bearer abc"}
        seen.clear()
        explicit = {"url": fake.url(), "auth": "abc", "headers": {"Authorization": "Token xyz"}}
        async with MCPClient({"mcpServers": {"h": explicit}}) as client:
            await client.get_session("h").call_tool("t", {})
        assert {r.headers["authorization"] for r in seen} == {"Token xyz"}
    assert "abc" not in repr(BearerAuth("abc"))
    with pytest.raises(ValueError):
        BearerAuth("a\r\nX-Evil: 1")


async def test_redirects_followed_loops_refused_and_authorization_kept_to_its_origin() -> None:
    seen: list[web.Request] = []
    async with scripted_server(modern_handler(seen)) as other:

        async def handler(request: web.Request) -> web.StreamResponse:
            if request.path == "/mcp":
                raise web.HTTPTemporaryRedirect("/mcp/")  # Starlette's mount redirect
            if request.path == "/away":
                raise web.HTTPPermanentRedirect(other.url("/mcp"))
            if request.path == "/loop":
                raise web.HTTPTemporaryRedirect("/loop")
            return await modern_handler(seen)(request)

        async with scripted_server(handler) as fake:
            async with scripted_session(fake.url("/mcp"), auth=BearerAuth("s3cret")) as session:
                assert (await session.call_tool("t", {})).content[0].text == "ok"
            assert seen and all(r.headers.get("authorization") == "Bearer s3cret" for r in seen)
            seen.clear()
            async with scripted_session(fake.url("/away"), auth=BearerAuth("s3cret")) as session:
                assert (await session.call_tool("t", {})).content[0].text == "ok"
            assert seen and all("authorization" not in r.headers for r in seen)  # another origin
            started = time.monotonic()
            with pytest.raises(TransportError, match="redirects"):
                await scripted_session(fake.url("/loop"), mode="2026-07-28").connect()
            assert time.monotonic() - started < 2


async def test_dead_url_fails_at_once_with_a_typed_error() -> None:
    async with scripted_server(modern_handler()) as fake:
        url = fake.url()
    started = time.monotonic()  # the server is gone: its port refuses connections
    with pytest.raises(ServerDisconnected, match=r"connection refused by 127\.0\.0\.1:") as info:
        await scripted_session(url, mode="2026-07-28").connect()
    assert info.value.server == "fake" and time.monotonic() - started < 1
    with pytest.raises(ConnectError):  # SSE too: the GET stream never opens
        await SSEClientTransport("fake", url, connect_timeout=1).start()


async def test_status_bodies_and_garbage_streams() -> None:
    async def answer(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        name = body["params"]["name"]
        if name == "jsonrpc_error":
            error = {"code": -32602, "message": "Unknown tool: jsonrpc_error"}
            return web.json_response({"jsonrpc": "2.0", "id": body["id"], "error": error}, status=404)
        if name == "html_500":
            return web.Response(status=500, text="<h1>Internal Server Error</h1>", content_type="text/html")
        if name == "binary_sse":
            return web.Response(body=b"\xff\xfe\x00data: \xc3(\n\n", content_type="text/event-stream")
        if name == "chunked_sse":
            response = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await response.prepare(request)
            wire = encode_event(
                json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": {"content": []}}).encode(), id="1"
            )
            for i in range(0, len(wire), 3):  # the answer in 3-byte pieces
                await response.write(wire[i : i + 3])
                await asyncio.sleep(0)
            return response
        return web.Response(status=418)

    async with scripted_server(tool_handler(answer)) as fake:
        async with scripted_session(fake.url()) as session:
            with pytest.raises(ServerError) as rpc:
                await session.call_tool("jsonrpc_error", {})
            assert rpc.value.code == -32602 and rpc.value.http_status == 404
            with pytest.raises(HTTPStatusError, match=r"HTTP 500.*Internal Server Error"):
                await session.call_tool("html_500", {})
            with pytest.raises(TransportError, match="ended before its answer"):
                await session.call_tool("binary_sse", {})
            assert (await session.call_tool("chunked_sse", {})).content == []
            with pytest.raises(HTTPStatusError, match="418"):
                await session.call_tool("teapot", {})


async def test_json_answers_whole_in_pieces_compressed_and_cut_off() -> None:
    """A JSON answer is read whole however it arrives: at once with its headers (taken from
    the buffer), chunked in pieces (read until the end), gzip-compressed (decompressed
    first); one cut off mid-body is a typed error, and the next call works."""
    import gzip

    big = "x" * 300_000

    async def answer(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        name = body["params"]["name"]
        reply = {"jsonrpc": "2.0", "id": body["id"], "result": {"content": [{"type": "text", "text": name}]}}
        if name == "big":
            reply["result"]["content"][0]["text"] = big
        wire = json.dumps(reply).encode()
        if name in ("pieces", "big"):
            response = web.StreamResponse(headers={"content-type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for i in range(0, len(wire), max(1, len(wire) // 7)):
                await response.write(wire[i : i + max(1, len(wire) // 7)])
                await asyncio.sleep(0.01)
            await response.write_eof()
            return response
        if name == "gzip":
            packed = gzip.compress(wire)
            headers = {"content-type": "application/json", "content-encoding": "gzip"}
            return web.Response(body=packed, headers=headers)
        if name == "cut":
            headers = {"content-type": "application/json", "content-length": str(len(wire) + 50)}
            response = web.StreamResponse(headers=headers)
            await response.prepare(request)
            await response.write(wire[:20])
            await asyncio.sleep(0.05)
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(body=wire, content_type="application/json")

    async with scripted_server(tool_handler(answer)) as fake:
        async with scripted_session(fake.url()) as session:
            assert (await session.call_tool("whole", {})).content[0].text == "whole"
            assert (await session.call_tool("pieces", {})).content[0].text == "pieces"
            assert (await session.call_tool("big", {})).content[0].text == big
            assert (await session.call_tool("gzip", {})).content[0].text == "gzip"
            with pytest.raises(ServerDisconnected, match=r"tools/call at .*broke off"):
                await session.call_tool("cut", {})
            assert (await session.call_tool("again", {})).content[0].text == "again"


async def test_deadline_and_cancellation_close_the_request() -> None:
    aborted: list[str] = []
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        early = modern_preamble(body)
        if early is not None:
            return early
        try:
            await asyncio.wait_for(release.wait(), 30)
        except asyncio.CancelledError:
            aborted.append(body["params"]["name"])  # the client hung up
            raise
        return rpc_result(body["id"], {"content": []})

    async with scripted_server(handler) as fake:
        async with scripted_session(fake.url()) as session:
            started = time.monotonic()
            with pytest.raises(RequestTimedOut):
                await session.call_tool("slow", {}, timeout=0.3)
            assert time.monotonic() - started < 1.5
            call = asyncio.ensure_future(session.call_tool("cancelled", {}))
            await asyncio.sleep(0.2)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            for _ in range(50):
                if len(aborted) == 2:
                    break
                await asyncio.sleep(0.05)
            assert sorted(aborted) == ["cancelled", "slow"]


# ---- TLS: a private CA, trusted only through SSL_CERT_FILE ---------------------------------
@pytest.fixture
def private_ca(tmp_path: Path) -> Iterator[tuple[Path, ssl.SSLContext]]:
    """(CA bundle path, server TLS context for `localhost`/127.0.0.1 signed by that CA)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcp-use test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_file, key_file)
    yield ca_file, server_ctx


async def test_tls_untrusted_is_a_connect_error_and_ssl_cert_file_trusts(
    private_ca: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file, server_ctx = private_ca
    async with scripted_server(modern_handler(), tls=server_ctx) as fake:
        assert fake.url().startswith("https://localhost:")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        with pytest.raises(ConnectError, match="certificate is not trusted"):
            await scripted_session(fake.url(), mode="2026-07-28").connect()
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # read when the pool's first https request goes out
        async with MCPClient({"mcpServers": {"tls": {"url": fake.url()}}}) as client:
            assert (await client.get_session("tls").call_tool("t", {})).content[0].text == "ok"


async def test_connect_timeout_is_a_typed_error() -> None:
    """A listener whose accept queue is full drops SYNs: the connect never completes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(listener.getsockname())
            fillers.append(filler)
        host, port = listener.getsockname()
        pool = HTTPPool(connect_timeout=0.5)
        transport = StreamableHTTPClientTransport("slow", f"http://{host}:{port}/mcp", pool=pool)
        started = time.monotonic()
        try:
            with pytest.raises(TransportError, match="HTTP timeout"):
                await ClientSession(transport, mode="2026-07-28", timeout=10).connect()
            assert time.monotonic() - started < 3
        finally:
            await pool.close()
            for filler in fillers:
                filler.close()


def test_translation_table_covers_timeouts_and_unknowns() -> None:
    assert isinstance(translate(TimeoutError(), "s", "GET x"), TransportError)
    assert "HTTP timeout" in str(translate(TimeoutError(), "s", "GET x"))
    assert isinstance(translate(ConnectionResetError("reset"), "s", "GET x"), ServerDisconnected)
    odd = translate(RuntimeError("odd"), "s", "GET x")
    assert type(odd) is TransportError and "odd" in str(odd)


async def test_our_server_over_aiohttp_both_eras(server_process: Any) -> None:
    server = start_http(
        server_process, [sys.executable, str(CLIENT_SERVER), "--transport", "http", "--port", "{port}"]
    )
    for mode in ("auto", "legacy"):
        async with MCPClient({"mcpServers": {"s": {"url": server.url("/mcp")}}}, mode=mode) as client:
            session = client.get_session("s")
            results = await asyncio.gather(*(session.call_tool("echo", {"text": str(i)}) for i in range(32)))
            assert [r.content[0].text for r in results] == [str(i) for i in range(32)]


def test_a_pool_used_from_a_new_event_loop_makes_a_new_session() -> None:
    """aiohttp sessions belong to one loop: a pool reused after `asyncio.run` ends starts afresh."""
    pool = HTTPPool()

    async def get() -> Any:
        return pool.session()

    first = asyncio.run(get())
    second = asyncio.run(get())
    assert first is not second and not first.closed
    asyncio.run(pool.close())
    assert second.closed
    asyncio.run(first.close())
