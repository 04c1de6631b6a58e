"""`server.mount(other, prefix=...)`: prefixed tools and prompts, resources under their
own URIs, the child's middleware kept, input rounds through the mount, and live changes
announced by the parent. Driven by our client in memory on both eras."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcp_use import MCPClient
from mcp_use.client import ServerError
from mcp_use.server import Context, MCPServer, Middleware, MiddlewareContext

ERAS = ["legacy", "2026-07-28"]


class Seen(Middleware):
    def __init__(self, label: str, log: list[str]) -> None:
        self.label, self.log = label, log

    async def on_call_tool(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        self.log.append(f"{self.label}:{ctx.params['name']}")
        return await call_next(ctx)


def build(log: list[str]) -> tuple[MCPServer, MCPServer]:
    parent = MCPServer(name="parent", middleware=[Seen("parent", log)])
    child = MCPServer(name="billing-server", middleware=[Seen("child", log)], page_size=1)

    @parent.tool()
    def hello() -> str:
        return "parent hello"

    @child.tool()
    def hello() -> str:  # noqa: F811 - the same name on the child: prefixed, no clash
        return "child hello"

    @child.tool()
    async def charge(amount: int, ctx: Context) -> str:
        answer = await ctx.elicit(
            f"Charge {amount}?", {"type": "object", "properties": {"ok": {"type": "boolean"}}}
        )
        return f"charged {amount} by {ctx.server.name}: {answer.content['ok']}"

    @child.prompt()
    def invoice(customer: str) -> str:
        """An invoice."""
        return f"invoice for {customer}"

    @child.resource("billing://rates")
    def rates() -> str:
        return "1.5%"

    @child.resource("billing://invoice/{id}")
    def one_invoice(id: str) -> str:
        return f"invoice {id}"

    @parent.resource("parent://about")
    def about() -> str:
        return "parent"

    parent.mount(child, prefix="billing")
    return parent, child


async def yes(ctx: Any, params: Any) -> dict[str, Any]:
    return {"action": "accept", "content": {"ok": True}}


@pytest.mark.parametrize("mode", ERAS)
async def test_mounted_features(mode: str) -> None:
    log: list[str] = []
    parent, _ = build(log)
    async with MCPClient(parent, mode=mode, elicitation_callback=yes) as client:
        session = client.get_session("parent")
        assert [t.name for t in await session.list_tools()] == ["hello", "billing_hello", "billing_charge"]
        assert (await session.call_tool("hello", {})).content[0].text == "parent hello"
        assert (await session.call_tool("billing_hello", {})).content[0].text == "child hello"
        charged = await session.call_tool("billing_charge", {"amount": 5})
        assert charged.content[0].text == "charged 5 by billing-server: True"
        assert log[:3] == ["parent:hello", "parent:billing_hello", "child:hello"]
        assert "child:charge" in log and "parent:billing_charge" in log
        assert [p.name for p in await session.list_prompts()] == ["billing_invoice"]
        prompt = await session.get_prompt("billing_invoice", {"customer": "ada"})
        assert prompt.messages[0].content.text == "invoice for ada"
        uris = {str(r.uri) for r in await session.list_resources()}
        assert uris == {"parent://about", "billing://rates"}
        templates = [t.uriTemplate for t in await session.list_resource_templates()]
        assert templates == ["billing://invoice/{id}"]
        assert (await session.read_resource("billing://invoice/7")).contents[0].text == "invoice 7"
        assert (await session.read_resource("parent://about")).contents[0].text == "parent"
        with pytest.raises(ServerError, match="Unknown tool: billing_nope"):
            await session.call_tool("billing_nope", {})
        with pytest.raises(ServerError, match="Resource not found"):
            await session.read_resource("billing://missing")


@pytest.mark.parametrize("mode", ERAS)
async def test_mount_is_live(mode: str) -> None:
    parent, child = build([])
    changed: asyncio.Queue[str] = asyncio.Queue()
    updated: asyncio.Queue[str] = asyncio.Queue()
    client = MCPClient(
        parent,
        mode=mode,
        list_changed_callback=changed.put_nowait,
        resource_updated_callback=updated.put_nowait,
    )
    async with client:
        session = client.get_session("parent")
        await session.subscribe("billing://rates")
        await asyncio.sleep(0.1)  # the modern listen settles
        child.add_tool(lambda: "new", name="refund")
        assert await asyncio.wait_for(changed.get(), 5) == "tools"
        assert "billing_refund" in {t.name for t in await session.list_tools()}
        child.notify_resource_updated("billing://rates")
        assert await asyncio.wait_for(updated.get(), 5) == "billing://rates"


def test_bad_mounts() -> None:
    server = MCPServer(name="a")
    with pytest.raises(ValueError, match="cannot mount itself"):
        server.mount(server, prefix="x")
    with pytest.raises(ValueError, match="mount prefix"):
        server.mount(MCPServer(name="b"), prefix="has space")
