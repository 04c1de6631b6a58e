"""Schemas generated from models keep the model's `title`, as the official SDK's do.

Clients rebuild structured results as types named after an output schema's `title`
(the SDK server publishes `"title": "Weather"`); without it they are anonymous. The
official SDK client reads our schemas over stdio on both eras, and the SDK's own
server, given the same functions, is the oracle for which titles belong where.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.server import MCPServer as SDKServer

from .conftest import server_env

TOOLS = '''
from dataclasses import dataclass
from typing import TypedDict

from pydantic import BaseModel


class Place(BaseModel):
    city: str


class Weather(BaseModel):
    celsius: float
    place: Place


class Totals(TypedDict):
    count: int


@dataclass
class Point:
    x: int


def forecast(where: Place, days: int = 1) -> Weather:
    """A model in, a model out."""
    return Weather(celsius=20.5 + days, place=where)


def totals() -> Totals:
    return {"count": 2}


def point() -> Point:
    return Point(x=3)


def history(where: Place) -> list[Weather]:
    return [Weather(celsius=1.0, place=where)]


FUNCTIONS = [forecast, totals, point, history]
'''

SERVER = """
import tools
from mcp_use import MCPServer

server = MCPServer("titles")
for fn in tools.FUNCTIONS:
    server.tool()(fn)
server.run(transport="stdio")
"""


def titles(schema: Any) -> list[str]:
    """Every `title` naming an object type (a model), in document order, `$ref`s resolved."""
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            if node.get("type") == "object" and isinstance(node.get("title"), str):
                found.append(node["title"])
            for key, value in node.items():
                if key != "$defs":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


@pytest.fixture
def tools_dir(tmp_path: Path) -> Path:
    (tmp_path / "tools.py").write_text(textwrap.dedent(TOOLS))
    (tmp_path / "server.py").write_text(textwrap.dedent(SERVER))
    return tmp_path


async def sdk_oracle(tools_dir: Path) -> dict[str, Any]:
    sys.path.insert(0, str(tools_dir))
    try:
        import tools  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tools_dir))
    sys.modules.pop("tools", None)
    sdk = SDKServer("oracle")
    for fn in tools.FUNCTIONS:
        sdk.tool()(fn)
    return {t.name: t for t in await sdk.list_tools()}


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_model_titles_survive_into_the_schemas(tools_dir: Path, mode: str) -> None:
    oracle = await sdk_oracle(tools_dir)
    params = StdioServerParameters(
        command=sys.executable, args=[str(tools_dir / "server.py")], env=server_env(), cwd=str(tools_dir)
    )
    with anyio.fail_after(30):
        async with Client(params, mode=mode, read_timeout_seconds=30) as client:  # type: ignore[arg-type]
            ours = {t.name: t for t in (await client.list_tools()).tools}
            result = await client.call_tool("forecast", {"where": {"city": "Oslo"}, "days": 2})
    assert result.structured_content == {"celsius": 22.5, "place": {"city": "Oslo"}}
    assert ours["forecast"].output_schema["title"] == "Weather"
    assert titles(ours["forecast"].output_schema) == ["Weather", "Place"]
    assert ours["totals"].output_schema["title"] == "Totals"
    assert ours["point"].output_schema["title"] == "Point"
    assert titles(ours["history"].output_schema) == ["Weather", "Place"]  # inside {"result": [...]}
    assert titles(ours["forecast"].input_schema) == ["Place"]
    for name, tool in ours.items():
        # The SDK also titles its generated wrappers (`forecastArguments`, `historyOutput`);
        # every model's own title it publishes, we publish too.
        sdk = oracle[name]
        assert [t for t in titles(sdk.output_schema) if t != f"{name}Output"] == titles(tool.output_schema)
        assert [t for t in titles(sdk.input_schema) if t != f"{name}Arguments"] == titles(tool.input_schema)
