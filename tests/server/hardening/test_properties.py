"""Property tests (hypothesis): any input gets an answer or a clean refusal.

The JSON-RPC parser, the resource template matcher and its path checks, and the header
checks are pure functions: whatever they are given, they return or raise `MCPError`
(or, for the guard, return a refusal), never anything else. The whole endpoint, fed
arbitrary bodies and headers in process, always answers HTTP below 500 with a JSON-RPC
body. And a template value the path checks let through never leaves the base directory.
"""

from __future__ import annotations

import asyncio
import string
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_use import MCPServer
from mcp_use.protocol import jsonrpc
from mcp_use.protocol.errors import MCPError
from mcp_use.server.http import headers as mcp_headers
from mcp_use.server.http.security import HostGuard
from mcp_use.server.resources import compile_template
from mcp_use.server.template_values import unsafe_reason
from mcp_use.server.transports.asgi import header_map, header_problem, read_headers

from .asgi import post_scope

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2]) | json_values,
        "id": st.integers() | st.text(max_size=8) | json_values,
        "method": st.sampled_from(["tools/call", "ping", "initialize"]) | json_values,
        "params": json_values,
        "result": json_values,
        "error": json_values,
    },
)
wire = st.binary(max_size=200) | messages.map(jsonrpc.dumps) | st.text(max_size=200).map(str.encode)


@given(wire)
def test_the_json_rpc_parser_answers_or_refuses(data: bytes) -> None:
    try:
        message = jsonrpc.loads(data)
        kind = jsonrpc.classify(message)
    except MCPError as exc:
        assert exc.code in (-32700, -32600)
        assert len(exc.message) < 1000
        return
    assert kind in (jsonrpc.REQUEST, jsonrpc.NOTIFICATION, jsonrpc.RESPONSE)
    jsonrpc.dumps(jsonrpc.result(message.get("id") if kind == jsonrpc.REQUEST else None, {}))


@given(st.integers())
def test_every_integer_id_round_trips_exactly(request_id: int) -> None:
    data = b'{"jsonrpc":"2.0","id":%d,"method":"ping"}' % request_id
    message = jsonrpc.loads(data)
    assert message["id"] == request_id
    assert (
        jsonrpc.dumps(jsonrpc.result(message["id"], {}))
        == b'{"jsonrpc":"2.0","id":%d,"result":{}}' % request_id
    )


templates = st.sampled_from(
    [
        "file:///{+path}",
        "file:///{path}",
        "repo://{owner}/{name}/blob/{+path}",
        "search://q{?term,page}",
        "x://{/segments}",
        "x://{a}.{b}",
        "x://{#frag}",
    ]
)
uri_text = st.text(alphabet=string.printable + "é\x00%", max_size=80)


@given(templates, uri_text)
def test_the_template_matcher_matches_or_refuses(template: str, tail: str) -> None:
    pattern, names = compile_template(template)
    prefix = template.split("{", 1)[0]
    for uri in (tail, prefix + tail):
        match = pattern.match(uri)
        if match is None:
            continue
        values = match.groupdict()
        assert set(values) <= set(names)
        for value in values.values():
            if value is not None:
                unsafe_reason(value)  # returns a reason or None; never raises


BASE = Path("/srv/public")
path_pieces = st.lists(
    st.sampled_from(["..", ".", "a", "b.txt", "", "%2e%2e", "%2f", "%5c", "\\", "%00", "%252e", "C:", "~"]),
    max_size=6,
)


@given(path_pieces.map("/".join) | st.text(max_size=40))
def test_a_value_the_checks_accept_stays_inside_the_base(value: str) -> None:
    if unsafe_reason(value) is not None:
        return
    joined = (BASE / value).resolve(strict=False) if "\x00" not in value else None
    assert joined is not None
    assert joined == BASE or BASE in joined.parents, value


header_names = st.sampled_from(
    [b"host", b"origin", b"mcp-session-id", b"mcp-method", b"mcp-name", b"mcp-protocol-version", b"x-other"]
)
header_values = st.binary(max_size=300)
# Repeated names (the one-pass reader's fallback) and edge values, drawn often on purpose.
header_lists = st.lists(
    st.tuples(header_names, header_values | st.sampled_from([b"", b"a\x00b", b"\x00", b"s" * 129])),
    max_size=8,
)


@given(header_lists, st.integers(min_value=0, max_value=4096))
def test_the_one_pass_header_reader_agrees_with_the_two_checks(
    raw: list[tuple[bytes, bytes]], limit: int
) -> None:
    assert read_headers(raw, limit) == (header_map({"headers": raw}), header_problem(raw, limit))


@given(st.lists(st.tuples(header_names, header_values), max_size=8), st.integers(min_value=0, max_value=4096))
def test_the_header_checks_answer_or_refuse(raw: list[tuple[bytes, bytes]], limit: int) -> None:
    problem = header_problem(raw, limit)
    if problem is not None:
        assert problem[0] in (400, 431) and len(problem[1]) < 200
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}
    guard = HostGuard(True)
    refusal = guard.check({"scheme": "http"}, headers.get("host"), headers.get("origin"))
    if refusal is not None:
        assert refusal.status in (403, 421) and len(refusal.message) < 600
    try:
        mcp_headers.check("tools/call", {"name": "add", "arguments": {"a": 1}}, headers)
    except MCPError as exc:
        assert exc.http_status == 400 and len(exc.message) < 1000


def _endpoint() -> MCPServer:
    server = MCPServer("prop", dns_rebinding_protection=True)

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.resource("file:///{+path}")
    def read(path: str) -> str:
        return path

    return server


SERVER = _endpoint()
methods = st.sampled_from([b"POST", b"GET", b"DELETE", b"PUT"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(methods, wire, st.lists(st.tuples(header_names, header_values), max_size=5))
def test_the_endpoint_always_answers_with_a_json_rpc_body(
    method: bytes, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    scope = post_scope(extra, method.decode())
    sent: list[dict[str, object]] = []
    delivered = False

    async def receive() -> dict[str, object]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(SERVER.app(scope, receive, send), 10))
    start = sent[0]
    assert start["type"] == "http.response.start"
    assert isinstance(start["status"], int) and start["status"] < 500, (start, sent[1:])
    payload = b"".join(m.get("body", b"") for m in sent[1:])  # type: ignore[misc]
    if start["status"] in (200, 202) and not payload.strip():
        return
    if b"data:" in payload:
        return  # an SSE answer (a GET stream is cut by the disconnect)
    answer = orjson.loads(payload)
    assert answer["jsonrpc"] == "2.0" and ("result" in answer or "error" in answer)
