"""The seed's production set-ups, for real, on both eras, with the official SDK client.

- gunicorn with three `uvicorn_worker.UvicornWorker` processes on one port, and
  `uvicorn.run("server:server.app", workers=3)`, the state on Redis from
  `MCP_USE_REDIS_URL` (cwd = servers/served);
- three server processes behind nginx running examples/deploy/nginx.conf itself (TLS,
  `least_conn`): only the upstream addresses, the listen ports, the certificate paths
  and nginx's own runtime paths are substituted.

Each run prints its figures (calls, per-process counts, failures, events resumed).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest

from tests.helpers import REPO_ROOT, ServerProcess, build_env, free_port
from tests.helpers.redis import redis_available, redis_server
from tests.helpers.sse import sse_events
from tests.server.test_redis_state import LEGACY, MODERN, TIMEOUT, call, open_session, start_server

pytestmark = pytest.mark.skipif(not redis_available(), reason="redis-server is not installed")

SERVED = Path(__file__).parent / "servers" / "served"
DEPLOY_CONF = REPO_ROOT / "examples" / "deploy" / "nginx.conf"
MODES = {"legacy": LEGACY, "auto": MODERN}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


class Recorder(httpx2.AsyncBaseTransport):
    """The SDK's HTTP traffic: every (method, status), and a fresh connection per request
    when `fresh` (so a kernel-balanced port spreads requests over its workers)."""

    def __init__(self, *, verify: bool = True, fresh: bool = False) -> None:
        limits = httpx2.Limits(max_keepalive_connections=0) if fresh else httpx2.Limits()
        self.inner = httpx2.AsyncHTTPTransport(verify=verify, limits=limits)
        self.seen: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        self.seen.append((request.method, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def drive(url: str, mode: str, recorder: Recorder, *, calls: int, asks: int) -> dict[str, Any]:
    """Connect with the official SDK client, make `calls` whoami calls 8 at a time and
    `asks` elicitations; the figures (per-process counts, failures, answers)."""
    import mcp_types as types
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    asked = 0

    async def elicitation(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        nonlocal asked
        asked += 1
        return types.ElicitResult(action="accept", content={"answer": "lb"})

    pids: Counter[int] = Counter()
    failures = 0
    waited: Counter[int] = Counter()
    async with httpx2.AsyncClient(transport=recorder, timeout=TIMEOUT) as http:
        async with asyncio.timeout(40):
            async with Client(
                streamable_http_client(url, http_client=http),
                mode=mode,
                elicitation_callback=elicitation,
                read_timeout_seconds=TIMEOUT,
            ) as client:
                assert client.protocol_version == MODES[mode]

                async def one() -> None:
                    nonlocal failures
                    try:
                        result = await client.call_tool("whoami", {"delay": 0.02})  # calls overlap
                    except Exception:
                        failures += 1
                        return
                    if result.is_error:
                        failures += 1
                    else:
                        pids[int(json.loads(result.content[0].text))] += 1

                for start in range(0, calls, 8):
                    await asyncio.gather(*(one() for _ in range(min(8, calls - start))))
                for _ in range(asks):
                    result = await client.call_tool("ask", {"question": "balanced?"})
                    assert result.is_error is False, result
                    action, answer, pid = result.content[0].text.split(":")
                    assert (action, answer) == ("accept", "lb")
                    waited[int(pid)] += 1
    return {
        "calls": calls,
        "per_process": dict(pids),
        "failures": failures,
        "asked": asked,
        "waited": dict(waited),
    }


def check(figures: dict[str, Any], pids: set[int], recorder: Recorder, mode: str, asks: int) -> None:
    assert figures["failures"] == 0, figures
    assert sum(figures["per_process"].values()) == figures["calls"], figures
    # Every process served some (`pids` may hold a helper too: uvicorn's resource tracker).
    assert len(figures["per_process"]) == 3 and set(figures["per_process"]) <= pids, (figures, pids)
    assert figures["asked"] == asks, figures
    if mode == "legacy":
        assert ("DELETE", 200) in recorder.seen, recorder.seen  # the session ended on close
    else:
        assert not any(method == "DELETE" for method, _ in recorder.seen)  # no session to end


# ---- gunicorn ------------------------------------------------------------------------


def worker_pids(master: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return {int(p) for p in found.stdout.split()}


SERVE_CMDS = {
    # The seed's gunicorn line, with `server:app`: gunicorn takes a module attribute, not a
    # dotted path; uvicorn takes either.
    "gunicorn": [
        sys.executable, "-m", "gunicorn", "server:app",
        "--workers", "3",
        "--worker-class", "uvicorn_worker.UvicornWorker",
        "--bind", "127.0.0.1:{port}",
        "--no-control-socket",
        "--graceful-timeout", "5",
    ],
    "uvicorn": [
        sys.executable, "-c",
        "import uvicorn; uvicorn.run('server:server.app', host='127.0.0.1', port={port}, workers=3)",
    ],
}  # fmt: skip


@pytest.fixture(scope="module", params=list(SERVE_CMDS))
def workers(
    request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One port, three worker processes, the state on Redis from `MCP_USE_REDIS_URL`."""
    if request.param == "gunicorn":
        pytest.importorskip("uvicorn_worker")
    log_dir = tmp_path_factory.mktemp(request.param)
    port = free_port()
    env = {
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "MCP_USE_REDIS_URL": redis_url,
        "REDIS_URL": None,
        "NAME": "workers",
    }
    server = ServerProcess(
        [part.replace("{port}", str(port)) for part in SERVE_CMDS[request.param]],
        port=port,
        cwd=SERVED,
        env=build_env(env),
        log_dir=log_dir,
        name=request.param,
        ready=lambda: len(worker_pids(server.pid)) >= 3,
    )
    with server:
        yield server


