"""Starting `mcp-use proxy` (or any of our HTTP servers) as a subprocess for a test."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import httpx

from .net import free_port
from .process import REPO_ROOT, ServerPool, ServerProcess, build_env

PROXY = [sys.executable, "-m", "mcp_use.cli", "proxy"]


def serve_http(
    pool: ServerPool, cmd: Sequence[str], port: int, name: str, env: dict[str, str | None] | None = None
) -> ServerProcess:
    """Start `cmd` (serving `/mcp` on `port`) with our sources, ready once `/mcp` answers."""
    return pool(
        list(cmd),
        port=port,
        env=build_env({"PYTHONPATH": str(REPO_ROOT / "src"), **(env or {})}),
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=2).status_code < 500,
        name=name,
    )


def start_proxy(
    pool: ServerPool, args: Sequence[str], name: str, env: dict[str, str | None] | None = None
) -> ServerProcess:
    """`mcp-use proxy --port <free> ARGS...` on Streamable HTTP."""
    port = free_port()
    return serve_http(pool, [*PROXY, "--port", str(port), *args], port, name, env)


def stdio_entry(script: str, mode: str) -> dict[str, object]:
    """An `mcpServers` entry running our `script` as a stdio child with our sources, its
    era pinned by `mode` ("auto", "legacy", ...): a proxy target."""
    return {"command": sys.executable, "args": [script], "env": {"PYTHONPATH": str(REPO_ROOT / "src")},
            "mode": mode}  # fmt: skip
