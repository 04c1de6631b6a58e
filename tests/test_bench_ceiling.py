"""The benchmark's bare ASGI ceiling answers byte for byte what our bench server answers.

"Ours as a share of the ceiling" (bench/ceiling.py, DESIGN.md's 0.8 and 0.6) compares
the cost of two servers producing the same answer; if our answer grew a field the
ceiling does not write, the share would flatter the ceiling. Both apps are driven in
this process as uvicorn drives them, on both eras, and their answers compared.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.helpers import REPO_ROOT
from tests.helpers.asgi import exchange
from tests.server.conftest import initialize_message, post_scope

BENCH = REPO_ROOT / "bench"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
BASE = {
    "host": "127.0.0.1:8000",
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
}


def load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    argv, sys.argv = sys.argv, [str(path)]  # the bench server reads its options from argv
    try:
        spec.loader.exec_module(module)
    finally:
        sys.argv = argv
    return module


async def post(app: Any, headers: dict[str, str], message: dict[str, Any]) -> list[Any]:
    scope = post_scope([(k.encode(), v.encode()) for k, v in headers.items()])
    return await exchange(app, scope, orjson.dumps(message))


async def test_the_ceiling_answers_what_our_bench_server_answers() -> None:
    ours = load(BENCH / "servers" / "ours.py", "bench_ours").server.app
    ceiling = load(BENCH / "servers" / "asgi_ceiling.py", "bench_ceiling").app
    opened = await post(ours, BASE, initialize_message())
    session = dict(opened[0]["headers"])[b"mcp-session-id"].decode()
    arguments = {"name": "add", "arguments": {"a": 40, "b": 2}}
    cases = [
        (
            {**BASE, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"},
            {"jsonrpc": "2.0", "id": 40000002, "method": "tools/call", "params": arguments},
        ),
        (
            {**BASE, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "add"},
            {
                "jsonrpc": "2.0",
                "id": 40000002,
                "method": "tools/call",
                "params": {**arguments, "_meta": MODERN_META},
            },
        ),
    ]
    for headers, message in cases:
        mine, theirs = await post(ours, headers, message), await post(ceiling, headers, message)
        assert [e["type"] for e in mine] == [e["type"] for e in theirs]
        assert mine[0]["status"] == theirs[0]["status"] == 200
        assert sorted(mine[0]["headers"]) == sorted(theirs[0]["headers"])
        assert mine[-1]["body"] == theirs[-1]["body"]
        assert orjson.loads(mine[-1]["body"])["result"]["structuredContent"] == {"result": 42}
