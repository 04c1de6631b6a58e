"""Middleware runs inside the engine: seen for `tools/call` when the app is served by
`uvicorn server:app`, by gunicorn with uvicorn workers, and mounted in another Starlette
app (never `server.run()`), on both eras, rewriting, refusing and surviving an
exception in a hook."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mcp_use import MCPClient
from tests.helpers import REPO_ROOT, ServerProcess, build_env, free_port

SERVED = Path(__file__).parent / "servers" / "mw_served"
COMMANDS = {
    "uvicorn": [sys.executable, "-m", "uvicorn", "server:app", "--host", "127.0.0.1", "--port", "{port}"],
    "gunicorn": [
        sys.executable, "-m", "gunicorn", "server:app",
        "--workers", "1",  # legacy sessions need shared state across workers; one is enough here
        "--worker-class", "uvicorn_worker.UvicornWorker",
        "--bind", "127.0.0.1:{port}",
        "--no-control-socket",
        "--graceful-timeout", "3",
    ],
    "mounted": [sys.executable, "-m", "uvicorn", "host:app", "--host", "127.0.0.1", "--port", "{port}"],
}  # fmt: skip
MCP_PATHS = {"mounted": "/tools/mcp"}


@pytest.fixture(scope="module", params=list(COMMANDS))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    port = free_port()
    server = ServerProcess(
        [part.replace("{port}", str(port)) for part in COMMANDS[request.param]],
        port=port,
        cwd=SERVED,
        env=build_env({"PYTHONPATH": f"{REPO_ROOT / 'src'}", "MCP_USE_REDIS_URL": None}),
        log_dir=tmp_path_factory.mktemp(request.param),
        name=f"mw-{request.param}",
    )
    with server:
        yield server


def mcp_url(served: ServerProcess) -> str:
    return served.url(MCP_PATHS.get(served.name.removeprefix("mw-"), "/mcp"))


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_middleware_seen_rewrites_and_refuses(served: ServerProcess, mode: str) -> None:
    async with MCPClient({"mcpServers": {"s": {"url": mcp_url(served)}}}, mode=mode) as client:
        session = client.get_session("s")
        result = await session.call_tool("echo", {"text": "quiet"})
        assert result.content[0].text == "QUIET"  # the arguments were rewritten on the way in
        meta = result.meta or {}
        assert meta["test/marks"] == ["inner", "outer"]  # inner finishes first
        assert meta["test/order"] == ["outer:request", "outer:call_tool", "inner:request", "inner:call_tool"]
        assert meta["test/transport"] == "streamable-http"
        # uvicorn serves in its own process; gunicorn in a worker, never the master
        assert (meta["test/pid"] == served.pid) != served.name.endswith("gunicorn")
        refused = await session.call_tool("forbidden", {})
        assert refused.isError and refused.content[0].text == "forbidden is not allowed here"


async def test_exception_in_a_hook_is_a_jsonrpc_error_and_the_session_survives(served: ServerProcess) -> None:
    url = mcp_url(served)
    modern = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "explode", "_meta": modern}}
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28",
               "mcp-method": "tools/call", "mcp-name": "explode"}  # fmt: skip
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url, json=body, headers=headers)
        error = answer.json()["error"]
        assert error["code"] == -32603 and "RuntimeError" in error["message"]
        assert "a bug in a hook" not in error["message"]  # the text stays in the server log
    async with MCPClient({"mcpServers": {"s": {"url": url}}}, mode="legacy") as client:
        session = client.get_session("s")
        with pytest.raises(Exception, match="Internal error"):
            await session.call_tool("explode", {})
        assert (await session.call_tool("echo", {"text": "still"})).content[0].text == "STILL"
