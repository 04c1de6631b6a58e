"""Every hook gets a full `MiddlewareContext` on every transport: stdio, Streamable
HTTP, legacy SSE and memory, both eras where the transport has them. The server
(tests/server/servers/context_server.py) records each hook's context; the HTTP ones
are protected (HS256 JWT) so `access_token` is checked too."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from mcp_use import MCPClient
from tests.helpers import REPO_ROOT, ServerProcess, free_port

SCRIPT = Path(__file__).parent / "servers" / "context_server.py"
SECRET = "context-test-secret-of-at-least-32-bytes"
LEGACY_HOOKS = {
    "on_initialize",
    "on_initialize:after",
    "on_notification",
    "on_request",
    "on_list_tools",
    "on_list_resources",
    "on_list_prompts",
    "on_read_resource",
    "on_get_prompt",
    "on_call_tool",
}


def token(audience: str) -> str:
    now = int(time.time())
    claims = {"iss": "https://issuer.test", "aud": audience, "sub": "user-7", "iat": now, "exp": now + 600}
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def protected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A protected server on an HTTP transport, and the config entry that reaches it."""
    port = free_port()
    kind = request.param
    cmd = [sys.executable, str(SCRIPT), "--transport", kind, "--port", str(port), "--secret", SECRET]
    server = ServerProcess(
        cmd,
        port=port,
        env={"PYTHONPATH": str(REPO_ROOT / "src"), "MCP_USE_REDIS_URL": None},
        log_dir=tmp_path_factory.mktemp(f"context-{kind}"),
        name=f"context-{kind}",
    )
    path = "/sse" if kind == "sse" else "/mcp"
    url = f"http://127.0.0.1:{port}{path}"
    headers = {"X-Probe": "probe-1", "Authorization": f"Bearer {token(url)}"}
    with server:
        yield {"url": url, "headers": headers, "transport": "sse" if kind == "sse" else "streamable-http"}


async def exercise(entry: Any, mode: str) -> list[dict[str, Any]]:
    """Pass every hook once, then read what the middleware recorded."""
    async with MCPClient({"mcpServers": {"c": entry}}, mode=mode) as client:
        session = client.get_session("c")
        await session.list_tools()
        await session.list_resources()
        await session.list_prompts()
        await session.read_resource("ctx://note")
        await session.get_prompt("hello", {})
        result = await session.call_tool("seen", {})
    return json.loads(result.content[0].text)  # type: ignore[no-any-return]


def check(records: list[dict[str, Any]], mode: str, transport: str, http: bool) -> None:
    hooks = {r["hook"] for r in records}
    if mode == "legacy":
        assert LEGACY_HOOKS <= hooks, hooks
    else:
        assert LEGACY_HOOKS - {"on_initialize", "on_initialize:after", "on_notification"} <= hooks, hooks
        assert not hooks & {"on_initialize", "on_notification"}
    session_ids = set()
    for record in records:
        where = f"{record['hook']} {record['method']}"
        assert record["transport"] == transport, where
        if http:
            assert record["headers"] == {"x-probe": "probe-1"}, where
            assert record["client_ip"] == "127.0.0.1", where
            assert record["subject"] == "user-7", where
        else:
            assert record["headers"] is None and record["client_ip"] is None, where
            assert record["subject"] is None, where
        if mode == "legacy":
            assert record["protocol_version"] == "2025-11-25", where
            if record["method"] != "initialize" or record["hook"] == "on_initialize:after":
                session_ids.add(record["session_id"])
            else:  # not opened yet: `call_next` opens it
                assert record["session_id"] is None, where
        else:
            assert record["protocol_version"] == "2026-07-28" and record["session_id"] is None, where
    if mode == "legacy":
        # One session, the same id on every hook after it opened; stdio and memory have none.
        assert len(session_ids) == 1, session_ids
        (sid,) = session_ids
        assert (sid is not None) == http, session_ids


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_every_hook_in_memory(mode: str) -> None:
    from tests.server.servers.context_server import build

    server, _ = build()
    check(await exercise(server, mode), mode, "memory", http=False)


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_every_hook_over_stdio(mode: str) -> None:
    entry = {"command": sys.executable, "args": [str(SCRIPT)], "env": {"PYTHONPATH": str(REPO_ROOT / "src")}}
    check(await exercise(entry, mode), mode, "stdio", http=False)


# The SSE transport serves the initialize era only.
@pytest.mark.parametrize(
    ("protected", "mode"),
    [("http", "legacy"), ("http", "2026-07-28"), ("sse", "legacy")],
    indirect=["protected"],
)
async def test_every_hook_over_http(protected: dict[str, Any], mode: str) -> None:
    entry = {"url": protected["url"], "headers": protected["headers"], "transport": protected["transport"]}
    check(await exercise(entry, mode), mode, protected["transport"], http=True)
