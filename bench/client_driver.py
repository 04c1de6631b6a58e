"""One client benchmark run, inside the client's own venv: N tools/call "add", checked.

    python client_driver.py ours|sdk http URL legacy|modern CONCURRENCY CALLS
    python client_driver.py ours|sdk stdio SERVER_PYTHON SERVER_SCRIPT CONCURRENCY CALLS

`ours` is `mcp_use.MCPClient`, `sdk` the official SDK's `mcp.Client`; both run on uvloop
when it is installed (it is in both bench venvs). After connecting and 50 warm-up
calls, CONCURRENCY workers share CALLS calls (1 = sequential); every answer's sum is
checked. Prints one JSON line: {"calls", "seconds", "cpu_seconds", "bad"}: the client
process's own CPU time is the figure that a busy machine disturbs least.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Call = Callable[[int, int], Awaitable[str]]


async def drive(call: Call, concurrency: int, calls: int) -> dict[str, Any]:
    for i in range(50):
        await call(i, 1)
    bad = 0
    counter = iter(range(calls))

    async def worker() -> None:
        nonlocal bad
        for i in counter:
            if await call(i, 7) != str(i + 7):
                bad += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"calls": calls, "seconds": seconds, "cpu_seconds": cpu, "bad": bad}


async def ours(target: list[str], era: str, concurrency: int, calls: int) -> dict[str, Any]:
    from mcp_use import MCPClient

    if target[0] == "http":
        entry: dict[str, Any] = {"url": target[1]}
    else:
        entry = {"command": target[1], "args": [target[2], "stdio"]}
    async with MCPClient({"mcpServers": {"bench": entry}}, mode=era) as client:
        session = client.get_session("bench")

        async def call(a: int, b: int) -> str:
            result = await session.call_tool("add", {"a": a, "b": b})
            return result.content[0].text

        return await drive(call, concurrency, calls)


async def sdk(target: list[str], era: str, concurrency: int, calls: int) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    server: Any = target[1]
    if target[0] == "stdio":
        server = StdioServerParameters(command=target[1], args=[target[2], "stdio"])
    mode = "legacy" if era == "legacy" else "auto"
    async with Client(server, mode=mode) as client:

        async def call(a: int, b: int) -> str:
            result = await client.call_tool("add", {"a": a, "b": b})
            return result.content[0].text  # type: ignore[union-attr]

        return await drive(call, concurrency, calls)


def main() -> None:
    peer, kind = sys.argv[1], sys.argv[2]
    if kind == "http":
        target, era, rest = ["http", sys.argv[3]], sys.argv[4], sys.argv[5:]
    else:
        target, era, rest = ["stdio", sys.argv[3], sys.argv[4]], "auto", sys.argv[5:]
    concurrency, calls = int(rest[0]), int(rest[1])
    run = {"ours": ours, "sdk": sdk}[peer]
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(target, era, concurrency, calls))
    else:
        result = uvloop.run(run(target, era, concurrency, calls))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
