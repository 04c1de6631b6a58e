"""`server.run()` serves the plain-call lane in front of the app, and it answers as the app.

uvicorn calls what `MCPServer._served` gives it. For an app that hands MCP requests
straight to the endpoint, that is the transport's `front`: a lane that answers plain
calls of the MCP path itself and passes every other request (the first one, other
paths, verbs and scope types) to the app. Here two identical servers get the same
requests, one through the front and one through the app, and must answer alike; the
front must also step aside wherever the app would put something between it and the
endpoint (user middleware, the DEBUG=2 message log) and for a legacy-SSE-only app.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.middleware.cors import CORSMiddleware

from mcp_use import MCPServer
from mcp_use.server.transports.plain_post import PlainCallLane
from tests.helpers.asgi import exchange

from .conftest import ACCEPT, LEGACY, MODERN, MODERN_META, initialize_message

BASE = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"), (b"accept", ACCEPT.encode())]


def build(**kwargs: Any) -> MCPServer:
    server = MCPServer("front", **kwargs)

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool()
    async def later(a: int) -> int:
        return a

    @server.tool(timeout=5)
    async def bounded(a: int) -> int:
        return a

    @server.custom_route("/health", methods=["GET", "POST"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return server


async def drive(app: Any, method: str, path: str, headers: list[Any], body: bytes = b"") -> list[Any]:
    """One HTTP request through `app` as uvicorn drives it: (status, headers, body)."""
    scope = {
        "type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
        "headers": headers, "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
        "scheme": "http", "http_version": "1.1", "raw_path": path.encode(),
    }  # fmt: skip
    sent = await exchange(app, scope, body)
    start = sent[0]
    return [start["status"], sorted(start.get("headers", [])), b"".join(m.get("body", b"") for m in sent[1:])]


def call(rid: int, name: str, modern: bool, **arguments: Any) -> bytes:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if modern:
        params["_meta"] = MODERN_META
    return orjson.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params})


def modern(name: str) -> list[Any]:
    return [
        *BASE,
        (b"mcp-protocol-version", MODERN.encode()),
        (b"mcp-method", b"tools/call"),
        (b"mcp-name", name.encode()),
    ]


def dispatches(server: MCPServer, *builders: str) -> list[Any]:
    """The requests that reach the engine's dispatch (the lane's never do): the
    arguments of each call of its request builders (by default the 2026-07-28 one)."""
    built: list[Any] = []
    engine = server.core.engine
    for name in builders or ("modern_request",):
        original = getattr(engine, name)

        def counting(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            built.append(args)
            return _original(*args, **kwargs)

        setattr(engine, name, counting)
    return built


async def conversation(app: Any) -> list[Any]:
    """The same requests for either server; session ids (random) are replaced."""
    answers = []
    opened = await drive(app, "POST", "/mcp", BASE, orjson.dumps(initialize_message()))
    session = dict(opened[1])[b"mcp-session-id"]
    answers.append(opened)
    legacy = [*BASE, (b"mcp-session-id", session), (b"mcp-protocol-version", LEGACY.encode())]
    note = orjson.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    answers.append(await drive(app, "POST", "/mcp", legacy, note))
    answers.append(await drive(app, "POST", "/mcp", legacy, call(1, "add", False, a=2, b=3)))
    answers.append(await drive(app, "POST", "/mcp", modern("add"), call(2, "add", True, a=4, b=5)))
    answers.append(await drive(app, "POST", "/mcp", modern("later"), call(3, "later", True, a=6)))
    answers.append(await drive(app, "POST", "/mcp", modern("add"), call(4, "add", True, a="x", b=1)))
    answers.append(await drive(app, "POST", "/mcp/", modern("add"), call(5, "add", True, a=1, b=1)))
    answers.append(await drive(app, "POST", "/health", BASE, b"{}"))
    answers.append(await drive(app, "GET", "/health", BASE))
    answers.append(await drive(app, "GET", "/nowhere", BASE))
    answers.append(await drive(app, "PUT", "/mcp", BASE))
    answers.append(await drive(app, "DELETE", "/mcp", legacy))
    answers.append(await drive(app, "POST", "/mcp", legacy, call(6, "add", False, a=1, b=2)))
    text = repr(answers).replace(repr(session)[2:-1], "SESSION")
    return [text]


def test_run_serves_the_lane_in_front_of_a_plain_app() -> None:
    server = build()
    app = server.app
    front = server._served(app)
    assert isinstance(front, PlainCallLane)
    assert front.entry is app and front is not server.http_transport().entry
    assert server._served(app) is front  # asked again (a second run()): the same front
    assert front.calls is server.http_transport().entry.calls  # one set of verdicts
    assert server._served(server.streamable_http_app()).entry is server.streamable_http_app()


def test_run_serves_the_app_itself_when_something_stands_before_the_endpoint() -> None:
    server = build()
    app = server.streamable_http_app()
    app.add_middleware(CORSMiddleware, allow_origins=["http://example.com"])
    assert server._served(app) is app  # middleware sees every request
    logged = build()
    logged.debug_level = 2
    assert logged._served(logged.app) is logged.app  # the DEBUG=2 message log wraps the endpoint
    legacy_only = build()
    assert legacy_only._served(legacy_only.sse_app()) is legacy_only.sse_app()


async def test_the_front_answers_what_the_app_answers() -> None:
    through_front, through_app = build(), build()
    front = through_front._served(through_front.app)
    assert not front.ready  # the first request goes through the app (signals, housekeeping)
    answers = await conversation(front)
    assert front.ready
    assert answers == await conversation(through_app.app)


async def test_the_front_answers_plain_calls_itself() -> None:
    server = build()
    front = server._served(server.app)
    built = dispatches(server)
    await drive(front, "POST", "/mcp", modern("add"), call(1, "add", True, a=1, b=2))  # via the app
    entered: list[Any] = []
    app_call = front.entry

    async def app_spy(scope: Any, receive: Any, send: Any) -> None:
        entered.append(scope["path"])
        await app_call(scope, receive, send)

    front.entry = app_spy
    status, _, body = await drive(front, "POST", "/mcp", modern("add"), call(2, "add", True, a=2, b=3))
    assert status == 200 and orjson.loads(body)["result"]["structuredContent"] == {"result": 5}
    assert entered == [] and built == []  # neither the app nor the engine's dispatch
    status, _, body = await drive(front, "POST", "/mcp", modern("later"), call(3, "later", True, a=4))
    assert status == 200 and orjson.loads(body)["result"]["structuredContent"] == {"result": 4}
    assert entered == [] and built == []  # an async tool without a deadline: awaited by the front
    await drive(front, "POST", "/mcp", modern("bounded"), call(4, "bounded", True, a=1))
    assert entered == [] and len(built) == 1  # one with a deadline: the general path, no app between
    await drive(front, "GET", "/health", BASE)
    assert entered == ["/health"]


@pytest.mark.parametrize("event", ["startup", "shutdown"])
async def test_the_front_passes_lifespan_to_the_app(event: str) -> None:
    server = build()
    front = server._served(server.app)
    messages = [{"type": f"lifespan.{e}"} for e in ("startup", "shutdown")]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await asyncio.wait_for(front({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send), 10)
    assert f"lifespan.{event}.complete" in sent
