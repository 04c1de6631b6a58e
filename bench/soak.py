#!/usr/bin/env python3
"""Soak: bounded mixed load against one mcp_use server for a given time, RSS watched.

    python bench/soak.py --minutes 60 --store memory     # or --store redis
    python bench/soak.py --minutes 2 --store redis --workers 4

Starts `bench/servers/soak_server.py` (with `--store redis`, also a throw-away
`redis-server` on a free loopback port, and the server on it through
`MCP_USE_REDIS_URL`), then runs `--workers` loops, each picking one of:

* legacy-abandon: initialize, one call, then walk away (the idle timeout ends it);
* legacy-full: initialize, calls, DELETE;
* modern: a 2026-07-28 `tools/call` of `add`, its sum checked;
* progress: a modern call streaming progress over SSE, every step and the answer checked;
* disconnect: a call to `slow` dropped by the client midway;
* get-stream: a legacy session's GET stream held open a moment, then DELETE;
* blob: a legacy call answered with 16 KiB over SSE (stream logs hold real bytes).

The server's RSS is read from /proc every 10 s. At the end it prints the requests
sent, errors (an unexpected status or error answer), lost responses (a request that got
no answer at all, or a wrong one), the RSS samples and the RSS slope in MB/min over the
second half (least squares), and the server's /metrics. Load is bounded: each worker
has at most one request in flight. Throughput on a shared machine means little; the
slope and the lost count are the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
SERVER = BENCH / "servers" / "soak_server.py"
ACCEPT = "application/json, text/event-stream"
LEGACY = "2025-11-25"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
SCENARIOS = {
    "legacy-abandon": 2,
    "legacy-full": 2,
    "modern": 6,
    "progress": 2,
    "disconnect": 1,
    "get-stream": 1,
    "blob": 1,
}


class Lost(Exception):
    """A request that got no answer, or an answer to something else."""


class Failed(Exception):
    """An unexpected HTTP status or JSON-RPC error."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port} after {seconds}s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return 60.0 * cov / var if var else 0.0


