"""MCP-level middleware, in process (in-memory client) and over stdio: order, state,
rewriting params and results, refusing, exceptions, `initialize` and notifications,
list filtering, the shipped timing and rate-limit middlewares, and zero cost without."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import pytest

from mcp_use import MCPClient, MCPError
from mcp_use.client import ServerError
from mcp_use.server import Context, MCPServer, Middleware, MiddlewareContext, ToolError
from mcp_use.server.rate_limit import RateLimitMiddleware, caller_of
from mcp_use.server.timing_middleware import TimingMiddleware
from tests.helpers import REPO_ROOT

ERAS = ["legacy", "2026-07-28"]


class Record(Middleware):
    def __init__(self, label: str, seen: list[str]) -> None:
        self.label, self.seen = label, seen

    async def on_request(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        self.seen.append(f"{self.label}>{ctx.method}")
        result = await call_next(ctx)
        self.seen.append(f"{self.label}<{ctx.method}")
        return result

    async def on_list_tools(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        result = await call_next(ctx)
        result["tools"] = [t for t in result["tools"] if not t["name"].startswith("hidden")]
        return result

    async def on_get_prompt(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        ctx.state[self.label] = True
        result = await call_next(ctx)
        result["description"] = f"{result.get('description', '')}+{self.label}+{sorted(ctx.state)}"
        return result


def make_server(seen: list[str], *extra: Middleware) -> MCPServer:
    server = MCPServer(name="mw", middleware=[Record("a", seen)])
    server.use(Record("b", seen))
    for item in extra:
        server.use(item)

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool()
    def hidden_admin() -> str:
        return "secret"

    @server.tool()
    async def ask(ctx: Context) -> str:
        answer = await ctx.elicit("Name?", {"type": "object", "properties": {"n": {"type": "string"}}})
        return f"hello {answer.content['n']}"

    @server.prompt()
    def greet(who: str) -> str:
        """Greets."""
        return f"hi {who}"

    @server.resource("memo://x")
    def memo() -> str:
        return "x"

    return server


async def elicit(ctx: Any, params: Any) -> dict[str, Any]:
    return {"action": "accept", "content": {"n": "ada"}}


@pytest.mark.parametrize("mode", ERAS)
async def test_order_state_and_list_filtering(mode: str) -> None:
    seen: list[str] = []
    server = make_server(seen)
    async with MCPClient(server, mode=mode, elicitation_callback=elicit) as client:
        session = client.get_session("mw")
        seen.clear()
        assert (await session.call_tool("add", {"a": 1, "b": 2})).structuredContent == {"result": 3}
        assert seen == ["a>tools/call", "b>tools/call", "b<tools/call", "a<tools/call"]
        names = {t.name for t in await session.list_tools()}
        assert "hidden_admin" not in names and "add" in names
        prompt = await session.get_prompt("greet", {"who": "x"})
        assert prompt.description == "Greets.+b+['a', 'b']+a+['a', 'b']"  # one state for the chain
        # An input round passes the chain on each round (modern) or once (legacy).
        seen.clear()
        assert (await session.call_tool("ask", {})).content[0].text == "hello ada"
        assert seen.count("a>tools/call") == (2 if mode != "legacy" else 1)


class Policy(Middleware):
    async def on_call_tool(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        name = ctx.params["name"]
        if name == "hidden_admin":
            raise MCPError(-32600, "hidden_admin needs the admin role")
        if name == "add":
            args = dict(ctx.params.get("arguments") or {})
            args["b"] = args.get("b", 0) * 10
            ctx.params = {**ctx.params, "arguments": args}
        result = await call_next(ctx)
        if name == "add":
            result = {"content": [{"type": "text", "text": f"sum={result['structuredContent']['result']}"}]}
        return result

    async def on_read_resource(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        if ctx.params["uri"] == "memo://x" and ctx.transport == "memory":
            raise ToolError("memo://x is not for in-memory clients")
        return await call_next(ctx)


@pytest.mark.parametrize("mode", ERAS)
async def test_refuse_rewrite_and_replace(mode: str) -> None:
    server = make_server([], Policy())
    async with MCPClient(server, mode=mode) as client:
        session = client.get_session("mw")
        replaced = await session.call_tool("add", {"a": 1, "b": 2})
        assert replaced.content[0].text == "sum=21" and replaced.structuredContent is None
        with pytest.raises(ServerError, match="needs the admin role") as refused:
            await session.call_tool("hidden_admin", {})
        assert refused.value.code == -32600
        with pytest.raises(ServerError, match="not for in-memory clients"):
            await session.read_resource("memo://x")


class Broken(Middleware):
    async def on_call_tool(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        if ctx.params["name"] == "add" and (ctx.params.get("arguments") or {}).get("a") == 13:
            raise KeyError("unlucky")
        return await call_next(ctx)

    async def on_list_resources(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        return "not a dict"


@pytest.mark.parametrize("mode", ERAS)
async def test_exception_in_a_hook_answers_an_error_and_the_connection_survives(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server([], Broken())
    async with MCPClient(server, mode=mode) as client:
        session = client.get_session("mw")
        with pytest.raises(ServerError, match="Internal error: KeyError") as failed:
            await session.call_tool("add", {"a": 13, "b": 0})
        assert failed.value.code == -32603 and "unlucky" not in str(failed.value)
        with pytest.raises(ServerError, match="Internal error: TypeError"):
            await session.list_resources()
        assert (await session.call_tool("add", {"a": 1, "b": 1})).structuredContent == {"result": 2}
    assert "unlucky" in caplog.text  # the server log has it


class Gate(Middleware):
    def __init__(self) -> None:
        self.notes: list[tuple[str, str | None]] = []

    async def on_initialize(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        if (ctx.params.get("clientInfo") or {}).get("name") == "banned":
            raise MCPError(-32600, "this client is not welcome")
        result = await call_next(ctx)
        result["instructions"] = "set by middleware"
        return result

    async def on_notification(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        self.notes.append((ctx.method, ctx.session_id))
        if ctx.method == "notifications/roots/list_changed":
            return None  # dropped: the server's handler never sees it
        return await call_next(ctx)


async def test_initialize_and_notifications_pass_the_chain() -> None:
    gate = Gate()
    server = make_server([], gate)
    handled: list[str] = []
    server.on_notification("notifications/roots/list_changed")(lambda params: handled.append("roots"))
    async with MCPClient(server, mode="legacy") as client:
        session = client.get_session("mw")
        assert session.instructions == "set by middleware"
        await session.notify("notifications/roots/list_changed", {})
        await asyncio.sleep(0.05)
    assert ("notifications/initialized", None) in gate.notes
    assert ("notifications/roots/list_changed", None) in gate.notes and handled == []
    banned = MCPClient(server, mode="legacy", client_info={"name": "banned", "version": "1"})
    with pytest.raises(Exception, match="this client is not welcome"):
        await banned.create_all_sessions()
    await banned.close_all_sessions()


async def test_rate_limit_per_caller_refuses_then_refills() -> None:
    now = [100.0]
    limiter = RateLimitMiddleware(rate=2, burst=2, methods={"tools/call"}, clock=lambda: now[0])
    server = make_server([], limiter)
    async with MCPClient(server, mode="2026-07-28") as client:
        session = client.get_session("mw")
        for _ in range(2):
            await session.call_tool("add", {"a": 1, "b": 1})
        with pytest.raises(
            ServerError, match=r"Rate limit exceeded: 2 requests/s; retry in 0\.50s"
        ) as limited:
            await session.call_tool("add", {"a": 1, "b": 1})
        assert limited.value.data == {"retryAfterMs": 500}
        await session.list_tools()  # not a counted method
        now[0] += 0.5
        await session.call_tool("add", {"a": 1, "b": 1})  # one token back


def test_rate_limit_keys_and_bounds() -> None:
    from mcp_use.auth.token import AccessToken

    class Req:
        session = None
        headers = None
        client_address = ("10.0.0.9", 5555)
        access_token: Any = None
        transport = "streamable-http"
        version = "2026-07-28"
        modern = True

    req: Any = Req()
    assert caller_of(MiddlewareContext("tools/call", {}, req)) == "ip:10.0.0.9"
    req.access_token = AccessToken(token="t", subject="user-7", client_id="app")
    assert caller_of(MiddlewareContext("tools/call", {}, req)) == "principal:user-7"
    limiter = RateLimitMiddleware(rate=1, max_callers=3)
    for i in range(10):
        limiter._take(f"ip:{i}")
    assert list(limiter._buckets) == ["ip:7", "ip:8", "ip:9"]
    with pytest.raises(ValueError):
        RateLimitMiddleware(rate=0)


async def test_timing_logs_each_request(caplog: pytest.LogCaptureFixture) -> None:
    server = make_server([], TimingMiddleware())
    caplog.set_level(logging.INFO, "mcp_use.server.timing")
    async with MCPClient(server, mode="legacy") as client:
        await client.get_session("mw").call_tool("add", {"a": 1, "b": 1})
    lines = [r.getMessage() for r in caplog.records if r.name == "mcp_use.server.timing"]
    assert any(line.startswith("tools/call add ok transport=memory client=") for line in lines), lines
    assert any(line.startswith("initialize") for line in lines)


def test_no_middleware_means_bare_handlers() -> None:
    """Zero cost: without middleware the dispatch table holds the methods themselves."""
    plain = MCPServer(name="plain")
    engine = plain.core.engine
    assert engine.legacy_handlers["tools/call"] == engine.methods.tools_call
    assert engine.modern_handlers["tools/call"] == engine.methods.tools_call
    plain.use(Middleware())  # overrides nothing: still nothing in the way
    assert engine.modern_handlers["tools/call"] == engine.methods.tools_call
    with pytest.raises(TypeError, match="Middleware instance"):
        plain.use(object())


STDIO_SERVER = """
import sys
from mcp_use.server import MCPServer, Middleware
class Tag(Middleware):
    async def on_call_tool(self, ctx, call_next):
        result = await call_next(ctx)
        result["content"].append({"type": "text", "text": f"via {ctx.transport}"})
        return result
server = MCPServer(name="tagged", middleware=[Tag()])
@server.tool()
def ping2() -> str:
    return "pong"
server.run(transport="stdio")
"""


@pytest.mark.parametrize("mode", ERAS)
async def test_middleware_over_stdio(mode: str, tmp_path: Any) -> None:
    script = tmp_path / "tagged.py"
    script.write_text(STDIO_SERVER)
    entry = {
        "command": sys.executable,
        "args": [str(script)],
        "env": {"PYTHONPATH": str(REPO_ROOT / "src")},
    }
    async with MCPClient({"mcpServers": {"t": entry}}, mode=mode) as client:
        result = await client.get_session("t").call_tool("ping2", {})
        assert [c.text for c in result.content] == ["pong", "via stdio"]
