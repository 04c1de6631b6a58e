"""`MCPRouter` groups features in modules; `include_router` adds them with a name prefix."""

from __future__ import annotations

import httpx

from mcp_use import MCPRouter, MCPServer


def _routers() -> MCPRouter:
    maths = MCPRouter()

    @maths.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @maths.resource("maths://constants/pi", mime_type="text/plain")
    def pi() -> str:
        return "3.14159"

    @maths.prompt
    def explain(topic: str) -> str:
        return f"Explain {topic}."

    nested = MCPRouter(prefix="stats_")

    @nested.tool
    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    maths.include_router(nested)
    return maths


async def _call(app: object, method: str, params: dict) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:  # type: ignore[arg-type]
        response = await client.post(
            "/mcp",
            headers={
                "accept": "application/json, text/event-stream",
                "mcp-protocol-version": "2026-07-28",
                "mcp-method": method,
                **(
                    {"mcp-name": params.get("name") or params.get("uri")}
                    if "name" in params or "uri" in params
                    else {}
                ),
            },
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": method,
                "params": {
                    **params,
                    "_meta": {
                        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                        "io.modelcontextprotocol/clientCapabilities": {},
                    },
                },
            },
        )
        assert response.status_code == 200, response.text
        return response.json()["result"]


async def test_included_router_features_are_served_with_prefix() -> None:
    server = MCPServer("routed", dns_rebinding_protection=False)
    server.include_router(_routers(), prefix="maths_")
    tools = await _call(server.app, "tools/list", {})
    assert [t["name"] for t in tools["tools"]] == ["maths_add", "maths_stats_mean"]
    assert tools["tools"][0]["description"] == "Add two integers."
    result = await _call(
        server.app, "tools/call", {"name": "maths_stats_mean", "arguments": {"values": [1, 2, 3]}}
    )
    assert result["structuredContent"] == {"result": 2.0}
    read = await _call(server.app, "resources/read", {"uri": "maths://constants/pi"})
    assert read["contents"][0]["text"] == "3.14159"
    prompts = await _call(server.app, "prompts/list", {})
    assert [p["name"] for p in prompts["prompts"]] == ["maths_explain"]


async def test_router_without_prefix_keeps_names() -> None:
    server = MCPServer("plain", dns_rebinding_protection=False)
    server.include_router(_routers())
    tools = await _call(server.app, "tools/list", {})
    assert [t["name"] for t in tools["tools"]] == ["add", "stats_mean"]
