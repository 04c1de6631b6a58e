"""Server features through the real ASGI app, in process.

Most tests drive ``server.app`` with ``httpx.AsyncClient(transport=httpx.ASGITransport(...))``.
That transport buffers a response until the app finishes, which is fine for a POST
answered over SSE (progress, logs) but cannot observe a stream that stays open; the
legacy GET stream tests therefore run the same app under a real uvicorn server on
127.0.0.1, in this event loop, so a tool can be registered while it serves.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypedDict

import httpx
import pytest
import uvicorn
from pydantic import BaseModel, Field

from mcp_use import Context, MCPServer
from mcp_use.types import (
    AudioContent,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from tests.helpers import free_port

from .conftest import ACCEPT, LEGACY, MODERN, MODERN_META

BASE = "http://127.0.0.1:8000"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


# --------------------------------------------------------------------------- client
class Peer:
    """A raw MCP client over an httpx client: legacy (session) or modern (per-request _meta)."""

    def __init__(self, http: httpx.AsyncClient, era: str, path: str = "/mcp") -> None:
        self.http = http
        self.era = era
        self.path = path
        self.headers: dict[str, str] = {"accept": ACCEPT, "content-type": "application/json"}
        self._ids = iter(range(1, 10_000))

    async def open(self, capabilities: dict[str, Any] | None = None) -> Peer:
        if self.era == LEGACY:
            response = await self.http.post(
                self.path,
                json={
                    "jsonrpc": "2.0",
                    "id": 0,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": LEGACY,
                        "capabilities": capabilities or {},
                        "clientInfo": {"name": "features", "version": "1"},
                    },
                },
                headers=self.headers,
            )
            assert response.status_code == 200, response.text
            self.headers["mcp-session-id"] = response.headers["mcp-session-id"]
            self.headers["mcp-protocol-version"] = LEGACY
            await self.http.post(
                self.path,
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers=self.headers,
            )
        else:
            self.headers["mcp-protocol-version"] = MODERN
        return self

    def body(
        self, method: str, params: dict[str, Any] | None = None, meta: dict[str, Any] | None = None
    ) -> dict:
        params = dict(params or {})
        if self.era == MODERN:
            params["_meta"] = {**MODERN_META, **(meta or {})}
        elif meta:
            params["_meta"] = meta
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}

    def request_headers(self, method: str, params: dict[str, Any] | None) -> dict[str, str]:
        headers = dict(self.headers)
        if self.era == MODERN:
            headers["mcp-method"] = method
            if method == "tools/call" or method == "prompts/get":
                headers["mcp-name"] = (params or {})["name"]
            elif method == "resources/read":
                headers["mcp-name"] = (params or {})["uri"]
        return headers

    async def post(
        self, method: str, params: dict[str, Any] | None = None, meta: dict[str, Any] | None = None
    ) -> tuple[httpx.Response, list[dict[str, Any]]]:
        """POST one request; returns the response and every JSON-RPC message in it."""
        response = await self.http.post(
            self.path, json=self.body(method, params, meta), headers=self.request_headers(method, params)
        )
        return response, messages_in(response)

    async def rpc(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response, messages = await self.post(method, params, **kw)
        assert response.status_code == 200, response.text
        final = messages[-1]
        assert "error" not in final, final
        return final["result"]

    async def error(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        _, messages = await self.post(method, params)
        final = messages[-1]
        assert "error" in final, final
        return final["error"]

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.rpc("tools/call", {"name": name, "arguments": arguments or {}})


def messages_in(response: httpx.Response) -> list[dict[str, Any]]:
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/event-stream"):
        return [
            json.loads(line[len("data:") :])
            for line in response.text.splitlines()
            if line.startswith("data:") and line[len("data:") :].strip()
        ]
    if kind.startswith("application/json"):
        return [response.json()]
    return []


@contextlib.asynccontextmanager
async def asgi(server: MCPServer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=15.0) as http:
        yield http


@contextlib.asynccontextmanager
async def peer(server: MCPServer, era: str, **open_kw: Any) -> AsyncIterator[Peer]:
    async with asgi(server) as http:
        yield await Peer(http, era).open(**open_kw)


@pytest.fixture(params=[LEGACY, MODERN], ids=["legacy", "modern"])
def era(request: pytest.FixtureRequest) -> str:
    return request.param


# --------------------------------------------------------------------------- schemas
class Address(BaseModel):
    street: str
    city: str = Field(description="City name")


class Person(BaseModel):
    name: str
    address: Address
    tags: list[str] = []


def schema_server() -> MCPServer:
    server = MCPServer(name="schemas")

    @server.tool()
    async def register(
        person: Person,
        ctx: Context,
        priority: Annotated[int, Field(ge=1, le=5, description="How urgent")] = 3,
        note: str = Field(default="", json_schema_extra={"x-ui": "textarea", "examples": ["hi"]}),
    ) -> str:
        """Register a person.

        The address is nested.
        """
        assert isinstance(ctx, Context)
        assert isinstance(person, Person) and isinstance(person.address, Address)
        return f"{person.name}@{person.address.city}:{priority}:{note}"

    @server.tool(name="renamed", description="Explicit description wins")
    def documented(x: int) -> str:
        """Docstring that is overridden."""
        return str(x)

    return server


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$defs"):
                found.append(key)
            found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return found


async def test_input_schema_from_signature(era: str) -> None:
    async with peer(schema_server(), era) as p:
        tools = {t["name"]: t for t in (await p.rpc("tools/list"))["tools"]}
    register = tools["register"]
    schema = register["inputSchema"]
    assert register["description"].startswith("Register a person.")
    assert "The address is nested." in register["description"]
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"person", "priority", "note"}  # ctx hidden
    assert schema["required"] == ["person"]
    assert _refs(schema) == [], f"nested models must be inlined: {schema}"
    person = schema["properties"]["person"]
    assert person["type"] == "object"
    assert person["properties"]["address"]["properties"]["city"]["description"] == "City name"
    assert person["properties"]["address"]["required"] == ["street", "city"]
    assert person["properties"]["tags"] == {"type": "array", "items": {"type": "string"}, "default": []} or (
        person["properties"]["tags"]["type"] == "array" and person["properties"]["tags"]["default"] == []
    )
    priority = schema["properties"]["priority"]
    assert (priority["minimum"], priority["maximum"], priority["default"]) == (1, 5, 3)
    assert priority["description"] == "How urgent"
    note = schema["properties"]["note"]
    assert note["x-ui"] == "textarea" and note["examples"] == ["hi"]
    assert "outputSchema" not in register  # a str return is plain text
    assert tools["renamed"]["description"] == "Explicit description wins"


async def test_nested_arguments_are_validated_into_models(era: str) -> None:
    async with peer(schema_server(), era) as p:
        result = await p.call(
            "register",
            {"person": {"name": "Ada", "address": {"street": "1 Loop", "city": "London"}}, "note": "n"},
        )
        assert result["isError"] is False
        assert result["content"] == [{"type": "text", "text": "Ada@London:3:n"}]
        bad = await p.call("register", {"person": {"name": "Ada", "address": {"street": "x"}}, "priority": 9})
    assert bad["isError"] is True
    text = bad["content"][0]["text"]
    assert "person.address.city" in text and "priority" in text


async def test_hand_written_input_schema_is_published_verbatim(era: str) -> None:
    server = MCPServer(name="verbatim")
    schema = {
        "type": "object",
        "$defs": {"pos": {"type": "integer", "minimum": 0}},
        "properties": {"n": {"$ref": "#/$defs/pos"}},
        "required": ["n"],
    }

    @server.tool(input_schema=schema)
    def raw(n: int) -> str:
        return str(n * 2)

    async with peer(server, era) as p:
        [tool] = (await p.rpc("tools/list"))["tools"]
        assert tool["inputSchema"] == schema
        assert (await p.call("raw", {"n": 21}))["content"][0]["text"] == "42"


# ---------------------------------------------------------------- structured output
class Forecast(BaseModel):
    city: str
    temps: list[float]


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Totals(TypedDict):
    count: int
    label: str


def structured_server() -> MCPServer:
    server = MCPServer(name="structured")

    @server.tool()
    def forecast(city: str) -> Forecast:
        return Forecast(city=city, temps=[1.5, 2.5])

    @server.tool()
    def count(n: int) -> int:
        return n * 2

    @server.tool()
    def flag() -> bool:
        return True

    @server.tool()
    def shout(text: str) -> str:
        return text.upper()

    @server.tool()
    def numbers() -> list[int]:
        return [1, 2, 3]

    @server.tool()
    def point() -> Point:
        return Point(3, 4)

    @server.tool()
    def totals() -> Totals:
        return {"count": 2, "label": "two"}

    @server.tool()
    def mapping() -> dict[str, int]:
        return {"a": 1}

    return server


async def test_structured_output(era: str) -> None:
    async with peer(structured_server(), era) as p:
        tools = {t["name"]: t for t in (await p.rpc("tools/list"))["tools"]}
        results = {
            name: await p.call(name, args)
            for name, args in [
                ("forecast", {"city": "Oslo"}),
                ("count", {"n": 21}),
                ("flag", {}),
                ("shout", {"text": "hey"}),
                ("numbers", {}),
                ("point", {}),
                ("totals", {}),
                ("mapping", {}),
            ]
        }

    out = tools["forecast"]["outputSchema"]
    assert out["type"] == "object" and set(out["properties"]) == {"city", "temps"}
    assert _refs(out) == []
    assert results["forecast"]["structuredContent"] == {"city": "Oslo", "temps": [1.5, 2.5]}
    assert json.loads(results["forecast"]["content"][0]["text"]) == {"city": "Oslo", "temps": [1.5, 2.5]}

    # Primitives and lists travel wrapped as {"result": value}.
    assert tools["count"]["outputSchema"] == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }
    assert results["count"]["structuredContent"] == {"result": 42}
    assert results["count"]["content"] == [{"type": "text", "text": "42"}]
    assert results["flag"]["structuredContent"] == {"result": True}
    assert results["numbers"]["structuredContent"] == {"result": [1, 2, 3]}
    assert tools["numbers"]["outputSchema"]["properties"]["result"]["type"] == "array"

    # A plain str return: one text block, no outputSchema, no structuredContent.
    assert "outputSchema" not in tools["shout"]
    assert results["shout"]["content"] == [{"type": "text", "text": "HEY"}]
    assert "structuredContent" not in results["shout"]

    assert results["point"]["structuredContent"] == {"x": 3, "y": 4}
    assert tools["point"]["outputSchema"]["type"] == "object"
    assert results["totals"]["structuredContent"] == {"count": 2, "label": "two"}
    assert set(tools["totals"]["outputSchema"]["properties"]) == {"count", "label"}
    assert results["mapping"]["structuredContent"] == {"a": 1}
    for result in results.values():
        assert result["isError"] is False


# ------------------------------------------------------------------- content types
def content_server() -> MCPServer:
    server = MCPServer(name="content")

    @server.tool()
    def image() -> ImageContent:
        return ImageContent(data=PNG, mimeType="image/png")

    @server.tool()
    def audio() -> AudioContent:
        return AudioContent(data="UklGRg==", mimeType="audio/wav")

    @server.tool()
    def embedded() -> EmbeddedResource:
        return EmbeddedResource(
            resource=TextResourceContents(uri="memo://1", mimeType="text/plain", text="memo body")
        )

    @server.tool()
    def link() -> ResourceLink:
        return ResourceLink(uri="file:///tmp/report.txt", name="report", mimeType="text/plain")

    @server.tool()
    def mixed() -> list:
        return [
            TextContent(text="first"),
            ImageContent(data=PNG, mimeType="image/png"),
            TextContent(text="last"),
        ]

    @server.tool()
    def verbatim() -> CallToolResult:
        return CallToolResult(content=[TextContent(text="as is")], isError=True)

    return server


async def test_content_types(era: str) -> None:
    async with peer(content_server(), era) as p:
        image = await p.call("image")
        audio = await p.call("audio")
        embedded = await p.call("embedded")
        link = await p.call("link")
        mixed = await p.call("mixed")
        verbatim = await p.call("verbatim")
    assert image["content"] == [{"type": "image", "data": PNG, "mimeType": "image/png"}]
    assert audio["content"] == [{"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"}]
    assert embedded["content"] == [
        {
            "type": "resource",
            "resource": {"uri": "memo://1", "mimeType": "text/plain", "text": "memo body"},
        }
    ]
    [block] = link["content"]
    assert block["type"] == "resource_link" and block["uri"] == "file:///tmp/report.txt"
    assert block["name"] == "report"
    assert [b["type"] for b in mixed["content"]] == ["text", "image", "text"]
    assert mixed["content"][0]["text"] == "first" and mixed["content"][2]["text"] == "last"
    assert verbatim["isError"] is True and verbatim["content"] == [{"type": "text", "text": "as is"}]
    for result in (image, audio, embedded, link, mixed):
        assert "structuredContent" not in result
        assert result["isError"] is False


# ---------------------------------------------------------------------- pagination
def paged_server() -> MCPServer:
    server = MCPServer(name="paged", page_size=2)
    for i in range(5):
        server.add_tool(lambda i=i: str(i), name=f"tool_{i}")
        server.add_prompt(lambda i=i: f"prompt {i}", name=f"prompt_{i}")
        server.add_resource(lambda i=i: f"res {i}", f"res://{i}")
    for i in range(3):
        server.add_resource(lambda item, i=i: f"{i}:{item}", f"tpl{i}://{{item}}")
    return server


async def _walk(p: Peer, method: str, key: str) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        result = await p.rpc(method, {"cursor": cursor} if cursor else {})
        pages.append([item.get("name") or item.get("uri") for item in result[key]])
        cursor = result.get("nextCursor")
        if not cursor:
            return pages
        assert len(pages) < 10, "pagination does not end"


async def test_pagination_cursors(era: str) -> None:
    async with peer(paged_server(), era) as p:
        assert await _walk(p, "tools/list", "tools") == [
            ["tool_0", "tool_1"],
            ["tool_2", "tool_3"],
            ["tool_4"],
        ]
        assert await _walk(p, "prompts/list", "prompts") == [
            ["prompt_0", "prompt_1"],
            ["prompt_2", "prompt_3"],
            ["prompt_4"],
        ]
        resources = await _walk(p, "resources/list", "resources")
        assert [len(page) for page in resources] == [2, 2, 1]
        templates = await p.rpc("resources/templates/list")
        assert len(templates["resourceTemplates"]) == 2 and templates["nextCursor"]
        error = await p.error("tools/list", {"cursor": "not-a-cursor!"})
    assert error["code"] == -32602
    assert "cursor" in error["message"].lower()


# ------------------------------------------------------- notifications on POST SSE
def notifying_server() -> MCPServer:
    server = MCPServer(name="notifying")

    @server.tool()
    async def work(steps: int, ctx: Context) -> str:
        await ctx.debug("starting")
        for i in range(1, steps + 1):
            await ctx.report_progress(i, steps, f"step {i}")
        await ctx.info({"done": steps})
        return "finished"

    return server


async def test_progress_and_logs_arrive_on_the_post_stream(era: str) -> None:
    async with peer(notifying_server(), era) as p:
        if era == LEGACY:
            await p.rpc("logging/setLevel", {"level": "debug"})
            meta = {"progressToken": "tok-1"}
        else:
            meta = {"progressToken": "tok-1", "io.modelcontextprotocol/logLevel": "debug"}
        response, messages = await p.post(
            "tools/call", {"name": "work", "arguments": {"steps": 3}}, meta=meta
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    *notes, final = messages
    assert final["result"]["content"] == [{"type": "text", "text": "finished"}]
    assert [n["method"] for n in notes] == ["notifications/message"] + ["notifications/progress"] * 3 + [
        "notifications/message"
    ]
    assert notes[0]["params"]["level"] == "debug" and notes[0]["params"]["data"] == "starting"
    assert [n["params"]["progress"] for n in notes[1:4]] == [1, 2, 3]
    assert all(n["params"]["progressToken"] == "tok-1" and n["params"]["total"] == 3 for n in notes[1:4])
    assert notes[3]["params"]["message"] == "step 3"
    assert notes[4]["params"] == {"level": "info", "data": {"done": 3}}


async def test_no_notifications_means_plain_json(era: str) -> None:
    """Without a progress token or log opt-in the answer is plain JSON, not SSE."""
    async with peer(notifying_server(), era) as p:
        if era == LEGACY:
            await p.rpc("logging/setLevel", {"level": "error"})
        response, messages = await p.post("tools/call", {"name": "work", "arguments": {"steps": 2}})
    assert response.headers["content-type"].startswith("application/json")
    assert [m.get("method") for m in messages] == [None]
    assert messages[0]["result"]["content"][0]["text"] == "finished"


async def test_a_log_level_that_is_no_name_is_invalid_params(era: str) -> None:
    """A level that is a list or an object (unhashable: once a crash, answered -32603) or
    a number is refused as invalid params, on both eras."""
    async with peer(notifying_server(), era) as p:
        for level in (["debug"], {"debug": 1}, 3):
            if era == LEGACY:
                _, messages = await p.post("logging/setLevel", {"level": level})
            else:
                arguments = {"name": "work", "arguments": {"steps": 1}}
                _, messages = await p.post(
                    "tools/call", arguments, meta={"io.modelcontextprotocol/logLevel": level}
                )
            error = messages[-1]["error"]
            assert error["code"] == -32602 and "Invalid log level" in error["message"], error


# ------------------------------------------------------------------------ resources
def resource_server() -> MCPServer:
    server = MCPServer(name="resources")

    @server.resource("config://settings", mime_type="application/json", description="Settings")
    def settings() -> str:
        return '{"debug": false}'

    @server.resource("bin://logo", mime_type="image/png")
    def logo() -> bytes:
        return b"\x89PNG-bytes"

    @server.resource("users://{user_id}/posts/{post_id}", mime_type="text/plain", description="One post")
    async def post(user_id: str, post_id: int) -> str:
        return f"post {post_id + 1} of {user_id}"

    return server


async def test_resources_and_templates(era: str) -> None:
    async with peer(resource_server(), era) as p:
        listed = await p.rpc("resources/list")
        templates = await p.rpc("resources/templates/list")
        settings = await p.rpc("resources/read", {"uri": "config://settings"})
        logo = await p.rpc("resources/read", {"uri": "bin://logo"})
        post = await p.rpc("resources/read", {"uri": "users://ada/posts/41"})
        missing = await p.error("resources/read", {"uri": "nothing://here"})
    assert {r["uri"] for r in listed["resources"]} == {"config://settings", "bin://logo"}
    [template] = templates["resourceTemplates"]
    assert template["uriTemplate"] == "users://{user_id}/posts/{post_id}"
    assert template["description"] == "One post" and template["mimeType"] == "text/plain"
    assert settings["contents"] == [
        {"uri": "config://settings", "mimeType": "application/json", "text": '{"debug": false}'}
    ]
    assert logo["contents"] == [
        {"uri": "bin://logo", "mimeType": "image/png", "blob": base64.b64encode(b"\x89PNG-bytes").decode()}
    ]
    assert post["contents"] == [
        {"uri": "users://ada/posts/41", "mimeType": "text/plain", "text": "post 42 of ada"}
    ]
    assert missing["code"] == (-32002 if era == LEGACY else -32602)
    assert "nothing://here" in missing["message"]


# -------------------------------------------------------------------------- prompts
def prompt_server() -> MCPServer:
    server = MCPServer(name="prompts")

    @server.prompt()
    def translate(text: str, language: str = "French") -> str:
        """Translate a text."""
        return f"Translate into {language}: {text}"

    @server.prompt(name="chat", description="A short conversation")
    async def conversation(topic: str, ctx: Context) -> list[dict[str, str]]:
        assert isinstance(ctx, Context)
        return [
            {"role": "user", "content": f"Tell me about {topic}"},
            {"role": "assistant", "content": "Gladly."},
        ]

    return server


async def test_prompts_with_arguments(era: str) -> None:
    async with peer(prompt_server(), era) as p:
        prompts = {pr["name"]: pr for pr in (await p.rpc("prompts/list"))["prompts"]}
        translated = await p.rpc("prompts/get", {"name": "translate", "arguments": {"text": "hello"}})
        german = await p.rpc(
            "prompts/get", {"name": "translate", "arguments": {"text": "hi", "language": "German"}}
        )
        chat = await p.rpc("prompts/get", {"name": "chat", "arguments": {"topic": "owls"}})
        missing = await p.error("prompts/get", {"name": "translate", "arguments": {}})
        unknown = await p.error("prompts/get", {"name": "nope"})
    assert prompts["translate"]["description"] == "Translate a text."
    assert [(a["name"], a.get("required", False)) for a in prompts["translate"]["arguments"]] == [
        ("text", True),
        ("language", False),
    ]
    assert [a["name"] for a in prompts["chat"]["arguments"]] == ["topic"]  # ctx hidden
    assert prompts["chat"]["description"] == "A short conversation"
    assert translated["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Translate into French: hello"}}
    ]
    assert german["messages"][0]["content"]["text"] == "Translate into German: hi"
    assert chat["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Tell me about owls"}},
        {"role": "assistant", "content": {"type": "text", "text": "Gladly."}},
    ]
    assert missing["code"] == -32602 and "text" in missing["message"]
    assert unknown["code"] == -32602 and "nope" in unknown["message"]


# ---------------------------------------------- the legacy GET stream (real uvicorn)
async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition another task makes true (the server's own state)."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def uvicorn_server(server: MCPServer) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        server.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", loop="asyncio"
    )
    runner = uvicorn.Server(config)
    task = asyncio.create_task(runner.serve())
    try:
        await wait_until(lambda: runner.started, 10)
        yield f"http://127.0.0.1:{port}"
    finally:
        runner.should_exit = True
        async with asyncio.timeout(10):
            await task


async def _next_message(lines: AsyncIterator[str]) -> dict[str, Any]:
    async for line in lines:
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])
    raise AssertionError("the stream ended")


async def test_tools_list_changed_reaches_the_legacy_get_stream() -> None:
    server = MCPServer(name="dynamic")

    @server.tool()
    def first() -> str:
        return "1"

    async with uvicorn_server(server) as base, httpx.AsyncClient(base_url=base, timeout=10.0) as http:
        p = await Peer(http, LEGACY).open()
        assert [t["name"] for t in (await p.rpc("tools/list"))["tools"]] == ["first"]
        headers = {k: v for k, v in p.headers.items() if k != "content-type"}
        headers["accept"] = "text/event-stream"
        async with http.stream("GET", "/mcp", headers=headers) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            # Wait until the server has attached the stream to the session.
            session = server.core.sessions.get(p.headers["mcp-session-id"])
            await wait_until(lambda: session.stream is not None)

            @server.tool()
            def second() -> str:
                return "2"

            async with asyncio.timeout(5):
                message = await _next_message(lines)
            assert message == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}

            server.remove_tool("first")
            async with asyncio.timeout(5):
                assert (await _next_message(lines))["method"] == "notifications/tools/list_changed"
        assert [t["name"] for t in (await p.rpc("tools/list"))["tools"]] == ["second"]

        # The client closed the stream: the server notices and lets go of it.
        await wait_until(lambda: session.stream is None)


async def test_capabilities_advertise_list_changed(era: str) -> None:
    async with peer(MCPServer(name="caps"), era) as p:
        if era == LEGACY:
            body = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY,
                    "capabilities": {},
                    "clientInfo": {"name": "c", "version": "1"},
                },
            }
            response = await p.http.post("/mcp", json=body, headers={"accept": ACCEPT})
            caps = response.json()["result"]["capabilities"]
        else:
            caps = (await p.rpc("server/discover"))["capabilities"]
    assert caps["tools"]["listChanged"] is True
    assert caps["prompts"]["listChanged"] is True
    assert caps["resources"]["listChanged"] is True


# ------------------------------------------------------------------- request context
async def test_request_context_on_an_unprotected_server(era: str) -> None:
    """`ctx.access_token` is None without authorization; the HTTP headers reach the tool."""
    server = MCPServer(name="context")

    @server.tool()
    def whoami(ctx: Context) -> dict[str, Any]:
        return {"token": ctx.access_token, "agent": ctx.request_headers.get("user-agent")}

    async with peer(server, era) as p:
        p.headers["user-agent"] = "context-test/1"
        result = await p.call("whoami")
    assert result["structuredContent"] == {"token": None, "agent": "context-test/1"}
