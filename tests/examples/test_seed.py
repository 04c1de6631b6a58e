"""Every snippet of the transports page (examples/seed/), started as a user would start it.

Each test copies the example to a temp dir (port 8000 -> a free port), runs
`python server.py` there and talks raw JSON-RPC to it (httpx or pipes).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, free_port

from .rawmcp import SEED, HttpSession, StdioSession, copy_example, example_env, modern_call


def start(example: Path, port: int, tmp_path: Path, **env: str | None) -> ServerProcess:
    return ServerProcess(
        [sys.executable, "server.py"],
        cwd=example,
        port=port,
        env=example_env(**env),
        log_dir=tmp_path / "logs",
        name=example.name,
        startup_timeout=40,
    )


# ---- stdio ----------------------------------------------------------------------------
def test_stdio_server_and_config(tmp_path: Path) -> None:
    example = copy_example("stdio", tmp_path)
    config = json.loads((example / "config.json").read_text())
    entry = config["mcpServers"]["my-server"]
    assert entry["command"] == "python" and entry["args"] == ["server.py"]
    # What a client does with that entry: run the command in the project folder.
    env = example_env(**{**entry["env"], "PYTHONPATH": example_env()["PYTHONPATH"]})
    session = StdioSession([sys.executable, *entry["args"]], example, env)
    init = session.initialize()
    assert init["serverInfo"]["name"] == "cli-server"
    tools = session.request("tools/list")["tools"]
    assert [t["name"] for t in tools] == ["greet"]
    result = session.request("tools/call", {"name": "greet", "arguments": {"name": "Ada"}})
    assert result["content"][0]["text"] == "Hello, Ada!"
    rest, stderr = session.close()
    assert rest == b""  # nothing but protocol messages on stdout
    request_lines = [line for line in stderr.splitlines() if "mcp_use.server.requests" in line]
    assert any("tools/call greet ok" in line for line in request_lines), stderr


def test_stdio_client_snippet(tmp_path: Path) -> None:
    """The page's client.py runs as written with the real langchain-openai.

    Building ChatOpenAI, the client and the agent needs no network; a placeholder key
    stands in for a real one. What the agent then does with a model is tested in
    tests/agents with scripted chat models.
    """
    example = copy_example("stdio", tmp_path)
    probe = example / "probe.py"
    probe.write_text(
        (example / "client.py").read_text()
        + "\nprint(type(client).__name__, type(llm).__name__, type(agent).__name__,"
        + " sorted(client.config['mcpServers']))\n"
    )
    proc = subprocess.run(
        [sys.executable, str(probe)],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=60,
        env=example_env(OPENAI_API_KEY="sk-placeholder-for-construction-only"),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["MCPClient", "ChatOpenAI", "MCPAgent", "['my-server']"]


# ---- streamable HTTP, debug=True, reload=True ----------------------------------------
def test_http_server_debug_and_reload(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("http", tmp_path, port)
    with start(example, port, tmp_path) as srv:
        with HttpSession(srv.url("/mcp")) as mcp:
            assert mcp.init_result["serverInfo"]["name"] == "web-server"
            # fetch_data fetches a URL: point it at this very server, not the internet.
            result = mcp.call("fetch_data", {"url": srv.url("/openmcp.json")})
            assert result.get("isError") is not True, result
            assert json.loads(result["content"][0]["text"])["tools"][0]["name"] == "fetch_data"
        for path in ("/docs", "/inspector", "/openmcp.json"):
            assert httpx.get(srv.url(path)).status_code == 200, path
        # reload=True: the app runs under uvicorn's reloader (tests/server/test_reload.py edits code).
        assert "Reloading on changes to *.py under" in srv.stderr_tail(80)


def test_http_client_snippet(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("http", tmp_path, port)
    config = json.loads((example / "config.json").read_text())
    assert config["mcpServers"]["web-server"]["url"] == f"http://127.0.0.1:{port}/mcp"
    compile((example / "client.py").read_text(), "client.py", "exec")
    client = example / "client.py"
    client.write_text(
        client.read_text().replace("https://example.com", f"http://127.0.0.1:{port}/openmcp.json")
    )
    with start(example, port, tmp_path):
        import subprocess

        done = subprocess.run(
            [sys.executable, "client.py"], cwd=example, env=example_env(), capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]


# ---- legacy SSE -----------------------------------------------------------------------
async def test_sse_server(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("sse", tmp_path, port)
    with start(example, port, tmp_path) as srv:
        async with httpx.AsyncClient(timeout=15) as client:
            async with client.stream(
                "GET", srv.url("/sse"), headers={"accept": "text/event-stream"}
            ) as stream:
                assert stream.status_code == 200
                lines = stream.aiter_lines()
                endpoint = None
                async for line in lines:
                    if line.startswith("data:"):
                        endpoint = line[5:].strip()
                        break
                assert endpoint and "session_id=" in endpoint
                post_url = srv.url(endpoint) if endpoint.startswith("/") else endpoint

                async def next_message() -> dict:
                    buffer = ""
                    async for line in lines:
                        if line.startswith("data:"):
                            buffer += line[5:].strip()
                        elif line == "" and buffer:
                            return json.loads(buffer)
                    raise AssertionError("stream ended")

                init = {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2024-11-05",
                        "capabilities": {},
                        "clientInfo": {"name": "t", "version": "0"},
                    },
                }
                assert (await client.post(post_url, json=init)).status_code == 202
                reply = await asyncio.wait_for(next_message(), 10)
                assert reply["result"]["serverInfo"]["name"] == "sse-server"
                await client.post(post_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
                call = {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "greet", "arguments": {"name": "SSE"}},
                }
                await client.post(post_url, json=call)
                reply = await asyncio.wait_for(next_message(), 10)
                assert reply["id"] == 2 and reply["result"]["content"][0]["text"] == "Hello, SSE!"


# ---- custom paths -----------------------------------------------------------------------
def test_custom_paths(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("custom_paths", tmp_path, port)
    with start(example, port, tmp_path, DEBUG="1") as srv:
        with HttpSession(srv.url("/api/mcp")) as mcp:
            assert mcp.call("greet", {"name": "x"})["content"][0]["text"] == "Hello, x!"
        for path in ("/api/docs", "/api/inspector", "/api/openmcp.json"):
            assert httpx.get(srv.url(path)).status_code == 200, path
        assert httpx.get(srv.url("/api/inspector/assets/app.js")).status_code == 200
        assert httpx.get(srv.url("/api/openmcp.json")).json()["info"]["title"] == "custom-server"
        assert httpx.post(srv.url("/mcp"), json={}).status_code == 404
        assert httpx.get(srv.url("/docs")).status_code == 404


def test_custom_paths_without_debug_has_no_debug_routes(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("custom_paths", tmp_path, port)
    with start(example, port, tmp_path, DEBUG="0") as srv:
        with HttpSession(srv.url("/api/mcp")) as mcp:
            assert mcp.call("greet", {"name": "y"})["content"][0]["text"] == "Hello, y!"
        for path in ("/api/docs", "/api/inspector", "/api/openmcp.json"):
            assert httpx.get(srv.url(path)).status_code == 404, path


# ---- CORS -------------------------------------------------------------------------------
def test_cors(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("cors", tmp_path, port)
    with start(example, port, tmp_path) as srv:
        url = srv.url("/mcp")
        preflight = httpx.options(
            url,
            headers={
                "origin": "https://your-app.com",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, mcp-session-id",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://your-app.com"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        with HttpSession(url, headers={"origin": "https://your-app.com"}) as mcp:
            response = mcp.request_raw("tools/call", {"name": "greet", "arguments": {"name": "web"}})
            assert response.headers["access-control-allow-origin"] == "https://your-app.com"
            assert "Hello, web!" in response.text
        other = httpx.options(
            url, headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers


# ---- DNS rebinding protection -----------------------------------------------------------
def test_dns_rebinding_protection(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("dns_rebinding", tmp_path, port)
    with start(example, port, tmp_path) as srv:
        url = srv.url("/mcp")
        with HttpSession(url) as mcp:  # Host: 127.0.0.1:<port>
            assert mcp.call("greet", {"name": "me"})["content"][0]["text"] == "Hello, me!"
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        bad_host = httpx.post(url, json=body, headers={**headers, "host": "evil.example"})
        assert bad_host.status_code == 421
        assert "DNS rebinding" in bad_host.json()["error"]["message"]
        bad_origin = httpx.post(url, json=body, headers={**headers, "origin": "http://evil.example"})
        assert bad_origin.status_code == 403
        assert "Origin" in bad_origin.json()["error"]["message"]
        ok = httpx.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"},
                },
            },
            headers={**headers, "host": f"localhost:{port}", "origin": f"http://localhost:{port}"},
        )
        assert ok.status_code == 200


# ---- health checks ----------------------------------------------------------------------
def test_health_checks(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("health", tmp_path, port)
    with start(example, port, tmp_path) as srv:
        health = httpx.get(srv.url("/health"))
        assert health.status_code == 200
        assert health.json() == {"status": "healthy", "version": "1.0.0"}
        ready = httpx.get(srv.url("/ready"))
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    port = free_port()
    example = copy_example("health", tmp_path / "down", port)
    with start(example, port, tmp_path, CACHE_READY="0") as srv:
        ready = httpx.get(srv.url("/ready"))
        assert (ready.status_code, ready.json()) == (503, {"status": "not ready"})


# ---- production: uvicorn with workers ---------------------------------------------------
def test_production_uvicorn_workers(tmp_path: Path) -> None:
    port = free_port()
    example = copy_example("production", tmp_path, port)
    with start(example, port, tmp_path) as srv:
        # Legacy sessions live in one worker's memory; the stateless era works on any.
        for i in range(6):
            result = modern_call(srv.url("/mcp"), "greet", {"name": f"w{i}"}, request_id=i + 1)
            assert result["content"][0]["text"] == f"Hello, w{i}!"
        # The port opens with the first worker; the others follow on a busy machine.
        deadline = time.monotonic() + 20
        stderr = srv.stderr_tail(80)
        while stderr.count("Started server process") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            stderr = srv.stderr_tail(80)
        assert "Started parent process" in stderr, stderr
        assert stderr.count("Started server process") >= 2, stderr


def test_uvicorn_refuses_app_object_with_workers(tmp_path: Path) -> None:
    """Why the README shows an import string: the page's `uvicorn.run(server.app, workers=4)` exits."""
    import subprocess

    script = tmp_path / "server.py"
    script.write_text(
        "from mcp_use import MCPServer\nimport uvicorn\nserver = MCPServer(name='prod-server')\n"
        f"uvicorn.run(server.app, host='127.0.0.1', port={free_port()}, workers=4)\n"
    )
    done = subprocess.run([sys.executable, str(script)], env=example_env(), capture_output=True, timeout=30)
    assert done.returncode != 0
    assert b"import string" in done.stderr


