"""Server processes (tests/server/servers/redis_server.py) sharing one redis-server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.helpers import REPO_ROOT, ServerProcess, build_env, free_port, python_cmd
from tests.helpers.redis import RestartableRedis

SERVER = "tests/server/servers/redis_server.py"
TIMEOUT = 30.0


def call(id_: int, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": id_,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments or {}},
    }


@contextmanager
def processes(
    redis: RestartableRedis, tmp_path: Path, count: int = 3, **extra: str
) -> Iterator[list[ServerProcess]]:
    """`count` processes sharing `redis` (heartbeat 0.5 s: a restart is noticed fast);
    `extra`: env for the test server (INPUT_TIMEOUT, RETRY_BYTES, SOCKET_TIMEOUT)."""
    env = {
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "REDIS_URL": redis.url,
        "MCP_USE_REDIS_URL": None,
        "REDIS_PREFIX": f"f{uuid.uuid4().hex[:6]}",
        "STATE_SECRET": "fault-secret",
        "HEARTBEAT": "0.5",
        **extra,
    }
    servers = []
    try:
        for _ in range(count):
            port = free_port()
            servers.append(
                ServerProcess(
                    python_cmd(SERVER, port), port=port, env=build_env(env), log_dir=tmp_path
                ).start()
            )
        yield servers
    finally:
        for server in servers:
            server.stop()
