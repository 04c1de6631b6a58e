"""The plain-call lane answers exactly what the general path answers.

`transports/plain_post.py` serves a POST of a plain `tools/call` in one pass and hands
every other request to the general path (`StreamableHTTPServerTransport.serve`). Here
the same requests go both ways, to the same transport: through the endpoint as a server
runs it (lane first) and straight to `serve` (the general path alone). The HTTP status,
headers and body bytes, the request-log line and every other log record must agree, for
the calls the lane serves (both eras, results, tool errors, raised exceptions, argument
errors, a protected server's tokens and scopes) and for every near miss it must hand on
(malformed envelopes, headers that disagree with the body, options only the general
path knows). A property test then mutates a valid call field by field, at random.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import jwt
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_use import MCPServer, ToolError
from mcp_use.auth import JWTVerifier
from mcp_use.protocol.errors import MCPError
from mcp_use.server import request_log
from mcp_use.server.transports.streamable_http import StreamableHTTPServerTransport
from tests.helpers.strategies import json_values

from .conftest import ACCEPT, LEGACY, MODERN, MODERN_META, initialize_message, post_scope
from .test_front_lane import dispatches

SECRET = "plain-lane-secret-of-at-least-32-bytes!"
RESOURCE = "http://127.0.0.1:8000/mcp"
BASE = {"host": "127.0.0.1:8000", "content-type": "application/json", "accept": ACCEPT}


def build(auth: bool = False) -> MCPServer:
    kwargs: dict[str, Any] = {}
    if auth:
        kwargs["auth"] = JWTVerifier(secret=SECRET, audience=RESOURCE)
    server = MCPServer("lane", **kwargs)

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool()
    def shout(text: str) -> str:
        return text.upper()

    @server.tool()
    def pair(x: int) -> dict[str, int]:
        return {"x": x, "double": 2 * x}

    @server.tool()
    def nothing() -> None:
        return None

    @server.tool()
    def refuse(why: str) -> str:
        raise ToolError(f"refused: {why}")

    @server.tool()
    def crash() -> int:
        raise ValueError("secret path /etc/shadow")

    @server.tool()
    def protocol_error() -> int:
        raise MCPError(-32602, "no such thing")

    @server.tool(scopes=["admin"])
    def guarded() -> str:
        return "ok"

    @server.tool()
    async def later(a: int) -> int:  # async, no deadline: the lane awaits it
        await asyncio.sleep(0)
        return a

    @server.tool()
    async def later_refuse(why: str) -> str:
        await asyncio.sleep(0)
        raise ToolError(f"refused later: {why}")

    @server.tool()
    async def later_crash() -> int:
        await asyncio.sleep(0)
        raise ValueError("secret path /etc/shadow")

    @server.tool(timeout=5)
    async def later_bounded(a: int) -> int:  # async with a deadline: the general path's
        return a

    @server.tool(timeout=5)
    def bounded(a: int) -> int:  # a deadline: the general path's (a worker thread)
        return a

    return server


class Lines(logging.Handler):
    """Every record the server logs, the request log's lines without their duration."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.name == "mcp_use.server.requests":
            text = text.rsplit(" ", 1)[0]  # the duration differs
        self.lines.append(f"{record.name} {record.levelname} {text}")


@pytest.fixture
def lines() -> Any:
    handler = Lines()
    root = logging.getLogger("mcp_use")
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


async def drive(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[Any]:
    """One POST through `app` as uvicorn drives it; what the app sent."""
    scope = post_scope(list(headers))
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 10)
    return [(m["type"], m.get("status"), m.get("headers"), m.get("body")) for m in sent]


class Both:
    """One transport, driven through the lane and through the general path alone."""

    def __init__(self, server: MCPServer) -> None:
        self.transport = StreamableHTTPServerTransport(server.core)
        self.session_id = ""

    async def open_session(self) -> str:
        body = orjson.dumps(initialize_message())
        sent = await drive(self.transport, encode(BASE), [body])
        self.session_id = dict(sent[0][2])[b"mcp-session-id"].decode()
        return self.session_id

    async def compare(
        self, headers: Any, body: Any, lines: Lines, chunks: list[bytes] | None = None
    ) -> list[Any]:
        """`body` (a message, or bytes) sent in one piece, or `chunks` in several."""
        raw = encode(headers) if isinstance(headers, dict) else headers
        if chunks is None:
            chunks = [body if isinstance(body, bytes) else orjson.dumps(body)]
        answers = []
        logged = []
        for app in (self.transport, self.transport.serve):
            request_log.flush()  # lines of earlier requests (an earlier test's) are not this one's
            lines.lines.clear()
            answers.append(await drive(app, raw, chunks))
            request_log.flush()
            logged.append(list(lines.lines))
        assert answers[0] == answers[1]
        assert logged[0] == logged[1]
        return answers[0]


def encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def modern_headers(name: str = "add", **extra: str) -> dict[str, str]:
    return {**BASE, "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": name, **extra}


def modern_call(name: str = "add", arguments: Any = None, rid: Any = 7, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "_meta": dict(MODERN_META), **params}
    if arguments is not None:
        body["arguments"] = arguments
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": body}


def legacy_call(name: str = "add", arguments: Any = None, rid: Any = 7, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, **params}
    if arguments is not None:
        body["arguments"] = arguments
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": body}


def status_of(answer: list[Any]) -> int:
    return answer[0][1]


def payload(answer: list[Any]) -> Any:
    return orjson.loads(b"".join(m[3] or b"" for m in answer[1:]))


SERVED = [
    ("add", {"a": 2, "b": 3}),
    ("shout", {"text": "héllo"}),
    ("pair", {"x": 4}),
    ("nothing", None),
    ("refuse", {"why": "no"}),
    ("crash", {}),
    ("protocol_error", {}),
    ("add", {"a": "x", "b": 3}),  # invalid arguments: an isError result
    ("add", {"a": 1}),
    ("later", {"a": 4}),
    ("later_refuse", {"why": "no"}),
    ("later_crash", {}),
    ("later", {"a": "x"}),
]


@pytest.mark.parametrize(("name", "arguments"), SERVED)
async def test_modern_calls_answer_alike(name: str, arguments: Any, lines: Lines) -> None:
    both = Both(build())
    answer = await both.compare(modern_headers(name), modern_call(name, arguments), lines)
    assert status_of(answer) in (200, 400, 404)
    assert payload(answer)["id"] == 7


@pytest.mark.parametrize(("name", "arguments"), SERVED)
async def test_legacy_calls_answer_alike(name: str, arguments: Any, lines: Lines) -> None:
    both = Both(build())
    session = await both.open_session()
    headers = {**BASE, "mcp-session-id": session, "mcp-protocol-version": LEGACY}
    answer = await both.compare(headers, legacy_call(name, arguments, rid="a-string-id"), lines)
    assert status_of(answer) == 200
    assert payload(answer)["id"] == "a-string-id"


async def test_a_plain_call_is_served_by_the_lane(lines: Lines) -> None:
    """The lane really answers (no `ServerRequest` is built for it), and the answer is
    the tool's: not a comparison of two general paths."""
    server = build()
    both = Both(server)
    built = dispatches(server)
    answer = await drive(
        both.transport, encode(modern_headers()), [orjson.dumps(modern_call("add", {"a": 2, "b": 3}))]
    )
    assert built == []
    result = payload(answer)["result"]
    assert result["structuredContent"] == {"result": 5}
    assert result["resultType"] == "complete"
    answer = await drive(
        both.transport, encode(modern_headers("later")), [orjson.dumps(modern_call("later", {"a": 1}))]
    )
    assert built == []  # an async tool without a deadline: the lane awaits it
    assert payload(answer)["result"]["structuredContent"] == {"result": 1}
    await drive(
        both.transport,
        encode(modern_headers("later_bounded")),
        [orjson.dumps(modern_call("later_bounded", {"a": 1}))],
    )
    assert len(built) == 1  # one with a deadline: the general path