@pytest.mark.parametrize("mode", list(MODES))
async def test_three_workers_on_one_port(workers: ServerProcess, mode: str) -> None:
    recorder = Recorder(fresh=True)
    figures = await drive(workers.url("/mcp"), mode, recorder, calls=60, asks=4)
    print(f"{workers.name} --workers 3, {mode}: {figures}")
    check(figures, worker_pids(workers.pid), recorder, mode, asks=4)


@pytest.mark.parametrize("kind", list(SERVE_CMDS))
async def test_sigterm_closes_every_workers_streams_with_a_retry_hint(
    kind: str, redis_url: str, tmp_path: Path
) -> None:
    """SIGTERM to the master: each worker ends its SSE streams with `retry:` at once (not
    after the graceful timeout) and leaves Redis's list of live processes."""
    import redis

    if kind == "gunicorn":
        pytest.importorskip("uvicorn_worker")
    db = 1 + list(SERVE_CMDS).index(kind)  # a database of its own: only these workers register
    url = f"{redis_url.rpartition('/')[0]}/{db}"
    port = free_port()
    env = {"PYTHONPATH": str(REPO_ROOT / "src"), "MCP_USE_REDIS_URL": url, "REDIS_URL": None, "NAME": "stop"}
    server = ServerProcess(
        [part.replace("{port}", str(port)) for part in SERVE_CMDS[kind]],
        port=port,
        cwd=SERVED,
        env=build_env(env),
        log_dir=tmp_path,
        name=kind,
        ready=lambda: len(worker_pids(server.pid)) >= 3,
    )
    store = redis.Redis.from_url(url)
    try:
        server.start()
        mcp = server.url("/mcp")
        fresh = httpx.Limits(max_keepalive_connections=0)  # any worker, each time
        async with httpx.AsyncClient(timeout=TIMEOUT, limits=fresh) as client:
            headers = await open_session(client, mcp)
            for _ in range(200):  # every worker serves a request, so each starts its state
                if len(store.keys("mcp_use:proc:*")) == 3:
                    break
                await client.post(mcp, headers=headers, json=call(1, "whoami"))
            assert len(store.keys("mcp_use:proc:*")) == 3, server.describe()
            sessions = [headers] + [await open_session(client, mcp) for _ in range(5)]
            streams = [client.stream("GET", mcp, headers=h) for h in sessions]  # one per session
            opened = [await stream.__aenter__() for stream in streams]  # spread over the workers
            try:
                lines = [response.aiter_lines() for response in opened]
                for response, stream_lines in zip(opened, lines, strict=True):
                    assert response.status_code == 200
                    assert (await anext(stream_lines)).startswith(": stream open")
                loop = asyncio.get_running_loop()
                os.kill(server.pid, signal.SIGTERM)
                stopped = loop.time()
                async with asyncio.timeout(
                    8
                ):  # without the hook: cut at gunicorn's graceful timeout, or never
                    tails = [[line async for line in stream_lines] for stream_lines in lines]
                took = loop.time() - stopped
            finally:
                for stream in streams:
                    await stream.__aexit__(None, None, None)
        assert all(any(line.startswith("retry:") for line in tail) for tail in tails), (
            tails,
            server.describe(),
        )
        for _ in range(100):  # each worker drops its registration (no waiting for the TTL)
            if not store.keys("mcp_use:proc:*"):
                break
            await asyncio.sleep(0.05)
        left = store.keys("mcp_use:proc:*")
        print(
            f"{kind} SIGTERM: {len(opened)} streams closed with retry in {took:.2f}s, registrations left {len(left)}"
        )
        assert left == [], server.describe()
        assert server.proc is not None and server.proc.wait(timeout=10) is not None
    finally:
        store.close()
        server.stop()


# ---- nginx running examples/deploy/nginx.conf ------------------------------------------


