"""`mcp-use inspect`: its command line, and the stdio bridge the page talks to.

The browser side (server-everything through the page) is in
test_inspector_capabilities.py; here the bridge is driven over real HTTP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port

MCP_USE = [sys.executable, "-m", "mcp_use.cli"]
STDIO_SERVER = textwrap.dedent(
    '''
    from mcp_use import Context, MCPServer

    server = MCPServer(name="stdio-fixture")

    @server.tool()
    async def confirm(ctx: Context) -> str:
        """Ask before acting."""
        answer = await ctx.elicit("Sure?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
        return f"{answer.action} {answer.data}"

    server.run(transport="stdio")
    '''
)
LEGACY = "2025-11-25"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MCP_USE, *args], env=example_env(), capture_output=True, text=True, timeout=60)


@pytest.fixture
def bridged(tmp_path: Path) -> Iterator[ServerProcess]:
    script = tmp_path / "stdio_server.py"
    script.write_text(STDIO_SERVER)
    port = free_port()
    cmd = [*MCP_USE, "inspect", "--port", str(port), "--", sys.executable, str(script)]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=30) as srv:
        yield srv


def events(text: str) -> list[dict]:
    return [
        orjson.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and line[5:].strip()
    ]


def page_headers(srv: ServerProcess) -> dict[str, str]:
    return {
        "origin": srv.base_url,
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
    }


def test_the_bridge_relays_requests_and_server_requests(bridged: ServerProcess) -> None:
    url = bridged.url("/stdio/mcp")
    headers = page_headers(bridged)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": {"elicitation": {}},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    with httpx.Client(timeout=20) as http:
        opened = http.post(url, json=init, headers=headers)
        assert opened.status_code == 200
        assert events(opened.text)[-1]["result"]["serverInfo"]["name"] == "stdio-fixture"
        headers["mcp-session-id"] = opened.headers["mcp-session-id"]
        assert (
            http.post(
                url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
            ).status_code
            == 202
        )
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "confirm", "arguments": {}},
        }
        with http.stream("POST", url, json=call, headers=headers) as stream:
            lines = stream.iter_lines()
            asked = next(
                orjson.loads(line[5:]) for line in lines if line.startswith("data:") and line[5:].strip()
            )
            assert asked["method"] == "elicitation/create" and asked["params"]["message"] == "Sure?"
            reply = {
                "jsonrpc": "2.0",
                "id": asked["id"],
                "result": {"action": "accept", "content": {"ok": True}},
            }
            assert http.post(url, json=reply, headers=headers).status_code == 202
            final = next(
                orjson.loads(line[5:]) for line in lines if line.startswith("data:") and line[5:].strip()
            )
        assert final["id"] == 2 and final["result"]["content"][0]["text"] == "accept {'ok': True}"
        # the page itself, and its assets, come from the same server
        page = http.get(bridged.url("/"))
        assert page.status_code == 200 and '"mcpPath":"/stdio/mcp"' in page.text
        assert http.get(bridged.url("/assets/mcp.js")).status_code == 200


def test_the_bridge_refuses_other_origins(bridged: ServerProcess) -> None:
    headers = page_headers(bridged) | {"origin": "http://evil.example"}
    response = httpx.post(
        bridged.url("/stdio/mcp"), json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers
    )
    assert response.status_code == 403 and "Origin" in response.json()["error"]["message"]
    rebound = httpx.post(
        bridged.url("/stdio/mcp"),
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"host": "evil.example"},
    )
    assert rebound.status_code == 421  # Misdirected Request: the guard's answer to a foreign Host


def test_a_command_that_cannot_start_is_a_502(tmp_path: Path) -> None:
    port = free_port()
    cmd = [*MCP_USE, "inspect", "--port", str(port), "--", str(tmp_path / "no-such-command")]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=30) as srv:
        opener = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
        response = httpx.post(srv.url("/stdio/mcp"), json=opener, headers=page_headers(srv))
        assert response.status_code == 502
        assert "cannot start" in response.json()["error"]["message"]
        assert "mcp-session-id" not in response.headers  # no session is kept for it


def test_command_line_mistakes(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"mcpServers": {"a": {"url": "http://127.0.0.1:1/mcp"}, "b": {"command": "x"}}})
    )
    nosuch = run("inspect", str(config), "nosuch")
    assert (
        nosuch.returncode == 2
        and "server 'nosuch' is not configured" in nosuch.stderr
        and "a, b" in nosuch.stderr
    )
    several = run("inspect", str(config))
    assert several.returncode == 2 and "several servers" in several.stderr
    nothing = run("inspect")
    assert nothing.returncode == 2 and "usage: mcp-use inspect" in nothing.stderr
    both = run("inspect", str(config), "a", "--", "python", "x.py")
    assert both.returncode == 2 and "not both" in both.stderr
    missing = run("inspect", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_a_busy_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("inspect", "--port", str(port), "http://127.0.0.1:1/mcp")
    assert done.returncode != 0 and f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr and "Inspector" not in done.stderr


def opener(rid: int = 1) -> dict:
    caps = {"elicitation": {}}
    params = {"protocolVersion": LEGACY, "capabilities": caps, "clientInfo": {"name": "t", "version": "1"}}
    return {"jsonrpc": "2.0", "id": rid, "method": "initialize", "params": params}


async def test_the_bridge_keeps_one_process_per_session_within_its_bound(tmp_path: Path) -> None:
    """Sessions in process (the answers to initialize end, so no stream stays open): the
    third session over a bound of two ends the least recently used idle one."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    from mcp_use.server.http.stdio_bridge import StdioBridge

    script = tmp_path / "stdio_server.py"
    script.write_text(STDIO_SERVER)
    env = example_env()
    bridge = StdioBridge(sys.executable, [str(script)], env=env, max_sessions=2)
    app = Starlette(routes=[Route("/mcp", bridge.handle, methods=["GET", "POST", "DELETE"])])
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30) as http:
            sids = []
            for _ in range(3):
                answer = await http.post("/mcp", json=opener())
                assert answer.status_code == 200, answer.text
                assert events(answer.text)[-1]["result"]["serverInfo"]["name"] == "stdio-fixture"
                sids.append(answer.headers["mcp-session-id"])
            assert len(set(sids)) == 3 and list(bridge.sessions) == sids[1:]
            pids = {bridge.sessions[s].process.pid for s in sids[1:]}  # type: ignore[union-attr]
            assert len(pids) == 2

            ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
            evicted = await http.post("/mcp", json=ping, headers={"mcp-session-id": sids[0]})
            assert evicted.status_code == 404 and "Session not found" in evicted.text
            kept = await http.post("/mcp", json=ping, headers={"mcp-session-id": sids[2]})
            assert kept.status_code == 200 and events(kept.text)[-1] == {
                "jsonrpc": "2.0",
                "id": 2,
                "result": {},
            }
            assert kept.headers["mcp-session-id"] == sids[2]

            sessionless = await http.post("/mcp", json=ping)
            assert sessionless.status_code == 400 and "open a session" in sessionless.text
            assert (await http.get("/mcp")).status_code == 400
            assert (await http.delete("/mcp")).status_code == 400
            assert (
                await http.post("/mcp", content=b"[1, 2]", headers={"mcp-session-id": sids[2]})
            ).status_code == 400

            ended = await http.delete("/mcp", headers={"mcp-session-id": sids[1]})
            assert ended.status_code == 200 and list(bridge.sessions) == [sids[2]]
            again = await http.post("/mcp", json=ping, headers={"mcp-session-id": sids[1]})
            assert again.status_code == 404
    finally:
        await bridge.stop()
    assert bridge.sessions == {}
    for pid in pids:  # stopped and reaped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_a_new_page_gets_503_when_every_session_is_busy(tmp_path: Path) -> None:
    """A session with a request awaiting its answer (here: the server asked the page a
    question) is never ended for a newcomer; over the bound the newcomer is told why."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.routing import Route

    from mcp_use.server.http.stdio_bridge import StdioBridge

    script = tmp_path / "stdio_server.py"
    script.write_text(STDIO_SERVER)
    bridge = StdioBridge(sys.executable, [str(script)], env=example_env(), max_sessions=1)
    app = Starlette(routes=[Route("/mcp", bridge.handle, methods=["GET", "POST", "DELETE"])])
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30) as http:
            first = await http.post("/mcp", json=opener())
            sid = first.headers["mcp-session-id"]
            initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            assert (
                await http.post("/mcp", json=initialized, headers={"mcp-session-id": sid})
            ).status_code == 202
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "confirm"}}
            waiting = asyncio.ensure_future(http.post("/mcp", json=call, headers={"mcp-session-id": sid}))
            child = bridge.sessions[sid]
            for _ in range(100):  # until the call is pending in the child
                if child.busy:
                    break
                await asyncio.sleep(0.05)
            assert child.busy
            newcomer = await http.post("/mcp", json=opener())
            assert newcomer.status_code == 503 and "busy" in newcomer.text
            assert list(bridge.sessions) == [sid]
            waiting.cancel()
    finally:
        await bridge.stop()
