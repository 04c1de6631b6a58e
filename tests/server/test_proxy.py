"""`MCPServer.as_proxy`: a stdio child and an in-process server behind our front, driven
by our client in memory on both front eras: sampling, roots, elicitation, progress and
logs from the target back to the real client; completions; the front's own tools beside
the target's; the front's middleware; cancellation; a child that dies is restarted."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from mcp_use import MCPClient
from mcp_use.client import ServerError
from mcp_use.client.errors import RequestTimedOut
from mcp_use.server import MCPServer, Middleware, MiddlewareContext
from tests.helpers import REPO_ROOT

TARGET = Path(__file__).parent / "servers" / "proxy_target.py"
ERAS = ["legacy", "2026-07-28"]


def child_entry() -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(TARGET)], "env": {"PYTHONPATH": str(REPO_ROOT / "src")}}


class Seen(Middleware):
    def __init__(self) -> None:
        self.names: list[str] = []

    async def on_call_tool(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        self.names.append(ctx.params["name"])
        return await call_next(ctx)


def callbacks(seen: dict[str, Any]) -> dict[str, Any]:
    async def elicit(ctx: Any, params: Any) -> dict[str, Any]:
        seen.setdefault("elicit", []).append(params.message)
        return {"action": "accept", "content": {"colour": "teal"}}

    def sample(ctx: Any, params: Any) -> str:
        seen.setdefault("sample", []).append(params.messages[0].content.text)
        return "hi!"

    return {
        "elicitation_callback": elicit,
        "sampling_callback": sample,
        "roots": ["file:///work", "file:///tmp"],
        "logging_callback": lambda m: seen.setdefault("logs", []).append((m.level, m.data)),
    }


@pytest.fixture
async def front() -> Any:
    proxy = MCPServer.as_proxy(child_entry(), timeout=20)
    yield proxy
    await proxy.close_proxy()


@pytest.mark.parametrize("mode", ERAS)
async def test_everything_the_target_asks_reaches_the_real_client(front: MCPServer, mode: str) -> None:
    seen: dict[str, Any] = {}
    progress: list[Any] = []
    async with MCPClient(front, mode=mode, **callbacks(seen)) as client:
        session = client.get_session("mcp-use-proxy")
        await session.set_logging_level("debug")
        result = await session.call_tool("ask_all", {}, progress_callback=lambda *p: progress.append(p))
        assert result.content[0].text == "hi!|file:///work,file:///tmp|teal"
        assert seen["sample"][-1] == "Say hi" and seen["elicit"][-1] == "Colour?"
        assert ("warning", "almost done") in seen["logs"]
        assert (1, 3, "sampling") in progress and (2, 3, "roots") in progress
        completion = await session.complete({"type": "ref/prompt", "name": "topic"}, ("subject", "py"))
        assert completion.completion.values == ["python", "pytest"]
        prompt = await session.get_prompt("topic", {"subject": "proxies"})
        assert prompt.messages[0].content.text == "Tell me about proxies"
        with pytest.raises(ServerError, match="Unknown tool: nope") as unknown:
            await session.call_tool("nope", {})
        assert unknown.value.code == -32602  # the target's own error, passed on


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_without_the_capability_gets_a_clear_error(front: MCPServer, mode: str) -> None:
    # No callbacks: no sampling capability. The target (on 2026-07-28) is told the real
    # client's capabilities with each request, so it refuses to ask, with its own error.
    async with MCPClient(front, mode=mode) as client:
        with pytest.raises(
            ServerError, match="needs the client capability 'sampling', which the client did not"
        ):
            await client.get_session("mcp-use-proxy").call_tool("ask_all", {})


async def test_front_tools_middleware_and_in_memory_target() -> None:
    inner = MCPServer(name="inner")

    @inner.tool()
    def shared() -> str:
        return "from inner"

    seen = Seen()
    proxy = MCPServer.as_proxy(inner, middleware=[seen])

    @proxy.tool()
    def local() -> str:
        return "from the front"

    async with MCPClient(proxy, mode="2026-07-28") as client:
        session = client.get_session("mcp-use-proxy")
        assert [t.name for t in await session.list_tools()] == ["local", "shared"]
        assert (await session.call_tool("local", {})).content[0].text == "from the front"
        assert (await session.call_tool("shared", {})).content[0].text == "from inner"
    assert seen.names == ["local", "shared"]
    await proxy.close_proxy()


@pytest.mark.parametrize("mode", ERAS)
async def test_a_dead_child_fails_the_call_in_flight_and_is_started_again(
    front: MCPServer, mode: str
) -> None:
    async with MCPClient(front, mode=mode, timeout=20) as client:
        session = client.get_session("mcp-use-proxy")
        first = (await session.call_tool("pid", {})).structuredContent["result"]
        with pytest.raises(ServerError, match=r"Proxy target failed during tools/call: .*exited with code 3"):
            await session.call_tool("die", {})
        second = (await session.call_tool("pid", {})).structuredContent["result"]
        assert second != first
    assert front._proxy.target.starts == 2


async def test_cancelling_the_front_call_ends_the_forwarded_call(front: MCPServer) -> None:
    async with MCPClient(front, mode="legacy") as client:
        session = client.get_session("mcp-use-proxy")
        with pytest.raises(RequestTimedOut, match=r"timed out after 0\.5s"):
            await session.call_tool("slow", {"seconds": 30}, timeout=0.5)
        for _ in range(100):  # the client's notifications/cancelled reaches the front
            if not front._proxy.routing.active:
                break
            await asyncio.sleep(0.05)
        assert front._proxy.routing.active == []  # the forwarded call is gone too
        assert (await session.call_tool("slow", {"seconds": 0}, timeout=10)).content[0].text == "finished"


def test_bad_targets() -> None:
    from mcp_use.client.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"several servers are configured in the proxy target's config: name one after the config \(a, b\)",
    ):
        MCPServer.as_proxy({"mcpServers": {"a": {"url": "http://x"}, "b": {"url": "http://y"}}})
    with pytest.raises(
        ConfigError, match=r"server 'c' is not configured in the proxy target's config \(configured: a\)"
    ):
        MCPServer.as_proxy({"mcpServers": {"a": {"url": "http://x"}}}, server="c")
    with pytest.raises(ConfigError, match="give a URL"):
        MCPServer.as_proxy("not-a-url")


async def test_the_front_s_auth_guards_the_target() -> None:
    """A proxy with `auth=`: no token, no call; with one, the front's middleware sees its
    principal and the call reaches the target."""
    import time

    import httpx
    import jwt

    from mcp_use.auth import JWTVerifier

    resource, secret = "http://127.0.0.1:8000/mcp", "proxy-secret-of-at-least-32-bytes!"
    inner = MCPServer(name="inner")

    @inner.tool()
    def secret_data() -> str:
        return "the data"

    principals: list[str] = []

    class Who(Middleware):
        async def on_call_tool(self, ctx: MiddlewareContext, call_next: Any) -> Any:
            principals.append(ctx.access_token.principal)
            return await call_next(ctx)

    front = MCPServer.as_proxy(inner, auth=JWTVerifier(secret=secret, audience=resource), middleware=[Who()])
    token = jwt.encode(
        {"sub": "ada", "aud": resource, "exp": int(time.time()) + 600}, secret, algorithm="HS256"
    )
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "secret_data", "_meta": meta},
    }
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28",
               "mcp-method": "tools/call", "mcp-name": "secret_data"}  # fmt: skip
    transport = httpx.ASGITransport(app=front.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        refused = await http.post("/mcp", json=body, headers=headers)
        assert refused.status_code == 401 and principals == []
        ok = await http.post("/mcp", json=body, headers={**headers, "authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["result"]["content"][0]["text"] == "the data"
    assert principals == ["ada"]
    await front.close_proxy()


@pytest.mark.parametrize("mode", ERAS)
async def test_resource_subscriptions_reach_the_target_once(mode: str) -> None:
    """Two front clients subscribe to one URI (a legacy subscribe, or a 2026-07-28
    listen naming it): the target is subscribed once, each client hears the update, and
    the target is unsubscribed after the last client lets go."""
    inner = MCPServer(name="inner")

    @inner.resource("test://watched")
    def watched() -> str:
        return "watched"

    proxy = MCPServer.as_proxy(inner)
    heard: dict[str, list[str]] = {"a": [], "b": []}
    async with (
        MCPClient(proxy, mode=mode, resource_updated_callback=heard["a"].append) as a,
        MCPClient(proxy, mode=mode, resource_updated_callback=heard["b"].append) as b,
    ):
        sa, sb = a.get_session("mcp-use-proxy"), b.get_session("mcp-use-proxy")
        await sa.subscribe("test://watched")
        await sb.subscribe("test://watched")  # on 2026-07-28 a listen, acknowledged later
        await until(lambda: proxy._proxy.subscriptions.wanted == {"test://watched": 2})
        await inner.notify_resource_updated("test://watched")
        await until(lambda: bool(heard["a"] and heard["b"]))
        assert heard == {"a": ["test://watched"], "b": ["test://watched"]}
        await sa.unsubscribe("test://watched")
        await sb.unsubscribe("test://watched")
        await until(lambda: not proxy._proxy.subscriptions.wanted)
    await proxy.close_proxy()


async def until(condition: Any, seconds: float = 5.0) -> None:
    """Wait for `condition()` (something another task does); fail saying so after `seconds`."""
    async with asyncio.timeout(seconds):
        for _ in iter(int, 1):  # polled: what it waits for has no event of its own to await
            if condition():
                return
            await asyncio.sleep(0.02)
