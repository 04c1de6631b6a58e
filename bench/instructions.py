#!/usr/bin/env python3
"""CPU instructions per in-process `tools/call`, counted by valgrind: the same on any machine.

    python bench/instructions.py [--eras modern,legacy] [--log] [--auth] [--ceiling]

Each figure is the difference of two runs under `valgrind --tool=callgrind` (1,200 and
200 calls after 50 warm-up calls, `PYTHONHASHSEED=0`) divided by 1,000: start-up and
warm-up cancel out, every thread's work is counted (the request log's writer too). The
driver hands the app one prepared scope and body per call (`bench/inprocess.py`'s app
and requests, without its per-call bookkeeping), so what is counted is the app's work
and the few instructions of an ASGI `receive`/`send` pair. `--ceiling` counts the bare
ASGI app of `servers/asgi_ceiling.py` in the same driver. Run with the tree's Python
(`PYTHONPATH=src`); needs Debian's `valgrind`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SHORT, LONG, WARM = 200, 1200, 50


async def drive(era: str, calls: int, log: bool, auth: bool, ceiling: bool) -> None:
    sys.path.insert(0, str(BENCH))
    import inprocess
    import orjson

    app, base = inprocess.build(auth, log)
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "b", "version": "1"}}
    opened = await inprocess.post(
        app, base, orjson.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init})
    )
    session = dict(opened[0]["headers"])[b"mcp-session-id"].decode()
    params: dict[str, Any] = {"name": "add", "arguments": {"a": 1, "b": 2}}
    if era == "legacy":
        headers = {**base, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
    else:
        headers = {
            **base,
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/call",
            "mcp-name": "add",
        }
        params["_meta"] = inprocess.MODERN_META
    if ceiling:
        sys.path.insert(0, str(BENCH / "servers"))
        import asgi_ceiling

        app = asgi_ceiling.app
    body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http", "method": "POST", "path": "/mcp", "root_path": "", "query_string": b"",
        "headers": raw, "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
    }  # fmt: skip
    message = {"type": "http.request", "body": body, "more_body": False}
    answers: list[Any] = []

    async def receive() -> dict[str, Any]:
        return message

    async def send(sent: dict[str, Any]) -> None:
        answers.append(sent)

    for _ in range(WARM + calls):
        await app(dict(scope), receive, send)
    if b'"structuredContent":{"result":3}' not in answers[-1]["body"]:
        raise SystemExit(f"wrong answer on {era}: {answers[-1]}")
    if log:
        from mcp_use.server import request_log

        request_log.flush()


def counted(args: list[str], calls: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    run = subprocess.run(
        [*command, sys.executable, __file__, "--drive", str(calls), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed ({run.returncode}):\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eras", default="modern,legacy")
    parser.add_argument("--log", action="store_true", help="the default request log on")
    parser.add_argument("--auth", action="store_true", help="behind JWTVerifier, one cached token")
    parser.add_argument("--ceiling", action="store_true", help="the bare ASGI ceiling app instead")
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--era", default="modern", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.drive is not None:
        asyncio.run(drive(options.era, options.drive, options.log, options.auth, options.ceiling))
        return
    flags = [f for f in ("log", "auth", "ceiling") if getattr(options, f)]
    for era in options.eras.split(","):
        args = ["--era", era, *(f"--{f}" for f in flags)]
        per_call = (counted(args, LONG) - counted(args, SHORT)) / (LONG - SHORT)
        label = " ".join(["ceiling" if options.ceiling else "mcp_use", *[f for f in flags if f != "ceiling"]])
        print(f"{era}, {label}: {per_call / 1000:.1f}k instructions per tools/call")


if __name__ == "__main__":
    main()
