"""`import mcp_use` plus building a server stays cheap: it imports none of the heavy modules.

DESIGN.md's budget ("`import mcp_use` plus building a server under 150 ms") is measured
by the benchmark (`bench/run.py --only import`), not here: timed tests flake on a busy
machine. What these tests pin is the cause of the cost instead. Each heavy module named
below is imported only by the code that needs it, so a change that imports one at the
top of a module on the build path fails here, whatever the machine's speed. Each check
runs in a fresh interpreter (this one has imported everything long ago).
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO_ROOT, build_env

# What building a server must not import, and who does import it when it is needed.
HEAVY = {
    "pydantic": "the first schema built (a tool's record, on the registry's first read)",
    "pydantic_core": "pydantic",
    "mcp_use.server.schema": "make_tool / make_resource / make_prompt",
    "mcp_use.protocol.types": "user code that returns spec content objects",
    "starlette": "the HTTP app (server.app, run(transport='streamable-http'))",
    "uvicorn": "server.run() over HTTP",
    "aiohttp": "the client's HTTP transports, JWKS and introspection",
    "httpx": "nothing at runtime",
    "anyio": "starlette",
    "redis": "RedisState",
    "jwt": "JWTVerifier",
    "cryptography": "pyjwt's RSA/EC keys",
    "langchain_core": "MCPAgent",
    "mcp": "nothing: the official SDK is a test oracle only",
    "mcp_use.client": "MCPClient",
    "mcp_use.agents": "MCPAgent",
    "mcp_use.server.http.app": "the HTTP app",
    "mcp_use.server.http.auth": "a protected server (auth=...)",
    "mcp_use.server.http.debug": "the debug routes",
    "mcp_use.server.transports": "serving (stdio, HTTP, SSE, in memory)",
    "mcp_use.server.middleware": "server.use() / middleware=",
    "mcp_use.server.proxy": "MCPServer.as_proxy",
    "mcp_use.server.mount": "server.mount()",
    "mcp_use.server.state.redis": "RedisState",
    "email": "importlib.metadata (pydantic's plugin lookup), http.cookies",
    "http.cookies": "starlette",
    "importlib.metadata": "pydantic's plugin lookup",
}

BUILD = """
import json, sys
from mcp_use import MCPServer, Context

server = MCPServer("bench")

@server.tool()
def add(a: int, b: int) -> int:
    '''Add two integers.'''
    return a + b

@server.tool
async def slow(seconds: float, ctx: Context) -> str:
    return "done"

@server.resource("config://app", mime_type="application/json")
def config() -> dict:
    return {"debug": False}

@server.resource("users://{user_id}/profile")
def profile(user_id: int) -> str:
    return str(user_id)

@server.prompt()
def review(code: str) -> str:
    return "Review: " + code

before = sorted(sys.modules)
"""


def run_python(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter with this checkout's `src/` first; it prints JSON."""
    env = build_env({"PYTHONPATH": str(REPO_ROOT / "src"), "DEBUG": None, "MCP_USE_REDIS_URL": None})
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def loaded(modules: list[str], heavy: str) -> list[str]:
    return [m for m in modules if m == heavy or m.startswith(heavy + ".")]


def test_import_and_build_load_none_of_the_heavy_modules() -> None:
    out = run_python(BUILD + "print(json.dumps({'modules': before}))")
    modules = out["modules"]
    assert isinstance(modules, list) and "mcp_use.server.server" in modules  # the build ran
    found = {heavy: loaded(modules, heavy) for heavy in HEAVY}
    wrong = {h: f"{m[0]} and {len(m) - 1} more; it belongs to {HEAVY[h]}" for h, m in found.items() if m}
    assert not wrong, wrong


def test_the_records_are_built_with_the_app_and_match_an_eager_build() -> None:
    """The deferred records are the ones `add_tool` & co. build at once: same wire, same
    order; building the HTTP app builds them (and only then loads pydantic)."""
    out = run_python(
        BUILD
        + """
from mcp_use.server.prompts import make_prompt
from mcp_use.server.resources import make_resource
from mcp_use.server.tools import make_tool
features = server.core.features
waiting = "pydantic" in sys.modules
server.app
eager = {
    "tools": [make_tool(add).wire, make_tool(slow).wire],
    "resources": [make_resource(config, "config://app", mime_type="application/json").wire],
    "templates": [make_resource(profile, "users://{user_id}/profile").wire],
    "prompts": [make_prompt(review).wire],
}
built = {kind: [r.wire for r in getattr(features, kind).values()] for kind in eager}
print(json.dumps({"waiting": waiting, "after": "pydantic" in sys.modules,
                  "eager": eager, "built": built}))
"""
    )
    assert out["waiting"] is False and out["after"] is True
    assert out["built"] == out["eager"]
    tools = out["built"]["tools"]  # type: ignore[index]
    assert [t["name"] for t in tools] == ["add", "slow"]
    assert tools[0]["inputSchema"]["required"] == ["a", "b"]
    assert "ctx" not in tools[1]["inputSchema"]["properties"]


def test_public_names_still_import_lazily() -> None:
    """Every name SPEC.md lists under `mcp_use` imports; each loads only its own part."""
    out = run_python(
        """
import json, sys
import mcp_use
names = ["MCPServer", "Context", "ElicitationResult", "ToolError", "MCPError", "MCPRouter",
         "Middleware", "MiddlewareContext", "RedisState", "MCPClient", "ClientSession", "MCPAgent"]
first = {}
for name in names:
    before = set(sys.modules)
    assert getattr(mcp_use, name).__name__ == name, name
    first[name] = sorted(m for m in set(sys.modules) - before if m.startswith("mcp_use."))
from mcp_use import MCPServer, MCPClient, MCPAgent, Context
print(json.dumps(first))
"""
    )
    assert not any(m.startswith(("mcp_use.client", "mcp_use.agents")) for m in out["MCPServer"])
    assert any(m.startswith("mcp_use.client") for m in out["MCPClient"])
    assert any(m.startswith("mcp_use.agents") for m in out["MCPAgent"])
