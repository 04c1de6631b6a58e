#!/usr/bin/env python3
"""CPU instructions per in-process `tools/call`, counted by valgrind: the same on any machine.

    python bench/instructions.py [--eras modern,legacy] [--log] [--auth] [--async-tool] [--ceiling]

    python bench/instructions.py --served [--eras modern,legacy] [--log | --auth]

Each figure is the difference of two runs under `valgrind --tool=callgrind` (1,200 and
200 calls after 50 warm-up calls, `PYTHONHASHSEED=0`) divided by 1,000: start-up and
warm-up cancel out, every thread's work is counted (the request log's writer too). The
driver hands the app one prepared scope and body per call (`bench/inprocess.py`'s app
and requests, without its per-call bookkeeping), so what is counted is the app's work
and the few instructions of an ASGI `receive`/`send` pair. `--async-tool` makes the
tool an `async def` (answered without awaiting anything). `--ceiling` counts the bare
ASGI app of `servers/asgi_ceiling.py` in the same driver. Run with the tree's Python
(`PYTHONPATH=src`); needs Debian's `valgrind`.

`--served` counts whole served requests instead: the bare ASGI ceiling
(`servers/asgi_ceiling.py`, on uvicorn's httptools protocol and, as "joined", on the one
`server.run()` serves with) and our bench server (`servers/ours.py`, quiet, with `--log`
the default request log, with `--auth` `servers/ours_auth.py` behind `JWTVerifier`, every
request carrying the one token) each run on uvicorn under callgrind and are loaded by
wrk (`add.lua`, 16 connections, every answer checked) for 4 s and for 12 s; the
difference of the two counts over the difference of the answered requests is what one
request costs the whole server process, uvicorn and the event loop included. Ceiling /
ours is then the share of the stack's throughput our server keeps, exactly, as far as
instructions tell it (the req/s share also moves with how fast each instruction runs).
Needs `wrk` too; about a minute per server and era.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SHORT, LONG, WARM = 200, 1200, 50


async def drive(era: str, calls: int, log: bool, auth: bool, ceiling: bool, async_tool: bool) -> None:
    sys.path.insert(0, str(BENCH))
    import inprocess
    import orjson

    app, base = inprocess.build(auth, log, async_tool=async_tool)
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


SERVED_SECONDS = (4, 12)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _open_session(port: int, token: str = "") -> str:
    """A legacy session (initialize, then notifications/initialized), as wrk's calls need."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token:
        base["Authorization"] = f"Bearer {token}"
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "b", "version": "1"}}
    conn.request(
        "POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}), base
    )
    answer = conn.getresponse()
    answer.read()
    session = answer.getheader("mcp-session-id") or ""
    note = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    conn.request(
        "POST", "/mcp", note, {**base, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
    )
    conn.getresponse().read()
    conn.close()
    if not session:
        raise SystemExit(f"initialize gave no session (HTTP {answer.status})")
    return session


def served_run(script: Path, extra: list[str], era: str, seconds: int) -> tuple[int, int]:
    """(instructions, answered requests) of one server process under callgrind, loaded by
    wrk for `seconds` after start-up (and, on the legacy era, opening one session)."""
    port = _free_port()
    summary = Path(tempfile.mkdtemp()) / "valgrind.txt"  # the server's own stderr (its log) is dropped
    token_file = summary.parent / "token"  # where ours_auth.py leaves the token it minted
    env = {**os.environ, "PYTHONHASHSEED": "0", "BENCH_TOKEN_FILE": str(token_file)}
    if script.name == "ours_auth.py":  # one key for both runs: making one costs a varying count
        env["BENCH_KEY_FILE"] = str(_auth_key())
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", f"--log-file={summary}"]
    proc = subprocess.Popen(
        [*command, sys.executable, str(script), "http", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:  # a connect only: no request the count would hold a varying number of
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{script.name} did not start under valgrind") from None
                time.sleep(0.5)
        token = ""
        if script.name == "ours_auth.py":
            while not token_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{script.name} wrote no token") from None
                time.sleep(0.2)
            token = token_file.read_text().strip()
        session = _open_session(port, token) if era == "legacy" else ""
        wrk = shutil.which("wrk") or "wrk"
        load = subprocess.run(
            [wrk, "-t1", "-c16", f"-d{seconds}s", "--timeout", "30s", "-s", str(BENCH / "add.lua"),
             f"http://127.0.0.1:{port}/mcp", "--", era, session, token],
            capture_output=True, text=True, timeout=seconds + 120,
        )  # fmt: skip
        found = re.search(r"^BENCH (\{.*\})$", load.stdout, re.M)
        if found is None:
            raise SystemExit(f"wrk failed: {load.stdout[-500:]} {load.stderr[-500:]}")
        report = json.loads(found.group(1))
        if report["mismatches"] or report["err_status"] or report["err_timeout"]:
            raise SystemExit(f"wrong or failed answers from {script.name}: {report}")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=300)
    err = summary.read_text()
    shutil.rmtree(summary.parent)
    total = re.search(r"Collected : (\d+)", err)
    if total is None:
        raise SystemExit(f"valgrind run of {script.name} failed:\n{err[-2000:]}")
    return int(total.group(1)), int(report["checked"])


_key_dir: str | None = None


def _auth_key() -> Path:
    """A PEM RSA key for `servers/ours_auth.py`, made once per run of this script."""
    global _key_dir
    if _key_dir is None:
        _key_dir = tempfile.mkdtemp()
        atexit.register(shutil.rmtree, _key_dir, True)
    path = Path(_key_dir) / "key.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
    return path


def served(script: Path, extra: list[str], era: str) -> float:
    """Instructions per served request: the difference of a short and a long load."""
    (short, n_short), (long, n_long) = (served_run(script, extra, era, s) for s in SERVED_SECONDS)
    return (long - short) / (n_long - n_short)


def main_served(eras: list[str], log: bool, auth: bool) -> None:
    servers = BENCH / "servers"
    for era in eras:
        ceiling = served(servers / "asgi_ceiling.py", [], era)
        joined = served(servers / "asgi_ceiling.py", ["joined"], era)
        if auth:
            ours, label = served(servers / "ours_auth.py", [], era), "mcp_use auth"
        else:
            ours = served(servers / "ours.py", ["default-log"] if log else [], era)
            label = "mcp_use default log" if log else "mcp_use quiet"
        print(
            f"{era}, served by uvicorn: ceiling {ceiling / 1000:.1f}k (joined {joined / 1000:.1f}k), "
            f"{label} {ours / 1000:.1f}k instructions per request: share {ceiling / ours:.3f} "
            f"(of the joined ceiling {joined / ours:.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eras", default="modern,legacy")
    parser.add_argument("--log", action="store_true", help="the default request log on")
    parser.add_argument("--auth", action="store_true", help="behind JWTVerifier, one cached token")
    parser.add_argument("--async-tool", action="store_true", help="the tool as an `async def`")
    parser.add_argument("--ceiling", action="store_true", help="the bare ASGI ceiling app instead")
    parser.add_argument("--served", action="store_true", help="whole served requests, beside the ceiling")
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--era", default="modern", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.drive is not None:
        asyncio.run(
            drive(options.era, options.drive, options.log, options.auth, options.ceiling, options.async_tool)
        )
        return
    if options.served:
        main_served(options.eras.split(","), options.log, options.auth)
        return
    flags = [f for f in ("log", "auth", "async_tool", "ceiling") if getattr(options, f)]
    for era in options.eras.split(","):
        args = ["--era", era, *(f"--{f.replace('_', '-')}" for f in flags)]
        per_call = (counted(args, LONG) - counted(args, SHORT)) / (LONG - SHORT)
        label = " ".join(["ceiling" if options.ceiling else "mcp_use", *[f for f in flags if f != "ceiling"]])
        print(f"{era}, {label}: {per_call / 1000:.1f}k instructions per tools/call")


if __name__ == "__main__":
    main()
