#!/usr/bin/env python3
"""Where one sequential `MCPClient` `tools/call` over Streamable HTTP spends its time.

    PYTHONPATH=src python bench/client_profile.py [--eras legacy,modern] [--calls N]
        [--rounds R] [--opcodes] [--cprofile] [--floors]

Starts our quiet bench server (`servers/ours.py`) on a free 127.0.0.1 port pinned to
core 0 and drives it from this process, pinned to core 1, on uvloop (as
`client_driver.py` does). After 200 warm-up calls it prints, per era, the client's CPU
time per call (`time.process_time`, best of R rounds) and calls/s; every sum is checked.

- `--opcodes`: Python bytecodes run per call, split by package (`mcp_use`, `aiohttp`,
  ...) with our heaviest functions: no other work on the machine moves it, so two
  trees compare exactly even when the CPU clock is noisy.
- `--cprofile`: the same split in (profiled, so inflated) µs per call, C functions too.
- `--floors`: what the HTTP stack costs alone, the same request and check with no MCP
  client around it: a bare `aiohttp.ClientSession` POST loop, and a keep-alive socket
  with `httptools` parsing the answer in the protocol's data callback (the floor of any
  asyncio HTTP/1.1 client; not something the client uses).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

BENCH = Path(__file__).resolve().parent
Call = Callable[[int], Awaitable[None]]
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def _body(i: int) -> bytes:
    params = {"name": "add", "arguments": {"a": i, "b": 7}, "_meta": MODERN_META}
    return orjson.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": params})


def _check(i: int, answer: bytes) -> None:
    if orjson.loads(answer)["result"]["content"][0]["text"] != str(i + 7):
        raise SystemExit(f"wrong answer to call {i}: {answer[:200]!r}")


async def ours(url: str, era: str, run: Callable[[Call], Awaitable[None]]) -> None:
    from mcp_use import MCPClient

    async with MCPClient({"mcpServers": {"bench": {"url": url}}}, mode=era) as client:
        session = client.get_session("bench")

        async def call(i: int) -> None:
            result = await session.call_tool("add", {"a": i, "b": 7})
            if result.content[0].text != str(i + 7):  # type: ignore[union-attr]
                raise SystemExit(f"wrong answer to call {i}")

        await run(call)


async def bare_aiohttp(url: str, run: Callable[[Call], Awaitable[None]]) -> None:
    import aiohttp

    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "add",
    }
    async with aiohttp.ClientSession() as http:

        async def call(i: int) -> None:
            async with http.post(url, data=_body(i), headers=headers) as response:
                _check(i, await response.read())

        await run(call)


async def raw_socket(port: int, run: Callable[[Call], Awaitable[None]]) -> None:
    import httptools

    class Answer(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpResponseParser(self)
            self.chunks: list[bytes] = []
            self.done: asyncio.Future[bytes] | None = None

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

        def on_body(self, chunk: bytes) -> None:
            self.chunks.append(chunk)

        def on_message_complete(self) -> None:
            body, self.chunks = b"".join(self.chunks), []
            assert self.done is not None
            self.done.set_result(body)

    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(Answer, "127.0.0.1", port)
    head = (
        f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        "accept: application/json, text/event-stream\r\nmcp-protocol-version: 2026-07-28\r\n"
        "mcp-method: tools/call\r\nmcp-name: add\r\ncontent-length: "
    )

    async def call(i: int) -> None:
        body = _body(i)
        proto.done = loop.create_future()
        transport.write(f"{head}{len(body)}\r\n\r\n".encode() + body)
        _check(i, await proto.done)

    try:
        await run(call)
    finally:
        transport.close()


def runner(args: argparse.Namespace, label: str) -> Callable[[Call], Awaitable[None]]:
    """Warm up, then time (and with --opcodes / --cprofile, dissect) `args.calls` calls."""

    async def run(call: Call) -> None:
        for i in range(200):
            await call(i)
        best = None
        for _ in range(args.rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            for i in range(args.calls):
                await call(i)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best = min(best or (cpu, wall), (cpu, wall))
        assert best is not None
        print(
            f"{label}: {best[0] / args.calls * 1e6:6.1f} µs CPU per call, {args.calls / best[1]:6.0f} calls/s"
        )
        if args.opcodes:
            await opcodes(call, min(args.calls, 300))
        if args.cprofile:
            await profiled(call, args.calls)

    return run


def _group(filename: str) -> str:
    if f"{os.sep}mcp_use{os.sep}" in filename:
        return "mcp_use"
    if "site-packages" in filename:
        return filename.split("site-packages" + os.sep)[1].split(os.sep)[0]
    return "C functions" if filename == "~" else "stdlib and driver"


async def opcodes(call: Call, n: int) -> None:
    per: collections.Counter[tuple[str, str]] = collections.Counter()

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            per[(frame.f_code.co_filename, frame.f_code.co_name)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        for i in range(n):
            await call(i)
    finally:
        sys.settrace(None)
    groups: collections.Counter[str] = collections.Counter()
    for (filename, _), count in per.items():
        groups[_group(filename)] += count
    total = sum(groups.values())
    split = ", ".join(f"{g} {c / n:.0f}" for g, c in groups.most_common())
    print(f"   {total / n:.0f} Python opcodes per call: {split}")
    ours_top = [(k, c) for k, c in per.most_common() if _group(k[0]) == "mcp_use"][:12]
    for (filename, name), count in ours_top:
        print(f"     {count / n:5.0f}  {filename.split('mcp_use' + os.sep, 1)[-1]}:{name}")


async def profiled(call: Call, n: int) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for i in range(n):
        await call(i)
    profile.disable()
    groups: collections.Counter[str] = collections.Counter()
    for (filename, _, _), stat in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        groups[_group(filename)] += stat[2]  # own time
    split = ", ".join(f"{g} {t / n * 1e6:.1f}" for g, t in groups.most_common())
    print(f"   profiled own time, µs per call: {split}")


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = ["taskset", "-c", "0", sys.executable, str(BENCH / "servers" / "ours.py"), "http", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the bench server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eras", default="legacy,modern")
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--opcodes", action="store_true")
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--floors", action="store_true")
    args = ap.parse_args()
    import uvloop

    os.sched_setaffinity(0, {1})
    proc, port = start_server()
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for era in args.eras.split(","):
            uvloop.run(ours(url, era, runner(args, f"MCPClient {era:6s}")))
        if args.floors:
            uvloop.run(bare_aiohttp(url, runner(args, "bare aiohttp    ")))
            uvloop.run(raw_socket(port, runner(args, "raw socket      ")))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