def deploy_conf(tmp: Path, upstreams: list[int], https_port: int, http_port: int) -> str:
    """examples/deploy/nginx.conf with local addresses, ports, certificate and runtime paths."""
    conf = DEPLOY_CONF.read_text()
    for n, port in enumerate(upstreams, 1):
        conf, count = re.subn(rf"server mcp{n}:8000\b", f"server 127.0.0.1:{port}", conf)
        assert count == 1, f"mcp{n} is not in the upstream of {DEPLOY_CONF}"
    conf = conf.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    conf = conf.replace("/etc/nginx/certs/", f"{tmp}/")
    conf = conf.replace("worker_processes auto;", "worker_processes 1;")
    conf = conf.replace("error_log /dev/stderr", f"error_log {tmp}/error.log")
    conf = conf.replace("access_log /dev/stdout;", f"access_log {tmp}/access.log;")
    runtime = "".join(
        f"\n    {kind}_temp_path {tmp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return conf.replace("http {", "http {" + runtime, 1)


def self_signed(tmp: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True,
        capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def balanced(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three server processes (one Redis) behind nginx running the deployment's nginx.conf."""
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx_bin).exists():
        pytest.skip("nginx is not installed")
    tmp = tmp_path_factory.mktemp("nginx")
    env = {"REDIS_PREFIX": f"lb-{uuid.uuid4().hex[:6]}", "STATE_SECRET": "lb-secret", "HEARTBEAT": "0.5"}
    servers = [start_server(redis_url, tmp, **env) for _ in range(3)]
    self_signed(tmp)
    https_port, http_port = free_port(), free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(deploy_conf(tmp, [s.port for s in servers], https_port, http_port))
    nginx = ServerProcess(
        [
            nginx_bin,
            "-p",
            str(tmp),
            "-c",
            str(conf),
            "-g",
            f"daemon off; pid {tmp}/nginx.pid;" + (" user root;" if os.geteuid() == 0 else ""),
        ],
        port=https_port,
        log_dir=tmp,
        name="nginx",
    )
    try:
        nginx.start()
        yield {"url": f"https://127.0.0.1:{https_port}/mcp", "servers": servers, "env": env, "tmp": tmp}
    finally:
        nginx.stop()
        for server in servers:
            server.stop()


@pytest.mark.parametrize("mode", list(MODES))
async def test_three_processes_behind_the_deployment_nginx(balanced: dict[str, Any], mode: str) -> None:
    servers = [s for s in balanced["servers"] if s.is_running()]
    recorder = Recorder(verify=False)
    routed_before = await routed(servers)
    figures = await drive(balanced["url"], mode, recorder, calls=200, asks=6)
    figures["answers_routed"] = await routed(servers) - routed_before
    print(f"nginx (examples/deploy/nginx.conf, least_conn), {mode}: {figures}")
    check(figures, {s.pid for s in servers}, recorder, mode, asks=6)
    if mode == "legacy":
        # least_conn sends the answer POST away from the process holding the open stream.
        assert figures["answers_routed"] >= 1, figures


async def routed(servers: list[ServerProcess]) -> int:
    """Client answers forwarded to another process, summed over `servers` (their /metrics)."""
    total = 0
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        for server in servers:
            text = (await client.get(server.url("/metrics"))).text
            total += int(re.search(r"^mcp_use_responses_routed_total (\d+)$", text, re.M)[1])  # type: ignore[index]
    return total


async def test_stream_resumed_through_nginx_after_its_process_is_killed(
    balanced: dict[str, Any], redis_url: str
) -> None:
    """Raw HTTP through nginx: kill the process holding a tool's stream; resume elsewhere."""
    url = balanced["url"]
    async with httpx.AsyncClient(timeout=TIMEOUT, verify=False) as client:
        headers = await open_session(client, url)
        first: list[tuple[str | None, dict | None]] = []
        arguments = {"steps": 100, "close_after": 3, "pause": 0.05}
        async with client.stream(
            "POST", url, headers=headers, json=call(1, "countdown", arguments)
        ) as response:
            async for item in sse_events(response):
                first.append(item)
        last = [m for _, m in first if m is not None][-1]
        holder = int(last["params"]["message"].rpartition(" on ")[2])
        await asyncio.sleep(0.5)  # a few more events go to the log, then the holder dies
        os.kill(holder, signal.SIGKILL)
        for server in balanced["servers"]:
            if server.pid == holder:
                server.stop()
        rest: list[tuple[str | None, dict | None]] = []
        async with asyncio.timeout(15):  # ends once the holder's heartbeat expires
            async with client.stream(
                "GET", url, headers={**headers, "last-event-id": first[-1][0]}
            ) as response:
                assert response.status_code == 200, await response.aread()
                async for item in sse_events(response):
                    rest.append(item)
        # The session goes on through the survivors, and ends with DELETE.
        assert (await client.post(url, headers=headers, json=call(2, "whoami"))).status_code == 200
        assert (await client.delete(url, headers=headers)).status_code == 200
    seqs = [int(i.rpartition("_")[2]) for i, _ in first + rest if i is not None]
    progress = [m["params"]["progress"] for _, m in first + rest if m is not None]
    print(
        f"nginx resume: {len(first)} events before the kill of {holder}, {len(rest)} resumed from another "
        f"process, sequence 0..{seqs[-1]} (gaps: {len(set(range(len(seqs))) ^ set(seqs))})"
    )
    assert len(rest) >= 3, rest  # events written after the client lost the stream
    assert seqs == list(range(len(seqs)))  # none lost, none twice
    assert progress == list(range(1, len(progress) + 1))
