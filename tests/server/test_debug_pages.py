"""Debug routes: /openmcp.json, /docs, /inspector (assets), and DEBUG=2 message logging."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

from mcp_use import MCPServer
from mcp_use.server.http import debug

ACCEPT = "application/json, text/event-stream"


class Point(BaseModel):
    x: float
    y: float = Field(0.0, description="vertical")


def make_server(name: str = "pages", **options: Any) -> MCPServer:
    server = MCPServer(name=name, version="2.1.0", instructions="Server <b>notes</b>", **options)

    @server.tool(annotations={"readOnlyHint": True})
    def area(width: float, height: float = 1.0, unit: str = "cm") -> Point:
        """Area of a <rectangle> & friends."""
        return Point(x=width * height)

    @server.tool(name="evil<script>alert(1)</script>")
    def evil(payload: str = "</script><img src=x onerror=alert(1)>") -> str:
        """<script>alert('doc')</script>"""
        return payload

    @server.resource("data://cfg", mime_type="application/json", description="Config & <stuff>")
    def cfg() -> str:
        return "{}"

    @server.resource("items://{item_id}", description="One item")
    def item(item_id: str) -> str:
        return item_id

    @server.prompt()
    def summarize(text: str, style: str = "short") -> str:
        """Summarize a text."""
        return text

    return server


async def rpc(
    client: httpx.AsyncClient, session: str | None, id_: int, method: str, params: dict
) -> httpx.Response:
    headers = {"content-type": "application/json", "accept": ACCEPT}
    if session:
        headers["mcp-session-id"] = session
    return await client.post(
        "/mcp", json={"jsonrpc": "2.0", "id": id_, "method": method, "params": params}, headers=headers
    )


def asgi_client(server: MCPServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app), base_url="http://localhost")


async def test_openmcp_matches_the_lists() -> None:
    server = make_server(debug=True)
    async with asgi_client(server) as client:
        doc = (await client.get("/openmcp.json")).json()
        assert list(doc) == [
            "openmcp",
            "info",
            "capabilities",
            "tools",
            "resources",
            "resources_templates",
            "prompts",
        ]
        assert doc["openmcp"] == "1.0"
        assert doc["info"] == {"title": "pages", "version": "2.1.0", "description": "Server <b>notes</b>"}
        init = await rpc(
            client,
            None,
            1,
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        session = init.headers["mcp-session-id"]
        assert doc["capabilities"] == init.json()["result"]["capabilities"]
        lists = {
            "tools": ("tools/list", "tools"),
            "resources": ("resources/list", "resources"),
            "resources_templates": ("resources/templates/list", "resourceTemplates"),
            "prompts": ("prompts/list", "prompts"),
        }
        for n, (key, (method, field)) in enumerate(lists.items(), start=2):
            listed = (await rpc(client, session, n, method, {})).json()["result"][field]
            assert doc[key] == listed, key
        tool = doc["tools"][0]
        assert (
            tool["name"] == "area"
            and "outputSchema" in tool
            and tool["annotations"] == {"readOnlyHint": True}
        )


async def test_debug_routes_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBUG", raising=False)
    async with asgi_client(make_server()) as client:
        for path in ("/openmcp.json", "/docs", "/inspector", "/inspector/assets/app.js"):
            assert (await client.get(path)).status_code == 404, path


@pytest.mark.parametrize(
    ("value", "on"), [("0", False), ("1", True), ("2", True), ("false", False), ("true", True)]
)
async def test_debug_env(monkeypatch: pytest.MonkeyPatch, value: str, on: bool) -> None:
    monkeypatch.setenv("DEBUG", value)
    async with asgi_client(make_server()) as client:
        assert ((await client.get("/docs")).status_code == 200) is on


async def test_docs_page_lists_everything_escaped() -> None:
    async with asgi_client(make_server(debug=True)) as client:
        response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    # responsive, self-contained
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width" in page
    assert not re.search(r"(src|href)=\"https?://", page)
    # every item
    for text in ("area", "data://cfg", "items://{item_id}", "summarize", "Summarize a text."):
        assert text in page
    # a parameter row: name, type, required, default, description
    row = re.search(r"<tr><td data-label=\"Name\"><code>height</code></td>(.*?)</tr>", page)
    assert row is not None
    assert ">number<" in row.group(1) and ">no<" in row.group(1) and "<code>1.0</code>" in row.group(1)
    assert re.search(
        r"<code>width</code></td><td data-label=\"Type\">number</td><td data-label=\"Required\">yes", page
    )
    # output schema rows (structured output)
    assert "<h4>Output</h4>" in page and "vertical" in page
    # escaping: nothing from the registry becomes markup
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Area of a &lt;rectangle&gt; &amp; friends." in page
    assert "Server &lt;b&gt;notes&lt;/b&gt;" in page
    assert "<img src=x" not in page


def test_type_labels() -> None:
    assert debug.type_label({"type": "array", "items": {"type": "integer"}}) == "array of integer"
    assert debug.type_label({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string or null"
    assert debug.type_label({"enum": ["a", "b"], "type": "string"}) == 'one of "a", "b"'
    root = {"$defs": {"P": {"type": "object", "properties": {}}}, "$ref": "#/$defs/P"}
    assert debug.type_label(root) == "object"


async def test_inspector_page_and_assets() -> None:
    server = make_server(
        "x</script><script>alert(1)</script>",
        debug=True,
        mcp_path="/api/mcp",
        inspector_path="/tools/inspect",
    )
    async with asgi_client(server) as client:
        page = await client.get("/tools/inspect")
        assert page.status_code == 200
        html = page.text
        assert '<script type="module" src="/tools/inspect/assets/app.js"></script>' in html
        config_text = re.search(r'<script id="mcp-config" type="application/json">(.*?)</script>', html, re.S)
        assert config_text is not None
        config = json.loads(config_text.group(1))
        assert config["mcpPath"] == "/api/mcp"
        assert config["serverName"] == server.name  # intact after JSON decoding ...
        assert "</script><script>alert" not in html  # ... and never markup
        assert (await client.get("/tools/inspect/")).status_code == 200
        for asset, kind in (
            ("app.js", "javascript"),
            ("mcp.js", "javascript"),
            ("form.js", "javascript"),
            ("style.css", "css"),
        ):
            r = await client.get(f"/tools/inspect/assets/{asset}")
            assert r.status_code == 200 and kind in r.headers["content-type"], asset


def test_inspector_assets_are_offline() -> None:
    """No CDN, no build step: plain files, relative ES module imports."""
    static = Path(debug.INSPECTOR_DIR)
    files = sorted(p.name for p in static.iterdir())
    assert files == [
        "app.js",
        "extras.js",
        "form.js",
        "index.html",
        "input.js",
        "logs.js",
        "mcp.js",
        "render.js",
        "settings.js",
        "signin.js",
        "style.css",
        "tasks.js",
        "wire.js",
    ]
    for path in static.iterdir():
        text = path.read_text()
        assert not re.search(r"https?://(?!localhost)[a-z0-9.-]+\.[a-z]{2,}/", text), path.name
        for spec in re.findall(r'from\s+"([^"]+)"', text):
            assert spec.startswith("./"), (path.name, spec)
    assert (Path(debug.STATIC_DIR) / "docs.css").exists()


async def test_debug2_logs_every_jsonrpc_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEBUG", "2")
    server = make_server(pretty_print_jsonrpc=True)
    caplog.set_level(logging.INFO, logger="mcp_use.server.jsonrpc")
    async with asgi_client(server) as client:
        init = await rpc(
            client,
            None,
            1,
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        session = init.headers["mcp-session-id"]
        await rpc(client, session, 2, "tools/call", {"name": "area", "arguments": {"width": 2}})
    messages = [r.getMessage() for r in caplog.records if r.name == "mcp_use.server.jsonrpc"]
    assert len(messages) == 4, messages  # two in, two out
    assert messages[0].startswith("<- ") and messages[1].startswith("-> ")
    assert '\n  "method": "tools/call"' in messages[2]
    assert '"structuredContent"' in messages[3]


async def test_debug1_does_not_wrap_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "1")
    server = make_server()
    routes = {getattr(r, "path", None): r for r in server.app.routes}
    assert routes["/mcp"].app is server.http_transport().entry  # no middleware, no cost
    monkeypatch.setenv("DEBUG", "2")
    server = make_server()
    routes = {getattr(r, "path", None): r for r in server.app.routes}
    assert isinstance(routes["/mcp"].app, debug.JsonRpcLogger)


def test_sse_event_parsing_for_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mcp_use.server.jsonrpc")
    buffer = bytearray(
        b'event: message\r\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\r\n\r\ndata: {"jsonrpc"'
    )
    debug._drain_sse(buffer, False, "")
    assert bytes(buffer) == b'data: {"jsonrpc"'
    assert [r.getMessage() for r in caplog.records] == ['-> {"jsonrpc":"2.0","id":1,"result":{}}']
