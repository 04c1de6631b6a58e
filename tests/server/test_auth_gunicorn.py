"""A protected server under gunicorn with three uvicorn workers and shared Redis.

The app is imported by gunicorn, never started by `server.run()`: every worker checks the
bearer token, serves the RFC 9728 metadata, and keeps a legacy session bound to the
principal that opened it whichever worker a request lands on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, ServerProcess, build_env, free_port
from tests.helpers.oauth import JWKS, KeyPair
from tests.helpers.redis import redis_server

from .auth_client import KEY, Protected, challenge, legacy, modern, open_session, result

SERVED = Path(__file__).parent / "servers" / "auth_gunicorn"


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    logs = tmp_path_factory.mktemp("auth-gunicorn")
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    with JWKS(KEY) as jwks, redis_server(logs) as redis:
        cmd = [
            sys.executable, "-m", "gunicorn", "server:app",
            "--workers", "3",
            "--worker-class", "uvicorn_worker.UvicornWorker",
            "--bind", f"127.0.0.1:{port}",
            "--no-control-socket",
            "--graceful-timeout", "3",
        ]  # fmt: skip
        env = build_env(
            {
                "PYTHONPATH": str(REPO_ROOT / "src"),
                "TEST_JWKS_URL": jwks.url,
                "TEST_RESOURCE": resource,
                "TEST_REDIS_URL": redis,
            }
        )
        with ServerProcess(cmd, port=port, cwd=SERVED, env=env, log_dir=logs, name="auth-gunicorn") as srv:
            yield Protected(srv, resource)
            assert srv.is_running(), srv.describe()


def test_every_worker_refuses_without_a_token_and_serves_the_metadata(protected: Protected) -> None:
    for _ in range(6):  # enough requests to reach every worker
        refused = modern(protected.url, None, "tools/call", {"name": "whoami", "arguments": {}})
        assert refused.status_code == 401
        assert challenge(refused)["resource_metadata"] == protected.metadata
    foreign = KeyPair()  # a key the JWKS does not hold
    bad = modern(
        protected.url, protected.token(key=foreign), "tools/call", {"name": "whoami", "arguments": {}}
    )
    assert bad.status_code == 401 and challenge(bad)["error"] == "invalid_token"
    other_audience = protected.token(aud="https://another.example/mcp")
    assert modern(protected.url, other_audience, "tools/list").status_code == 401


def test_tokens_work_on_both_eras_across_workers(protected: Protected) -> None:
    alice = protected.token("alice")
    pids = set()
    for _ in range(12):
        answer = result(modern(protected.url, alice, "tools/call", {"name": "whoami", "arguments": {}}))
        subject, pid = answer["content"][0]["text"].split()
        assert subject == "alice"
        pids.add(pid)
    session = open_session(protected.url, alice)
    for _ in range(12):
        answer = result(
            legacy(protected.url, session, alice, "tools/call", {"name": "whoami", "arguments": {}})
        )
        subject, pid = answer["content"][0]["text"].split()
        assert subject == "alice"
        pids.add(pid)
    assert len(pids) >= 2, f"all calls landed on one worker: {pids}"


def test_another_principal_cannot_use_the_session_on_any_worker(protected: Protected) -> None:
    alice, bob = protected.token("alice"), protected.token("bob")
    session = open_session(protected.url, alice)
    for _ in range(6):
        stolen = legacy(protected.url, session, bob, "tools/call", {"name": "whoami", "arguments": {}})
        assert stolen.status_code == 404, stolen.text
    mine = legacy(protected.url, session, alice, "tools/call", {"name": "whoami", "arguments": {}})
    assert result(mine)["content"][0]["text"].startswith("alice ")