# ---- logging and debug levels -----------------------------------------------------------
@pytest.mark.parametrize("level", ["0", "1", "2"])
def test_logging_debug_levels(tmp_path: Path, level: str) -> None:
    port = free_port()
    example = copy_example("logging", tmp_path, port)
    with start(example, port, tmp_path, DEBUG=level) as srv:
        with HttpSession(srv.url("/mcp")) as mcp:
            assert mcp.call("greet", {"name": "log"})["content"][0]["text"] == "Hello, log!"
        docs = httpx.get(srv.url("/docs")).status_code
        srv.stop()
        stderr = srv.stderr_path.read_text()
    # The user's logging.basicConfig format, one line per MCP request.
    lines = [line for line in stderr.splitlines() if " - mcp_use.server.requests - INFO - " in line]
    assert any("tools/call greet ok" in line for line in lines), stderr
    assert docs == (404 if level == "0" else 200)
    jsonrpc = "mcp_use.server.jsonrpc" in stderr
    assert jsonrpc is (level == "2"), stderr
    if level == "2":
        # pretty_print_jsonrpc=True: indented JSON, one key per line
        assert '\n  "method": "tools/call",' in stderr, stderr
        assert '"text": "Hello, log!"' in stderr


def test_seed_examples_all_covered() -> None:
    covered = {
        "stdio",
        "http",
        "sse",
        "custom_paths",
        "cors",
        "dns_rebinding",
        "health",
        "production",
        "logging",
    }
    assert {p.name for p in SEED.iterdir() if p.is_dir()} == covered
