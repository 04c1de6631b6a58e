#!/usr/bin/env python3
"""CPU cost of one Streamable HTTP `tools/call` inside the app, without sockets or wrk.

    PYTHONPATH=src python bench/inprocess.py [--calls N] [--rounds R] [--log] [--auth] [--middleware] 2>/dev/null

`--log` turns the default request log on, as `server.run()` sets it up (one line per
request on stderr: send stderr to /dev/null or a file, not a terminal).

Drives `server.app` as an ASGI server would (one POST, one answer), on both eras, and
prints the CPU time per request (`time.process_time`, best of R rounds). CPU time
rather than wall time, so a machine loaded by other work still compares two trees
fairly: run it once per checkout and compare the numbers. Every answer is checked.
`--auth`: the same server behind `JWTVerifier` (HS256, audience checked), every request
carrying one token: what a protected server pays per request once the token is cached.
`--middleware` adds one pass-through MCP-level middleware: the cost of the chain.
`--opcodes` also counts the Python bytecodes run per call (`sys.settrace`): a figure
no other work on the machine changes, for changes below the CPU clock's noise.
`--sync-timeout` gives the (sync) tool a timeout, so it runs in a worker thread: the
cost of the thread hop (why sync tools without a timeout still run inline).
`--async-tool` makes the tool `async def` (it returns without awaiting anything): what
the request path costs an async tool beside a sync one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import Any

import orjson

from mcp_use import MCPServer

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
BASE_HEADERS = {
    "host": "127.0.0.1:8000",
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
}


RESOURCE = "http://127.0.0.1:8000/mcp"


def build(
    auth: bool,
    default_log: bool,
    middleware: bool = False,
    sync_timeout: bool = False,
    async_tool: bool = False,
) -> tuple[Any, dict[str, str]]:
    """The app, and the headers every request carries (a bearer token with `auth`)."""
    if default_log:
        from mcp_use.server.runner import configure_logging

        configure_logging(None, 0)  # what `server.run()` does with no log_level
    else:
        logging.getLogger("mcp_use").setLevel(logging.WARNING)  # quiet, as `log_level="warning"`
    if not auth:
        server = MCPServer("bench")
    else:
        import jwt

        from mcp_use.auth import JWTVerifier

        secret = "bench-secret-of-at-least-32-bytes!"
        server = MCPServer("bench", auth=JWTVerifier(secret=secret, audience=RESOURCE))
        claims = {"sub": "bench", "aud": RESOURCE, "exp": int(time.time()) + 86400}
        token = jwt.encode(claims, secret, algorithm="HS256")
    if middleware:
        from mcp_use.server import Middleware

        class PassThrough(Middleware):
            async def on_request(self, ctx: Any, call_next: Any) -> Any:
                return await call_next(ctx)

        server.use(PassThrough())

    def add(a: int, b: int) -> int:
        return a + b

    async def add_async(a: int, b: int) -> int:
        return a + b

    server.tool(name="add", timeout=60.0 if sync_timeout else None)(add_async if async_tool else add)

    headers = {**BASE_HEADERS, "authorization": f"Bearer {token}"} if auth else BASE_HEADERS
    # What `server.run()` hands uvicorn (`_served`: the endpoint's lane in front of the
    # app), so the counts are those of the served stack; a tree without it serves the app.
    server.core.guard.bind("127.0.0.1")  # as `run()` does for the address it listens on
    served = getattr(server, "_served", None)
    return (server.app if served is None else served(server.app)), headers


async def post(app: Any, headers: dict[str, str], body: bytes) -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    delivered = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def flush_request_log() -> None:
    """Count the background flusher's work (if this tree has one) in the round it belongs to."""
    try:
        from mcp_use.server import request_log
    except ImportError:
        return
    request_log.flush()


async def main(
    calls: int,
    rounds: int,
    auth: bool,
    default_log: bool,
    middleware: bool = False,
    sync_timeout: bool = False,
    opcodes: bool = False,
    async_tool: bool = False,
) -> None:
    app, base_headers = build(auth, default_log, middleware, sync_timeout, async_tool)
    init = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    }
    opened = await post(
        app, base_headers, orjson.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init})
    )
    session_id = dict(opened[0]["headers"])[b"mcp-session-id"].decode()
    arguments = {"name": "add", "arguments": {"a": 1, "b": 2}}
    eras = {
        "legacy": (
            {**base_headers, "mcp-session-id": session_id, "mcp-protocol-version": "2025-11-25"},
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": arguments},
        ),
        "modern": (
            {
                **base_headers,
                "mcp-protocol-version": "2026-07-28",
                "mcp-method": "tools/call",
                "mcp-name": "add",
            },
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {**arguments, "_meta": MODERN_META},
            },
        ),
    }
    for era, (headers, message) in eras.items():
        body = orjson.dumps(message)
        best = float("inf")
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(calls):
                answer = await post(app, headers, body)
                if b'"structuredContent":{"result":3}' not in answer[-1]["body"]:
                    raise SystemExit(f"wrong answer on {era}: {answer}")
            flush_request_log()
            best = min(best, (time.process_time() - started) / calls)
        label = "default log" if default_log else "quiet"
        print(f"{era}, {label}: {best * 1e6:.1f} µs CPU per tools/call (best of {rounds} x {calls})")
        if opcodes:
            ops, frames = await count_opcodes(app, headers, body)
            print(f"{era}, {label}: {ops:.0f} Python opcodes, {frames:.0f} frames entered per tools/call")


async def count_opcodes(
    app: Any, headers: dict[str, str], body: bytes, calls: int = 200
) -> tuple[float, float]:
    """Python bytecodes executed and frames entered (calls and coroutine resumptions) per
    request, this driver's own included: the same on any machine, however busy, so it
    shows a change too small for the CPU clock to resolve. Time in C (orjson, pydantic,
    the loop) is not in it, nor other threads' work (the request log's writer)."""
    counts = [0, 0]

    def trace(frame: Any, event: str, arg: Any) -> Any:
        if event == "call":
            counts[1] += 1
            frame.f_trace_opcodes = True
        elif event == "opcode":
            counts[0] += 1
        return trace

    sys.settrace(trace)
    try:
        for _ in range(calls):
            await post(app, headers, body)
    finally:
        sys.settrace(None)
    return counts[0] / calls, counts[1] / calls


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--log", action="store_true", help="with the default request log on (stderr)")
    parser.add_argument("--auth", action="store_true", help="behind JWTVerifier, one cached token")
    parser.add_argument("--middleware", action="store_true", help="one pass-through middleware")
    parser.add_argument("--sync-timeout", action="store_true", help="the sync tool with a timeout (a thread)")
    parser.add_argument("--async-tool", action="store_true", help="the tool as an `async def`")
    parser.add_argument("--opcodes", action="store_true", help="also count Python opcodes per call")
    args = parser.parse_args()
    asyncio.run(
        main(
            args.calls,
            args.rounds,
            args.auth,
            args.log,
            args.middleware,
            args.sync_timeout,
            args.opcodes,
            args.async_tool,
        )
    )