NEAR_MISSES_MODERN: list[tuple[str, dict[str, str], Any]] = [
    ("async tool with a deadline", modern_headers("later_bounded"), modern_call("later_bounded", {"a": 1})),
    ("tool with a deadline", modern_headers("bounded"), modern_call("bounded", {"a": 1})),
    ("unknown tool", modern_headers("nope"), modern_call("nope", {})),
    ("name header differs", modern_headers("add"), modern_call("shout", {"text": "x"})),
    (
        "method header differs",
        modern_headers("add", **{"mcp-method": "tools/list"}),
        modern_call("add", {"a": 1, "b": 2}),
    ),
    (
        "no method header",
        {k: v for k, v in modern_headers().items() if k != "mcp-method"},
        modern_call("add", {"a": 1, "b": 2}),
    ),
    (
        "no name header",
        {k: v for k, v in modern_headers().items() if k != "mcp-name"},
        modern_call("add", {"a": 1, "b": 2}),
    ),
    ("encoded name", modern_headers("=?base64?YWRk?="), modern_call("add", {"a": 1, "b": 2})),
    ("padded name", modern_headers(" add\t"), modern_call("add", {"a": 1, "b": 2})),
    (
        "version header differs",
        modern_headers(**{"mcp-protocol-version": "2099-01-01"}),
        modern_call("add", {"a": 1, "b": 2}),
    ),
    (
        "legacy version header",
        modern_headers(**{"mcp-protocol-version": LEGACY}),
        modern_call("add", {"a": 1, "b": 2}),
    ),
    (
        "no version header",
        {k: v for k, v in modern_headers().items() if k != "mcp-protocol-version"},
        modern_call("add", {"a": 1, "b": 2}),
    ),
    (
        "no _meta",
        modern_headers(),
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add"}},
    ),
    ("_meta not an object", modern_headers(), {**modern_call(), "params": {"name": "add", "_meta": [1]}}),
    (
        "capabilities missing",
        modern_headers(),
        {
            **modern_call(),
            "params": {"name": "add", "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}},
        },
    ),
    (
        "bad log level",
        modern_headers(),
        modern_call(
            "add", {"a": 1, "b": 2}, _meta={**MODERN_META, "io.modelcontextprotocol/logLevel": "loud"}
        ),
    ),
    *(
        (
            f"log level {kind}",
            modern_headers(),
            modern_call(
                "add", {"a": 1, "b": 2}, _meta={**MODERN_META, "io.modelcontextprotocol/logLevel": level}
            ),
        )
        for kind, level in (("a list", ["debug"]), ("an object", {}), ("a number", 3), ("null", None))
    ),
    (
        "good log level",
        modern_headers(),
        modern_call(
            "add", {"a": 1, "b": 2}, _meta={**MODERN_META, "io.modelcontextprotocol/logLevel": "debug"}
        ),
    ),
    ("a task asked for", modern_headers(), modern_call("add", {"a": 1, "b": 2}, task={"ttl": 1000})),
    ("request state", modern_headers(), modern_call("add", {"a": 1, "b": 2}, requestState="junk")),
    ("input responses", modern_headers(), modern_call("add", {"a": 1, "b": 2}, inputResponses={})),
    ("null input responses", modern_headers(), modern_call("add", {"a": 1, "b": 2}, inputResponses=None)),
    ("arguments not an object", modern_headers(), modern_call("add", [1, 2])),
    ("id a float", modern_headers(), modern_call("add", {"a": 1, "b": 2}, rid=1.5)),
    (
        "id beyond 64 bits",
        modern_headers(),
        b'{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2},"_meta":'
        + orjson.dumps(MODERN_META)
        + b"}}",
    ),
    ("id a boolean", modern_headers(), modern_call("add", {"a": 1, "b": 2}, rid=True)),
    ("id null", modern_headers(), modern_call("add", {"a": 1, "b": 2}, rid=None)),
    ("no id", modern_headers(), {k: v for k, v in modern_call("add", {"a": 1, "b": 2}).items() if k != "id"}),
    ("jsonrpc 1.0", modern_headers(), {**modern_call("add", {"a": 1, "b": 2}), "jsonrpc": "1.0"}),
    ("params a list", modern_headers(), {**modern_call(), "params": [1]}),
    ("a batch", modern_headers(), [modern_call("add", {"a": 1, "b": 2})]),
    ("not JSON", modern_headers(), b"{nope"),
    ("empty body", modern_headers(), b""),
    ("a JSON string", modern_headers(), b'"tools/call"'),
    ("text/plain", modern_headers(**{"content-type": "text/plain"}), modern_call("add", {"a": 1, "b": 2})),
    ("accepts JSON only", modern_headers(accept="application/json"), modern_call("add", {"a": 1, "b": 2})),
    ("foreign Host", modern_headers(host="evil.example"), modern_call("add", {"a": 1, "b": 2})),
    ("foreign Origin", modern_headers(origin="http://evil.example"), modern_call("add", {"a": 1, "b": 2})),
    ("own Origin", modern_headers(origin="http://127.0.0.1:8000"), modern_call("add", {"a": 1, "b": 2})),
    ("huge header", modern_headers(**{"x-junk": "j" * 70_000}), modern_call("add", {"a": 1, "b": 2})),
    ("body too large", modern_headers(), modern_call("shout", {"text": "x" * 5_000_000})),
]


@pytest.mark.parametrize(
    ("case", "headers", "body"), NEAR_MISSES_MODERN, ids=[c[0] for c in NEAR_MISSES_MODERN]
)
async def test_modern_near_misses_answer_alike(
    case: str, headers: dict[str, str], body: Any, lines: Lines
) -> None:
    await Both(build()).compare(headers, body, lines)


async def test_header_values_kept_as_passing_let_no_others_pass(lines: Lines) -> None:
    """The lane keeps the Content-Type, Accept, Host and Origin values that passed, so a
    client's next request skips those checks: a value that did not pass is still refused,
    also after more values than are kept have come and gone."""
    both = Both(build())
    call = modern_call("add", {"a": 1, "b": 2})
    own = modern_headers(origin="http://127.0.0.1:8000")
    assert status_of(await both.compare(own, call, lines)) == 200
    assert status_of(await both.compare(own, call, lines)) == 200
    assert status_of(await both.compare(modern_headers(origin="http://evil.example"), call, lines)) == 403
    for i in range(300):
        accept = f"application/json, text/event-stream, x/{i}"
        assert status_of(await both.compare(modern_headers(accept=accept), call, lines)) == 200
    assert status_of(await both.compare(modern_headers(host="evil.example"), call, lines)) == 421
    assert status_of(await both.compare(modern_headers(accept="application/json"), call, lines)) == 406
    assert status_of(await both.compare(own, call, lines)) == 200


async def test_repeated_headers_and_chunked_bodies_answer_alike(lines: Lines) -> None:
    both = Both(build())
    body = orjson.dumps(modern_call("add", {"a": 1, "b": 2}))
    twice = [*encode(modern_headers()), (b"mcp-name", b"shout")]
    await both.compare(twice, body, lines)
    answer = await both.compare(modern_headers(), None, lines, [body[:10], body[10:30], body[30:]])
    assert payload(answer)["result"]["structuredContent"] == {"result": 3}


async def test_legacy_near_misses_answer_alike(lines: Lines) -> None:
    both = Both(build())
    session = await both.open_session()
    headers = {**BASE, "mcp-session-id": session, "mcp-protocol-version": LEGACY}
    for body in (
        legacy_call("later_bounded", {"a": 1}),
        legacy_call("nope", {}),
        legacy_call(None, {}),  # type: ignore[arg-type]
        legacy_call("add", {"a": 1, "b": 2}, task={"ttl": 1000}),
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": {}},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
        {"jsonrpc": "2.0", "id": 3, "result": {}},
    ):
        await both.compare(headers, body, lines)
    for other in (
        {**headers, "mcp-session-id": "0" * 32},  # no such session
        {**headers, "mcp-session-id": "0" * 200},  # far too long to be one
        {**headers, "mcp-protocol-version": MODERN},
        {k: v for k, v in headers.items() if k != "mcp-protocol-version"},
    ):
        await both.compare(other, legacy_call("add", {"a": 1, "b": 2}), lines)


async def test_a_protected_server_answers_alike(lines: Lines) -> None:
    both = Both(build(auth=True))
    good = jwt.encode({"sub": "u", "aud": RESOURCE, "exp": 4_000_000_000}, SECRET, algorithm="HS256")
    foreign = jwt.encode(
        {"sub": "u", "aud": "http://other/mcp", "exp": 4_000_000_000}, SECRET, algorithm="HS256"
    )
    admin = jwt.encode(
        {"sub": "u", "aud": RESOURCE, "exp": 4_000_000_000, "scope": "admin"}, SECRET, algorithm="HS256"
    )
    # twice: the second time the lane finds each admitted token in the guard's cache
    for token, name, status in 2 * (
        (good, "add", 200),
        (foreign, "add", 401),  # minted for another resource
        ("not-a-jwt", "add", 401),
        (good, "guarded", 403),  # lacks the tool's scope
        (admin, "guarded", 200),
    ):
        headers = modern_headers(name, authorization=f"Bearer {token}")
        answer = await both.compare(
            headers, modern_call(name, {"a": 1, "b": 2} if name == "add" else {}), lines
        )
        assert status_of(answer) == status
    answer = await both.compare(modern_headers(), modern_call("add", {"a": 1, "b": 2}), lines)
    assert status_of(answer) == 401  # no token at all


async def test_a_cached_token_that_expires_is_refused(lines: Lines) -> None:
    """The lane takes an admitted token from the guard's cache, until the token expires:
    then the guard is asked again, and refuses it as the general path does."""
    server = MCPServer("lane", auth=JWTVerifier(secret=SECRET, audience=RESOURCE, leeway=0))

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    both = Both(server)
    expiry = int(time.time()) + 2
    soon = jwt.encode({"sub": "u", "aud": RESOURCE, "exp": expiry}, SECRET, algorithm="HS256")
    headers = modern_headers(authorization=f"Bearer {soon}")
    call = modern_call("add", {"a": 1, "b": 2})
    for _ in range(2):
        assert status_of(await both.compare(headers, call, lines)) == 200
    await asyncio.sleep(max(0.0, expiry + 1.1 - time.time()))
    answer = await both.compare(headers, call, lines)
    assert status_of(answer) == 401
    assert "expired" in payload(answer)["error"]["message"]


async def test_middleware_turns_the_lane_off(lines: Lines) -> None:
    from mcp_use.server import Middleware

    seen: list[str] = []

    class Spy(Middleware):
        async def on_request(self, ctx: Any, call_next: Any) -> Any:
            seen.append(ctx.method)
            return await call_next(ctx)

    server = build()
    server.use(Spy())
    answer = await drive(
        StreamableHTTPServerTransport(server.core),
        encode(modern_headers()),
        [orjson.dumps(modern_call("add", {"a": 1, "b": 2}))],
    )
    assert payload(answer)["result"]["structuredContent"] == {"result": 3}
    assert seen == ["tools/call"]


@pytest.mark.parametrize("era", ["modern", "legacy"])
async def test_changes_after_the_lane_served_are_seen_at_once(era: str, lines: Lines) -> None:
    """The lane remembers which tool a name calls: adding middleware, removing a tool or
    putting another in its place must reach the very next call."""
    from mcp_use.server import Middleware

    server = build()
    both = Both(server)

    async def call(name: str = "add") -> Any:
        if era == "modern":
            return await both.compare(modern_headers(name), modern_call(name, {"a": 1, "b": 2}), lines)
        headers = {**BASE, "mcp-session-id": both.session_id, "mcp-protocol-version": LEGACY}
        return await both.compare(headers, legacy_call(name, {"a": 1, "b": 2}), lines)

    if era == "legacy":
        await both.open_session()
    assert payload(await call())["result"]["structuredContent"] == {"result": 3}
    seen: list[str] = []

    class Spy(Middleware):
        async def on_request(self, ctx: Any, call_next: Any) -> Any:
            seen.append(ctx.method)
            return await call_next(ctx)

    server.use(Spy())
    await call()
    assert seen == ["tools/call", "tools/call"]  # both ways through the middleware

    server = build()
    both = Both(server)
    if era == "legacy":
        await both.open_session()
    await call()
    server.remove_tool("add")
    gone = payload(await call())
    assert "result" not in gone or gone["result"].get("isError")

    @server.tool(name="add")
    def add_again(a: int, b: int) -> int:
        return 100 * a + b

    assert payload(await call())["result"]["structuredContent"] == {"result": 102}


JSON = json_values()
FIELDS = st.sampled_from(
    [
        "id",
        "jsonrpc",
        "method",
        "params",
        "name",
        "arguments",
        "a",
        "_meta",
        "version",
        "caps",
        "level",
        "extra",
    ]
)


def mutate(message: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    params = message["params"]
    meta = params["_meta"]
    if field in ("id", "jsonrpc", "method", "params"):
        message[field] = value
    elif field in ("name", "arguments", "_meta"):
        params[field] = value
    elif field == "a":
        params["arguments"]["a"] = value
    elif field == "version":
        meta["io.modelcontextprotocol/protocolVersion"] = value
    elif field == "caps":
        meta["io.modelcontextprotocol/clientCapabilities"] = value
    elif field == "level":
        meta["io.modelcontextprotocol/logLevel"] = value
    else:
        params[str(value)[:6] or "k"] = value
    return message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=FIELDS, value=JSON, modern=st.booleans())
def test_any_mutation_of_a_call_answers_alike(field: str, value: Any, modern: bool, lines: Lines) -> None:
    async def scenario() -> None:
        both = Both(build())
        if modern:
            headers = modern_headers()
            message = modern_call("add", {"a": 1, "b": 2})
        else:
            session = await both.open_session()
            headers = {**BASE, "mcp-session-id": session, "mcp-protocol-version": LEGACY}
            message = {
                **legacy_call("add", {"a": 1, "b": 2}),
                "params": {"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": {}},
            }
        mutated = mutate(message, field, value)
        try:
            body = orjson.dumps(mutated)
        except TypeError:  # an integer beyond 64 bits: written as the standard library does
            body = json.dumps(mutated).encode()
        await both.compare(headers, body, lines)

    asyncio.run(scenario())
