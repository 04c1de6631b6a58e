"""The agent against servers nobody here wrote: the model reads each tool result once.

server-filesystem mirrors every text as `{"content": text}` and server-memory sends
the JSON of a value beside `{"entities": value}` (or the value itself). Before the
adapter said each thing once, a 32,890-byte file reached the model as a 69,796-character
ToolMessage; these tests read real files and graphs through the real servers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from langchain_core.messages import ToolMessage

from mcp_use import MCPAgent, MCPClient
from tests.helpers import NodeTools

from .conftest import call, calls, scripted

# A 1x1 PNG: small, but its base64 would show up as text if the mirror were appended.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)


def tool_messages(messages: list[Any]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


def filesystem(node: NodeTools, root: Path) -> dict[str, Any]:
    script = node.package_dir("@modelcontextprotocol/server-filesystem") / "dist" / "index.js"
    return {"command": str(node.node), "args": [str(script), str(root)]}


def memory(node: NodeTools, store: Path) -> dict[str, Any]:
    script = node.package_dir("@modelcontextprotocol/server-memory") / "dist" / "index.js"
    return {"command": str(node.node), "args": [str(script)], "env": {"MEMORY_FILE_PATH": str(store)}}


def source_text(size: int) -> str:
    """Code-like text (quotes, backslashes, newlines: what JSON escaping inflates)."""
    line = 'print("path\\\\to\\\\file", {"key": \'value\'})  # a "quoted" comment\n'
    text = (line * (size // len(line) + 1))[:size]
    return text


async def test_filesystem_file_reaches_the_model_once(node: NodeTools, tmp_path: Path) -> None:
    text = source_text(32_890)
    (tmp_path / "big.py").write_text(text)
    (tmp_path / "pixel.png").write_bytes(PIXEL)
    llm = scripted(
        calls(
            ("read_text_file", {"path": str(tmp_path / "big.py")}),
            ("list_directory", {"path": str(tmp_path)}),
            ("read_media_file", {"path": str(tmp_path / "pixel.png")}),
        ),
        "Read it.",
    )
    client = MCPClient.from_dict({"mcpServers": {"fs": filesystem(node, tmp_path)}})
    async with MCPAgent(llm, client) as agent:
        assert await agent.run("read big.py") == "Read it."
    read, listing, picture = tool_messages(llm.turn(1))
    assert read.status == "success" and read.content == text
    assert read.artifact.structuredContent == {"content": text}  # the server did send both
    assert len(read.content) <= 1.2 * len(text.encode())
    assert listing.content == "[FILE] big.py\n[FILE] pixel.png"
    # The image mirrored in structuredContent is neither shown as JSON nor as base64 text.
    assert picture.content == f"[image: image/png, {len(PIXEL)} bytes, not shown to the model]"


async def test_filesystem_image_once_when_the_model_takes_images(node: NodeTools, tmp_path: Path) -> None:
    (tmp_path / "pixel.png").write_bytes(PIXEL)
    llm = scripted(call("read_media_file", path=str(tmp_path / "pixel.png")), "A pixel.")
    client = MCPClient.from_dict({"mcpServers": {"fs": filesystem(node, tmp_path)}})
    async with MCPAgent(llm, client, tool_images=True) as agent:
        assert await agent.run("show pixel.png") == "A pixel."
    [picture] = tool_messages(llm.turn(1))
    assert picture.content == [
        {"type": "image", "base64": base64.b64encode(PIXEL).decode(), "mime_type": "image/png"}
    ]


async def test_filesystem_error_reaches_the_model(node: NodeTools, tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere.txt"
    llm = scripted(call("read_text_file", path=str(outside)), "Not allowed.")
    client = MCPClient.from_dict({"mcpServers": {"fs": filesystem(node, tmp_path / "root")}})
    (tmp_path / "root").mkdir()
    async with MCPAgent(llm, client) as agent:
        assert await agent.run("read a file outside") == "Not allowed."
    [refused] = tool_messages(llm.turn(1))
    assert refused.status == "error" and "Access denied" in refused.content


async def test_memory_graph_reaches_the_model_once(node: NodeTools, tmp_path: Path) -> None:
    store = tmp_path / "memory.jsonl"
    ada = {"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]}
    llm = scripted(
        call("create_entities", entities=[ada]),
        call("read_graph"),
        call("search_nodes", query="program"),
        call("delete_entities", entityNames=["Ada"]),
        "Remembered and forgot Ada.",
    )
    client = MCPClient.from_dict({"mcpServers": {"memory": memory(node, store)}})
    async with MCPAgent(llm, client) as agent:
        assert await agent.run("remember Ada, then forget her") == "Remembered and forgot Ada."
    created = tool_messages(llm.turn(1))[-1]
    assert json.loads(created.content) == [ada]  # the text alone, not the `{"entities": ...}` copy
    assert created.artifact.structuredContent == {"entities": [ada]}
    graph = tool_messages(llm.turn(2))[-1]
    assert json.loads(graph.content) == {"entities": [ada], "relations": []}
    assert graph.content == graph.artifact.content[0].text
    found = tool_messages(llm.turn(3))[-1]
    assert json.loads(found.content) == {"entities": [ada], "relations": []}
    # The structured value says the text ("Entities deleted successfully") and more: it alone.
    deleted = tool_messages(llm.turn(4))[-1]
    assert json.loads(deleted.content) == {"success": True, "message": "Entities deleted successfully"}
    assert deleted.content.count("Entities deleted successfully") == 1
    assert "Ada" not in store.read_text()  # the server really deleted her


async def test_sequential_thinking_result_reaches_the_model_once(node: NodeTools) -> None:
    """server-sequential-thinking sends a JSON text and the same value as structuredContent."""
    script = node.package_dir("@modelcontextprotocol/server-sequential-thinking") / "dist" / "index.js"
    step = {
        "thought": "Split the task in two.",
        "nextThoughtNeeded": True,
        "thoughtNumber": 1,
        "totalThoughts": 2,
    }
    llm = scripted(call("sequentialthinking", **step), "Thinking.")
    client = MCPClient.from_dict(
        {"mcpServers": {"think": {"command": str(node.node), "args": [str(script)]}}}
    )
    async with MCPAgent(llm, client) as agent:
        assert await agent.run("think it through") == "Thinking."
    [thought] = tool_messages(llm.turn(1))
    assert thought.status == "success" and thought.content == thought.artifact.content[0].text
    assert json.loads(thought.content) == thought.artifact.structuredContent
    assert thought.artifact.structuredContent["thoughtNumber"] == 1