def sse_messages(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            out.append(json.loads(line[5:]))
    return out


class Load:
    def __init__(self, url: str) -> None:
        self.url = url
        self.counts: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.lost: collections.Counter[str] = collections.Counter()
        self.ids = 0

    def next_id(self) -> int:
        self.ids += 1
        return self.ids

    async def post(
        self, http: aiohttp.ClientSession, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], list[dict[str, Any]]]:
        self.counts["requests"] += 1
        async with http.post(self.url, json=body, headers={"accept": ACCEPT, **headers}) as response:
            text = await response.text()
            if response.content_type == "application/json":
                messages = [json.loads(text)] if text else []
            else:
                messages = sse_messages(text)
            return response.status, {k.lower(): v for k, v in response.headers.items()}, messages

    def final(self, messages: list[dict[str, Any]], request_id: int) -> dict[str, Any]:
        answers = [m for m in messages if m.get("id") == request_id and ("result" in m or "error" in m)]
        if len(answers) != 1:
            raise Lost(f"request {request_id}: {len(answers)} answers")
        if "error" in answers[0]:
            raise Failed(answers[0]["error"].get("message", "error"))
        return answers[0]["result"]

    async def initialize(self, http: aiohttp.ClientSession) -> dict[str, str]:
        rid = self.next_id()
        body = {
            "jsonrpc": "2.0",
            "id": rid,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "soak", "version": "1"},
            },
        }
        status, headers, messages = await self.post(http, body, {})
        if status != 200:
            raise Failed(f"initialize: HTTP {status}")
        self.final(messages, rid)
        session = {"mcp-session-id": headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
        status, _, _ = await self.post(
            http, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session
        )
        if status != 202:
            raise Failed(f"initialized: HTTP {status}")
        return session

    async def legacy_call(
        self, http: aiohttp.ClientSession, session: dict[str, str], name: str, args: dict[str, Any]
    ) -> dict[str, Any]:
        rid = self.next_id()
        body = {
            "jsonrpc": "2.0",
            "id": rid,
            "method": "tools/call",
            "params": {"name": name, "arguments": args},
        }
        status, _, messages = await self.post(http, body, session)
        if status != 200:
            raise Failed(f"tools/call {name}: HTTP {status}")
        return self.final(messages, rid)

    async def modern_call(
        self, http: aiohttp.ClientSession, name: str, args: dict[str, Any], progress: bool = False
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rid = self.next_id()
        meta = dict(MODERN_META)
        if progress:
            meta["progressToken"] = f"p{rid}"
        body = {
            "jsonrpc": "2.0",
            "id": rid,
            "method": "tools/call",
            "params": {"name": name, "arguments": args, "_meta": meta},
        }
        headers = {"mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name}
        status, _, messages = await self.post(http, body, headers)
        if status != 200:
            raise Failed(f"modern {name}: HTTP {status}")
        return self.final(messages, rid), messages

    async def delete(self, http: aiohttp.ClientSession, session: dict[str, str]) -> None:
        self.counts["requests"] += 1
        async with http.delete(self.url, headers=session) as response:
            if response.status not in (200, 204):
                raise Failed(f"DELETE: HTTP {response.status}")

    # ---- scenarios --------------------------------------------------------------
    async def legacy_abandon(self, http: aiohttp.ClientSession) -> None:
        session = await self.initialize(http)
        result = await self.legacy_call(http, session, "add", {"a": 2, "b": 3})
        if result.get("structuredContent") != {"result": 5}:
            raise Lost(f"add answered {result}")

    async def legacy_full(self, http: aiohttp.ClientSession) -> None:
        session = await self.initialize(http)
        for i in range(3):
            result = await self.legacy_call(http, session, "add", {"a": i, "b": 10})
            if result.get("structuredContent") != {"result": i + 10}:
                raise Lost(f"add answered {result}")
        await self.delete(http, session)

    async def modern(self, http: aiohttp.ClientSession) -> None:
        a, b = random.randint(0, 10**6), random.randint(0, 10**6)
        result, _ = await self.modern_call(http, "add", {"a": a, "b": b})
        if result.get("structuredContent") != {"result": a + b}:
            raise Lost(f"add answered {result}")

    async def progress(self, http: aiohttp.ClientSession) -> None:
        result, messages = await self.modern_call(http, "count", {"n": 5}, progress=True)
        steps = [m for m in messages if m.get("method") == "notifications/progress"]
        if len(steps) != 5 or result["content"][0]["text"] != "counted 5":
            raise Lost(f"progress: {len(steps)} steps, {result}")

    async def disconnect(self, http: aiohttp.ClientSession) -> None:
        call = asyncio.ensure_future(self.modern_call(http, "slow", {"seconds": 2.0}))
        await asyncio.sleep(random.uniform(0.1, 0.5))
        call.cancel()
        try:
            await call
        except asyncio.CancelledError:
            self.counts["dropped-by-client"] += 1

    async def get_stream(self, http: aiohttp.ClientSession) -> None:
        session = await self.initialize(http)
        self.counts["requests"] += 1
        async with http.get(self.url, headers={"accept": "text/event-stream", **session}) as response:
            if response.status != 200:
                raise Failed(f"GET stream: HTTP {response.status}")
            await asyncio.sleep(random.uniform(0.2, 1.0))
        await self.delete(http, session)

    async def blob(self, http: aiohttp.ClientSession) -> None:
        session = await self.initialize(http)
        result = await self.legacy_call(http, session, "blob", {"kib": 16})
        if len(result["content"][0]["text"]) != 16 * 1024:
            raise Lost("blob: wrong length")
        await self.delete(http, session)

    async def worker(self, until: float) -> None:
        names = list(SCENARIOS)
        weights = [SCENARIOS[n] for n in names]
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while time.monotonic() < until:
                name = random.choices(names, weights)[0]
                try:
                    await getattr(self, name.replace("-", "_"))(http)
                    self.counts[name] += 1
                except Lost as exc:
                    self.lost[f"{name}: {exc}"[:120]] += 1
                except (TimeoutError, aiohttp.ClientError) as exc:
                    self.lost[f"{name}: {type(exc).__name__}"] += 1
                except Failed as exc:
                    self.errors[f"{name}: {exc}"[:120]] += 1
                except (KeyError, ValueError) as exc:  # a malformed answer
                    self.errors[f"{name}: {type(exc).__name__} {exc}"[:120]] += 1


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--store redis needs redis-server on PATH")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, proc)
    return proc, f"redis://127.0.0.1:{port}/0"


async def sample_rss(pid: int, started: float, until: float, samples: list[tuple[float, float]]) -> None:
    while True:
        now = time.monotonic()
        samples.append((now - started, rss_mb(pid)))
        print(f"  t={now - started:7.0f}s rss={samples[-1][1]:.1f} MB", flush=True)
        if now >= until:
            return
        await asyncio.sleep(min(10.0, max(0.0, until - now)))


async def metrics(port: int) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
        return await response.text()


async def soak(
    port: int, pid: int, seconds: float, workers: int
) -> tuple[Load, list[tuple[float, float]], str]:
    load = Load(f"http://127.0.0.1:{port}/mcp")
    started = time.monotonic()
    until = started + seconds
    samples: list[tuple[float, float]] = []
    sampler = asyncio.ensure_future(sample_rss(pid, started, until, samples))
    await asyncio.gather(*(load.worker(until) for _ in range(workers)))
    await sampler
    return load, samples, await metrics(port)


def report(store: str, seconds: float, load: Load, samples: list[tuple[float, float]], text: str) -> None:
    half = [(t, m) for t, m in samples if t >= seconds / 2]
    lost = sum(load.lost.values())
    errors = sum(load.errors.values())
    print(f"\n== soak, {store} store, {seconds / 60:.1f} min ==")
    print(f"requests: {load.counts['requests']}")
    print("scenarios: " + ", ".join(f"{n}={load.counts[n]}" for n in [*SCENARIOS, "dropped-by-client"]))
    print(f"errors: {errors} {dict(load.errors)}")
    print(f"lost responses: {lost} {dict(load.lost)}")
    print(
        f"rss: first {samples[0][1]:.1f} MB, last {samples[-1][1]:.1f} MB, max {max(m for _, m in samples):.1f} MB"
    )
    print(f"rss slope over the second half: {slope_mb_per_min(half):+.3f} MB/min ({len(half)} samples)")
    print("server metrics:\n" + "\n".join(line for line in text.splitlines() if not line.startswith("#")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--store", choices=["memory", "redis"], default="memory")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("MCP_USE_REDIS_URL", None)
        redis = None
        if args.store == "redis":
            redis, env["MCP_USE_REDIS_URL"] = start_redis(Path(tmp))
        port = free_port()
        server = subprocess.Popen([sys.executable, str(SERVER), str(port)], env=env)
        try:
            wait_port(port, server)
            load, samples, text = asyncio.run(soak(port, server.pid, seconds, args.workers))
            report(args.store, seconds, load, samples, text)
            return 1 if load.lost else 0
        finally:
            for proc in (server, redis):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()


if __name__ == "__main__":
    sys.exit(main())
