#!/usr/bin/env python3
"""Benchmark mcp_use beside the official MCP SDK (and fastmcp), side by side in one run.

    python bench/run.py            # full run: 5 s per load point, 3 rounds
    python bench/run.py --quick    # short run: 1 s per load point, 1 round, smaller counts

Installs each peer into its own virtual environment under bench/.venvs/ (once; a stamp
file skips the work next time), installs Debian's `wrk` if missing, then measures:

* Streamable HTTP tools/call ("add" two ints) at several concurrencies, legacy era (one
  session, opened by initialize + notifications/initialized) and modern era (2026-07-28,
  no session), with wrk + bench/add.lua, which checks the sum in every answer. The server
  runs on core 0 (taskset -c 0), wrk on core 1.
* stdio: cold start (spawn -> initialize answer, median of several) and N sequential
  tools/call round trips through a plain subprocess pipe (write a line, read a line).
* Server RSS before/after N idle legacy sessions (fresh server), per session.
* Import cost: `import` + build a server with one tool, timed inside a fresh interpreter.

Prints one markdown table (medians over rounds) and writes it to bench/results/latest.md;
raw numbers go to bench/results/latest.json, server stderr to bench/results/logs/.
Standard library only: no MCP client library on either side.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import tomllib
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENVS = BENCH / ".venvs"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
SERVERS = BENCH / "servers"
LUA = BENCH / "add.lua"

SDK_VERSION = "2.3.0"
FASTMCP_VERSION = "4.1.6"
LEGACY_VERSION = "2025-11-25"
MODERN_VERSION = "2026-07-28"
SERVER_CORE = "0"
LOADGEN_CORE = "1"

BUILD_SNIPPETS = {
    "ours": (
        "from mcp_use import MCPServer\n"
        "s = MCPServer('bench')\n"
        "@s.tool()\n"
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n"
    ),
    "sdk": (
        "from mcp.server import MCPServer\n"
        "s = MCPServer('bench')\n"
        "@s.tool()\n"
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n"
    ),
    "fastmcp": (
        "from fastmcp import FastMCP\n"
        "s = FastMCP('bench')\n"
        "@s.tool()\n"
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n"
    ),
}
SERVER_SCRIPTS = {
    "ours": "ours.py",
    "ours_auth": "ours_auth.py",
    "sdk": "sdk.py",
    "fastmcp": "fastmcp_server.py",
    "floor": "floor_stdio.py",
    "ceiling": "asgi_ceiling.py",
    "ceiling-joined": "asgi_ceiling.py",
    "ours-log": "ours.py",
    "ours-mw": "ours.py",
}
HTTP_ONLY = {"ours_auth"}  # measured on HTTP only: auth does not touch stdio, sessions or imports
# ours-log: the seed page's server, default request log; ours-mw: one pass-through middleware
# ceiling-joined: the bare app on the HTTP protocol `server.run()` serves with
SERVER_ARGS = {"ours-log": ["default-log"], "ours-mw": ["middleware"], "ceiling-joined": ["joined"]}
# A speed-minded user of any peer installs these; uvicorn picks them up by itself.
FAST_STACK = ["uvloop", "httptools"]
LABELS = {
    "ours": "mcp_use",
    "ours_auth": "mcp_use auth on",
    "sdk": f"SDK mcp=={SDK_VERSION}",
    "fastmcp": f"fastmcp=={FASTMCP_VERSION}",
}

from ceiling import ceiling_round, ceiling_table  # noqa: E402  (bench/ is the script's directory)
from clients import client_round, client_table  # noqa: E402


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, check=True, **kw)


# --------------------------------------------------------------------------------------
# Setup: virtual environments and wrk
# --------------------------------------------------------------------------------------


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def pip_install(python: Path, args: list[str], logfile: Path) -> bool:
    with logfile.open("a") as out:
        out.write(f"\n$ pip install {' '.join(args)}\n")
        out.flush()
        rc = subprocess.call(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return rc == 0


def fresh_venv(name: str) -> Path:
    path = VENVS / name
    if path.exists():
        shutil.rmtree(path)
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return venv_python(name)


def stamped(name: str, want: str) -> bool:
    stamp = VENVS / name / ".bench-stamp"
    return stamp.is_file() and stamp.read_text() == want and venv_python(name).exists()


def stamp(name: str, want: str) -> None:
    (VENVS / name / ".bench-stamp").write_text(want)


def setup_ours(force: bool) -> Path:
    """bench/.venvs/ours: our package from the work tree, plus py-spy for profiling."""
    pyproject = (REPO / "pyproject.toml").read_text()
    want = f"ours\n{sys.version}\n{pyproject}"
    if not force and stamped("ours", want):
        return venv_python("ours")
    log("creating bench/.venvs/ours (mcp_use from the work tree, py-spy)")
    python = fresh_venv("ours")
    logfile = VENVS / "ours-pip.log"
    logfile.write_text("")
    if not pip_install(python, ["-e", f"{REPO}[auth]", "py-spy"], logfile):
        # An editable install needs everything hatchling checks (e.g. README.md). Fall back
        # to the declared dependencies plus a .pth file that puts src/ on the path.
        log("pip install -e failed (see bench/.venvs/ours-pip.log): using deps + src/ on sys.path")
        meta = tomllib.loads(pyproject)["project"]
        deps = meta["dependencies"] + meta["optional-dependencies"]["auth"]
        if not pip_install(python, [*deps, "py-spy"], logfile):
            sys.exit(f"installing mcp_use's dependencies failed: see {logfile}")
        site = subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
        Path(site, "mcp_use_src.pth").write_text(str(REPO / "src") + "\n")
    check = subprocess.run([str(python), "-c", "import mcp_use"], capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit(f"mcp_use does not import in bench/.venvs/ours:\n{check.stderr}")
    stamp("ours", want)
    return python


def setup_sdk(force: bool) -> Path:
    want = f"sdk {SDK_VERSION} {' '.join(FAST_STACK)}\n{sys.version}"
    if not force and stamped("sdk", want):
        return venv_python("sdk")
    log(f"creating bench/.venvs/sdk (mcp=={SDK_VERSION})")
    python = fresh_venv("sdk")
    logfile = VENVS / "sdk-pip.log"
    logfile.write_text("")
    if not pip_install(python, [f"mcp=={SDK_VERSION}", *FAST_STACK], logfile):
        sys.exit(f"installing mcp=={SDK_VERSION} with {FAST_STACK} failed: see {logfile}")
    stamp("sdk", want)
    return python


def setup_fastmcp(force: bool) -> tuple[Path | None, str]:
    """fastmcp asks for a certifi newer than the registry may serve: install it and
    fastmcp-slim with --no-deps, then their (client + server) dependencies with any
    certifi. Returns (python, "") or (None, why it could not be installed)."""
    want = f"fastmcp {FASTMCP_VERSION} {' '.join(FAST_STACK)}\n{sys.version}"
    if not force and stamped("fastmcp", want):
        return venv_python("fastmcp"), ""
    log(f"creating bench/.venvs/fastmcp (fastmcp=={FASTMCP_VERSION}, --no-deps + explicit deps)")
    python = fresh_venv("fastmcp")
    logfile = VENVS / "fastmcp-pip.log"
    logfile.write_text("")
    pins = [f"fastmcp=={FASTMCP_VERSION}", f"fastmcp-slim=={FASTMCP_VERSION}"]
    if not pip_install(python, ["--no-deps", *pins], logfile):
        return None, "fastmcp did not install (see bench/.venvs/fastmcp-pip.log)"
    deps_code = (
        "import importlib.metadata as m, re\n"
        "out = set()\n"
        "for dist in ('fastmcp', 'fastmcp-slim'):\n"
        "    for r in m.requires(dist) or []:\n"
        "        spec, _, marker = r.partition(';')\n"
        "        marker = marker.strip()\n"
        "        if marker and not re.fullmatch(r\"extra == '(client|server)'\", marker):\n"
        "            continue\n"
        "        spec = spec.strip()\n"
        "        if spec.startswith('fastmcp'):\n"
        "            continue\n"
        "        out.add('certifi' if spec.startswith('certifi') else spec)\n"
        "print('\\n'.join(sorted(out)))\n"
    )
    deps = subprocess.check_output([str(python), "-c", deps_code], text=True).split()
    if not pip_install(python, [*deps, *FAST_STACK], logfile):
        return None, "fastmcp's dependencies did not install (see bench/.venvs/fastmcp-pip.log)"
    check = subprocess.run(
        [str(python), "-c", BUILD_SNIPPETS["fastmcp"]], capture_output=True, text=True, timeout=120
    )
    if check.returncode != 0:
        return None, "fastmcp does not import: " + (check.stderr.strip().splitlines() or ["?"])[-1]
    stamp("fastmcp", want)
    return python, ""


def setup_wrk() -> str | None:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    policy = subprocess.run(["apt-cache", "policy", "wrk"], capture_output=True, text=True).stdout
    if "Candidate: (none)" in policy or "Candidate:" not in policy:
        log("apt-get update (wrk has no install candidate yet)")
        subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, check=False)
    log("apt-get install -y wrk")
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
    return shutil.which("wrk")


# --------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    peer: str
    proc: subprocess.Popen[bytes]
    port: int
    logfile: Any
    token: str = ""  # the bearer token every request carries (auth-on peer)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logfile.close()


def start_http(peer: str, python: Path, tag: str) -> Server:
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    logfile = (LOGS / f"{peer}-{tag}.log").open("wb")
    token_file = LOGS / f"{peer}-{tag}.token"
    token_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            *(
                "taskset",
                "-c",
                SERVER_CORE,
                str(python),
                str(SERVERS / SERVER_SCRIPTS[peer]),
                "http",
                str(port),
            ),
            *SERVER_ARGS.get(peer, []),
        ],
        stdin=subprocess.DEVNULL,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "FASTMCP_SHOW_SERVER_BANNER": "false",
            "BENCH_TOKEN_FILE": str(token_file),
        },
    )
    server = Server(peer, proc, port, logfile)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f"{peer} server exited with {proc.returncode}: see {logfile.name}")
        try:
            if peer == "ours_auth" and not server.token:
                if not token_file.exists():
                    raise OSError("no token yet")
                server.token = token_file.read_text().strip()
            with Http(port, server.token) as h:
                h.open_session()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{peer} server did not answer on port {port} within 60 s")


class Http:
    """Raw HTTP/1.1 keep-alive connection to /mcp (http.client; no MCP client library)."""

    def __init__(self, port: int, token: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def post(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        hdrs = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **self.auth,
            **headers,
        }
        self.conn.request("POST", "/mcp", json.dumps(body).encode(), hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def open_session(self) -> str:
        status, headers, data = self.post(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "1"},
                },
            },
            {},
        )
        sid = headers.get("mcp-session-id")
        if status != 200 or not sid:
            raise RuntimeError(f"initialize failed: {status} {data[:200]!r}")
        status, _, data = self.post(
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"Mcp-Session-Id": sid, "MCP-Protocol-Version": LEGACY_VERSION},
        )
        if status not in (200, 202):
            raise RuntimeError(f"notifications/initialized failed: {status} {data[:200]!r}")
        return sid


def open_session(port: int) -> str:
    with Http(port) as h:
        return h.open_session()


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------


def wrk_load(
    wrk: str,
    port: int,
    era: str,
    session: str,
    conns: int,
    duration: float,
    server_pid: int,
    token: str = "",
) -> dict[str, Any]:
    cmd = [
        "taskset",
        "-c",
        LOADGEN_CORE,
        wrk,
        "-t1",
        f"-c{conns}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}/mcp",
        "--",
        era,
        session,
        token,
    ]
    cpu0 = proc_cpu_s(server_pid)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=duration + 60)
    cpu1 = proc_cpu_s(server_pid)
    match = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {out[-500:]} {err[-500:]}")
    r = json.loads(match.group(1))
    secs = r["duration_us"] / 1e6
    errors = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"]
    return {
        "rps": r["requests"] / secs,
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "requests": r["requests"],
        "checked": r["checked"],
        "bad": r["mismatches"] + errors,
        "server_cpu": (cpu1 - cpu0) / secs,
        # Requests per second of server CPU: steadier than req/s on a machine doing other work.
        "rps_per_cpu": r["requests"] / (cpu1 - cpu0) if cpu1 > cpu0 else None,
    }


def loadgen_cpu(wrk: str, server: Server, duration: float) -> float:
    """wrk's own CPU use (fraction of its core) at c=64, legacy: it must stay well under 1."""
    with Http(server.port, server.token) as h:
        sid = h.open_session()
    before = os.times()
    wrk_load(wrk, server.port, "legacy", sid, 64, duration, server.pid)
    after = os.times()
    used = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return used / max(1.0, round(duration))


def http_turns(
    wrk: str,
    pythons: dict[str, Path],
    tag: str,
    concurrencies: list[int],
    duration: float,
    warmup: float,
) -> dict[str, dict[str, Any]]:
    """{peer: {era/cN: result}} for every peer's HTTP server, measured in alternation.

    The servers run side by side (an idle one costs nothing) and, at each load point,
    are loaded in turn for one second each, `duration` turns, the order rotated every
    turn. On a shared machine whose speed swings over minutes (here the CPU time one
    request costs the same server moved between 40 and 80 µs), two peers measured in
    the same turn see the same machine: each ratio is a median of same-turn ratios
    (`paired`), and each result keeps its turns' req/s (`slices`)."""
    servers: dict[str, Server] = {}
    out: dict[str, dict[str, Any]] = {peer: {} for peer in pythons}
    try:
        for peer, python in pythons.items():
            servers[peer] = start_http(peer, python, f"{tag}-{peer}")
        for server in servers.values():
            with Http(server.port, server.token) as h:
                sid = h.open_session()
            wrk_load(wrk, server.port, "legacy", sid, 16, warmup, server.pid, server.token)  # warm-up
        peers = list(servers)
        for era in ("legacy", "modern"):
            for c in concurrencies:
                sids = {p: open_session_with(servers[p]) if era == "legacy" else "" for p in peers}
                slices: dict[str, list[dict[str, Any]]] = {p: [] for p in peers}
                for turn in range(max(1, round(duration))):
                    k = turn % len(peers)
                    for peer in peers[k:] + peers[:k]:
                        s = servers[peer]
                        slices[peer].append(wrk_load(wrk, s.port, era, sids[peer], c, 1.0, s.pid, s.token))
                for peer in peers:
                    r = out[peer][f"{era}/c{c}"] = merge_slices(slices[peer])
                    log(
                        f"  {peer:8s} {era:6s} c={c:<3d} {r['rps']:9.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                        f"p99 {r['p99_ms']:7.2f} ms  bad {r['bad']}  server cpu {r['server_cpu']:.2f}"
                    )
    finally:
        for server in servers.values():
            server.stop()
    return out


def open_session_with(server: Server) -> str:
    with Http(server.port, server.token) as h:
        return h.open_session()


def merge_slices(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One load point's turns as one result: totals over the turns, median latencies."""
    secs = [r["requests"] / r["rps"] for r in runs]
    cpu = sum(r["server_cpu"] * t for r, t in zip(runs, secs, strict=True))
    total = sum(r["requests"] for r in runs)
    return {
        "rps": total / sum(secs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "requests": total,
        "checked": sum(r["checked"] for r in runs),
        "bad": sum(r["bad"] for r in runs),
        "server_cpu": cpu / sum(secs),
        "rps_per_cpu": total / cpu if cpu else None,
        "slices": [r["rps"] for r in runs],
    }


def paired(results: dict[str, list[dict[str, Any]]], a: str, b: str, point: str) -> float | None:
    """Median over every round and turn of peer `a`'s req/s over `b`'s in the same turn."""
    ratios = []
    for ra, rb in zip(results.get(a, []), results.get(b, []), strict=False):
        sa = ra.get("http", {}).get(point, {}).get("slices") or []
        sb = rb.get("http", {}).get(point, {}).get("slices") or []
        ratios += [x / y for x, y in zip(sa, sb, strict=False) if y]
    return statistics.median(ratios) if ratios else None


def sessions_round(peer: str, python: Path, tag: str, count: int) -> dict[str, Any]:
    server = start_http(peer, python, tag)
    try:
        with Http(server.port, server.token) as h:
            for _ in range(20):  # warm: lazy imports, first-session allocations
                h.open_session()
            time.sleep(0.5)
            before = proc_rss_kib(server.pid)
            for _ in range(count):
                h.open_session()
        time.sleep(1.0)
        after = proc_rss_kib(server.pid)
    finally:
        server.stop()
    return {"rss_before_kib": before, "rss_after_kib": after, "per_session_kib": (after - before) / count}


class Stdio:
    """A server on stdio through plain pipes: one JSON line out, one JSON line in."""

    def __init__(self, peer: str, python: Path, tag: str) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.logfile = (LOGS / f"{peer}-{tag}.log").open("ab")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, str(python), str(SERVERS / SERVER_SCRIPTS[peer]), "stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.logfile,
            env={**os.environ, "FASTMCP_SHOW_SERVER_BANNER": "false"},
        )
        assert self.proc.stdin and self.proc.stdout
        self.w = self.proc.stdin
        self.r = self.proc.stdout

    def send(self, msg: dict[str, Any]) -> None:
        self.w.write(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
        self.w.flush()

    def answer(self, rid: int) -> dict[str, Any]:
        while True:
            line = self.r.readline()
            if not line:
                raise RuntimeError(f"stdio server closed its stdout (see {self.logfile.name})")
            msg = json.loads(line)
            if msg.get("id") == rid and ("result" in msg or "error" in msg):
                return msg

    def initialize(self) -> float:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "1"},
                },
            }
        )
        msg = self.answer(0)
        elapsed = time.perf_counter() - self.t0
        if "result" not in msg:
            raise RuntimeError(f"stdio initialize failed: {msg}")
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return elapsed

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.w.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logfile.close()


def call_msg(i: int, a: int, b: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": i,
        "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": a, "b": b}},
    }


def stdio_calls(peer: str, python: Path, tag: str, calls: int, driver_core: str) -> tuple[float, int]:
    """`calls` sequential round trips, the driver on `driver_core`; returns (seconds, bad answers)."""
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(driver_core)})
    s = Stdio(peer, python, tag)
    bad = 0
    try:
        s.initialize()
        for i in range(1, 51):  # warm-up
            s.send(call_msg(i, i, 1))
            s.answer(i)
        t0 = time.perf_counter()
        for i in range(1000, 1000 + calls):
            s.send(call_msg(i, i, 7))
            msg = s.answer(i)
            content = (msg.get("result") or {}).get("content") or [{}]
            if content[0].get("text") != str(i + 7):
                bad += 1
        elapsed = time.perf_counter() - t0
    finally:
        s.close()
        os.sched_setaffinity(0, saved)
    return elapsed, bad


def stdio_round(peer: str, python: Path, tag: str, calls: int, cold_starts: int) -> dict[str, Any]:
    colds = []
    for _ in range(cold_starts):
        s = Stdio(peer, python, tag)
        try:
            colds.append(s.initialize())
        finally:
            s.close()
    # Sequential ping-pong: with the client on the server's core every hop is a plain
    # context switch; across cores each hop also pays a cross-core wake-up, which on
    # this VM costs more than a small server's whole turn. Both are reported.
    same, bad1 = stdio_calls(peer, python, tag, calls, SERVER_CORE)
    cross, bad2 = stdio_calls(peer, python, tag, calls, LOADGEN_CORE)
    return {
        "cold_ms": statistics.median(colds) * 1000 if colds else None,
        "calls_per_s": calls / same,
        "us_per_call": same / calls * 1e6,
        "cross_calls_per_s": calls / cross,
        "cross_us_per_call": cross / calls * 1e6,
        "bad": bad1 + bad2,
    }


def import_round(peer: str, python: Path, runs: int) -> dict[str, Any]:
    code = (
        "import time\n_t0 = time.perf_counter()\n"
        + BUILD_SNIPPETS[peer]
        + "print(round((time.perf_counter() - _t0) * 1000, 3))\n"
    )
    cmd = ["taskset", "-c", SERVER_CORE, str(python), "-c", code]
    subprocess.run(cmd, capture_output=True, check=True, timeout=120)  # compile .pyc files first
    times = [float(subprocess.check_output(cmd, text=True, timeout=120).strip()) for _ in range(runs)]
    return {"import_ms": statistics.median(times)}


# --------------------------------------------------------------------------------------
# Profile (optional): py-spy on our HTTP server under load
# --------------------------------------------------------------------------------------


def spy_record(py_spy: Path, pid: int, seconds: int, raw: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *("taskset", "-c", LOADGEN_CORE, str(py_spy), "record", "--pid", str(pid)),
            *("--duration", str(seconds), "--rate", "250", "--nonblocking"),
            *("--format", "raw", "-o", str(raw)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def profile_ours(wrk: str, python: Path, duration: float, conns: int, era: str) -> str:
    """py-spy on our HTTP server under wrk load; returns a markdown summary."""
    py_spy = python.parent / "py-spy"
    if not py_spy.exists():
        return "py-spy is not installed in bench/.venvs/ours"
    server = start_http("ours", python, f"profile-{era}")
    raw = RESULTS / f"profile-ours-{era}.txt"
    try:
        sid = ""
        if era == "legacy":
            with Http(server.port, server.token) as h:
                sid = h.open_session()
        wrk_load(wrk, server.port, era, sid, conns, 1, server.pid)
        rec_time = max(2, round(duration))
        spy = spy_record(py_spy, server.pid, rec_time, raw)
        time.sleep(0.5)
        wrk_load(wrk, server.port, era, sid, conns, rec_time + 1, server.pid)
        _, err = spy.communicate(timeout=60)
        if spy.returncode != 0:
            return f"py-spy failed: {err.strip()[-300:]}"
    finally:
        server.stop()
    return summarize_stacks(raw)


def profile_ours_stdio(python: Path, duration: float) -> str:
    """py-spy on our stdio server during sequential round trips."""
    py_spy = python.parent / "py-spy"
    if not py_spy.exists():
        return "py-spy is not installed in bench/.venvs/ours"
    raw = RESULTS / "profile-ours-stdio.txt"
    s = Stdio("ours", python, "profile-stdio")
    try:
        s.initialize()
        rec_time = max(2, round(duration))
        spy = spy_record(py_spy, s.proc.pid, rec_time, raw)
        time.sleep(0.5)
        end = time.monotonic() + rec_time + 1
        i = 0
        while time.monotonic() < end:
            i += 1
            s.send(
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "tools/call",
                    "params": {"name": "add", "arguments": {"a": i, "b": 1}},
                }
            )
            s.answer(i)
        _, err = spy.communicate(timeout=60)
        if spy.returncode != 0:
            return f"py-spy failed: {err.strip()[-300:]}"
    finally:
        s.close()
    return summarize_stacks(raw)


def summarize_stacks(raw: Path) -> str:
    """Top functions by self time (leaf frame) and by inclusive time from collapsed stacks."""
    self_t: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = [f.strip() for f in stack.split(";")]
        # py-spy frames look like "func (path/to/file.py:123)": drop the line for grouping
        names = [re.sub(r":\d+\)$", ")", f) for f in frames]
        self_t[names[-1]] += count
        for name in set(names):
            incl[name] += count
    if not total:
        return "no samples"

    def short(name: str) -> str:
        return re.sub(r"\(.*?(site-packages/|/src/|lib/python3\.\d+/)", "(", name)

    groups: collections.Counter[str] = collections.Counter()
    for name, count in self_t.items():
        m = re.search(r"\((?:.*site-packages/)?(?:.*/src/)?([A-Za-z_]+)[/.]", name)
        pkg = m.group(1) if m else "?"
        if "lib/python3" in name and "site-packages" not in name:
            pkg = "stdlib:" + (re.search(r"lib/python3\.\d+/([A-Za-z_]+)", name) or [None, "?"])[1]
        if name.startswith("Runner.run "):
            pkg = "event loop (uvloop C code, syscalls)"
        groups[pkg] += count
    lines = [f"{total} samples (py-spy, without idle). Self time by package:", ""]
    lines += ["| self % | package |", "| ---: | --- |"]
    lines += [f"| {100 * c / total:.1f} | {n} |" for n, c in groups.most_common(8)]
    lines += ["", "Top 20 functions by self time:", "", "| self % | function |", "| ---: | --- |"]
    lines += [f"| {100 * c / total:.1f} | `{short(n)}` |" for n, c in self_t.most_common(20)]
    lines += [
        "",
        "Top 25 by inclusive time (a lower bound: coroutine stacks resumed by the event loop",
        "start at the coroutine):",
        "",
        "| incl % | function |",
        "| ---: | --- |",
    ]
    lines += [f"| {100 * c / total:.1f} | `{short(n)}` |" for n, c in incl.most_common(25)]
    return "\n".join(lines)


def wait_quiet(limit: float) -> None:
    """Other work on a 2-core machine skews everything: wait a while for it to settle."""
    deadline = time.monotonic() + limit
    warned = False
    while os.getloadavg()[0] > 1.0 and time.monotonic() < deadline:
        if not warned:
            log(
                f"1-min load average is {os.getloadavg()[0]:.2f}: waiting up to {limit:.0f} s for a quiet machine"
            )
            warned = True
        time.sleep(5)
    if os.getloadavg()[0] > 1.5:
        log(f"WARNING: load average {os.getloadavg()[0]:.2f}: other work is running, numbers will be noisy")


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    key: tuple[str, ...]
    fmt: str
    higher_is_better: bool
    values: dict[str, list[float]] = field(default_factory=dict)


def fmt_num(v: float | None, fmt: str) -> str:
    return "n/a" if v is None else format(v, fmt)


def build_table(
    results: dict[str, list[dict[str, Any]]], peers: list[str], notes: dict[str, str], args: Any
) -> str:
    def med(peer: str, *path: str) -> float | None:
        vals = []
        for rnd in results.get(peer, []):
            cur: Any = rnd
            for p in path:
                cur = cur.get(p) if isinstance(cur, dict) else None
            if cur is not None:
                vals.append(float(cur))
        return statistics.median(vals) if vals else None

    rows: list[tuple[str, tuple[str, ...], str, bool]] = []
    for era in ("legacy", "modern"):
        for c in args.concurrency:
            rows.append((f"HTTP {era} c={c}: req/s", ("http", f"{era}/c{c}", "rps"), ".0f", True))
            rows.append((f"HTTP {era} c={c}: p50 ms", ("http", f"{era}/c{c}", "p50_ms"), ".2f", False))
            rows.append((f"HTTP {era} c={c}: p99 ms", ("http", f"{era}/c{c}", "p99_ms"), ".2f", False))
            rows.append(
                (
                    f"HTTP {era} c={c}: req per server CPU-second",
                    ("http", f"{era}/c{c}", "rps_per_cpu"),
                    ".0f",
                    True,
                )
            )
    rows += [
        (
            f"stdio: {args.stdio_calls} sequential calls, calls/s (client on server's core)",
            ("stdio", "calls_per_s"),
            ".0f",
            True,
        ),
        ("stdio: µs per round trip (same core)", ("stdio", "us_per_call"), ".1f", False),
        ("stdio: calls/s, client on the other core", ("stdio", "cross_calls_per_s"), ".0f", True),
        ("stdio: µs per round trip (other core)", ("stdio", "cross_us_per_call"), ".1f", False),
        ("stdio: cold start to initialize answer, ms", ("stdio", "cold_ms"), ".1f", False),
        ("RSS before sessions, MiB", ("sessions", "rss_before_mib"), ".1f", False),
        (f"RSS after {args.sessions} idle legacy sessions, MiB", ("sessions", "rss_after_mib"), ".1f", False),
        ("memory per idle session, KiB", ("sessions", "per_session_kib"), ".2f", False),
        ("import + build server with one tool, ms", ("import", "import_ms"), ".1f", False),
    ]
    header = ["metric", *(LABELS[p] for p in peers)]
    has_sdk = "sdk" in peers and "ours" in peers
    if has_sdk:
        header.append("ours/SDK")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    for label, path, fmt, _ in rows:
        cells = [label]
        for p in peers:
            cells.append("n/a" if p in notes else fmt_num(med(p, *path), fmt))
        if has_sdk:
            a, b = med("ours", *path), med("sdk", *path)
            if path[0] == "http" and path[2] == "rps":
                a, b = paired(results, "ours", "sdk", path[1]), 1.0
            cells.append("n/a" if a is None or not b else f"{a / b:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    bad_cells = ["wrong or failed answers (all runs)"]
    for p in peers:
        if p in notes:
            bad_cells.append("n/a")
            continue
        bad = 0.0
        for rnd in results.get(p, []):
            bad += sum(v.get("bad", 0) for v in rnd.get("http", {}).values())
            bad += rnd.get("stdio", {}).get("bad", 0)
        bad_cells.append(str(int(bad)))
    if has_sdk:
        bad_cells.append("")
    lines.append("| " + " | ".join(bad_cells) + " |")
    return "\n".join(lines)


def budgets(
    results: dict[str, list[dict[str, Any]]], args: Any, extra: list[tuple[str, bool | None, str]]
) -> str:
    def med(peer: str, *path: str) -> float | None:
        vals = []
        for rnd in results.get(peer, []):
            cur: Any = rnd
            for p in path:
                cur = cur.get(p) if isinstance(cur, dict) else None
            if cur is not None:
                vals.append(float(cur))
        return statistics.median(vals) if vals else None

    out = []

    def check(name: str, ok: bool | None, detail: str) -> None:
        mark = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        out.append(f"- {mark}: {name} ({detail})")

    for era in ("legacy", "modern"):
        r = paired(results, "ours", "sdk", f"{era}/c16")
        check(f"HTTP {era} c=16 ≥ 10x SDK req/s", None if r is None else r >= 10, f"{r:.2f}x" if r else "n/a")
    for era in ("legacy", "modern"):
        r = paired(results, "ours_auth", "ours", f"{era}/c16")
        a, b = (
            med("ours_auth", "http", f"{era}/c16", "rps_per_cpu"),
            med("ours", "http", f"{era}/c16", "rps_per_cpu"),
        )
        per_cpu = f", per server CPU-second {a / b:.2f}x" if a and b else ""
        check(
            f"HTTP {era} c=16 auth on (JWT, cached) ≥ 0.9x auth off",
            None if r is None else r >= 0.9,
            (f"{r:.2f}x" if r else "n/a") + per_cpu,
        )
    a, b = med("ours", "stdio", "calls_per_s"), med("sdk", "stdio", "calls_per_s")
    r = a / b if a and b else None
    check("stdio round trips ≥ 5x SDK", None if r is None else r >= 5, f"{r:.2f}x" if r else "n/a")
    v = med("ours", "import", "import_ms")
    check("import mcp_use + build < 150 ms", None if v is None else v < 150, f"{v:.1f} ms" if v else "n/a")
    v = med("ours", "sessions", "per_session_kib")
    check(
        "idle legacy session < 4 KiB",
        None if v is None else v < 4,
        f"{v:.2f} KiB" if v is not None else "n/a",
    )
    for name, ok, detail in extra:
        check(name, ok, detail)
    return "\n".join(out)


# --------------------------------------------------------------------------------------


def main() -> int:
    # Every peer runs from compiled `.pyc` files, as an installed package does (pip writes
    # them at install, an editable install on first import). With PYTHONDONTWRITEBYTECODE
    # set (some sandboxes set it), the peers pip installed still have theirs but our work
    # tree never gets any: the import and cold-start rows then time compiling our source.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick", action="store_true", help="short run: 1 s per load point, 1 round, fewer calls"
    )
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per HTTP load point (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; the table shows medians (default 3)")
    ap.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 16, 64])
    ap.add_argument(
        "--peers", default="ours,ours_auth,sdk,fastmcp", help="comma list of ours,ours_auth,sdk,fastmcp"
    )
    ap.add_argument("--stdio-calls", type=int, default=2000)
    ap.add_argument("--cold-starts", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--import-runs", type=int, default=7)
    ap.add_argument("--client-calls", type=int, default=3000, help="calls per client run (default 3000)")
    ap.add_argument(
        "--only",
        default="http,stdio,sessions,import,ceiling,client",
        help="which measurements to run (ceiling: bare ASGI and default-log rows; client: MCPClient vs mcp.Client)",
    )
    ap.add_argument("--profile", action="store_true", help="also py-spy our server: HTTP at c=16, and stdio")
    ap.add_argument("--profile-era", default="legacy", choices=["legacy", "modern"])
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=120,
        help="wait up to this many seconds for the 1-min load average to drop below 1 (default 120)",
    )
    ap.add_argument("--reinstall", action="store_true", help="recreate the virtual environments")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.rounds = 1.0, 1
        args.stdio_calls, args.cold_starts, args.import_runs, args.client_calls = 500, 3, 3, 1000
    only = set(args.only.split(","))
    peers = [p for p in args.peers.split(",") if p]

    if (os.cpu_count() or 1) < 2:
        log("WARNING: fewer than 2 cores: server and load generator will share a core")
    VENVS.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)

    pythons: dict[str, Path] = {}
    notes: dict[str, str] = {}
    if "ours" in peers:
        pythons["ours"] = setup_ours(args.reinstall)
    if "ours_auth" in peers:  # the same venv, the same server with a JWT verifier in front
        pythons["ours_auth"] = pythons.get("ours") or setup_ours(args.reinstall)
    if "sdk" in peers:
        pythons["sdk"] = setup_sdk(args.reinstall)
    if "fastmcp" in peers:
        py, why = setup_fastmcp(args.reinstall)
        if py is None:
            notes["fastmcp"] = why
            log(f"fastmcp: {why}")
        else:
            pythons["fastmcp"] = py
    wrk = None
    if only & {"http", "ceiling"} or args.profile:
        wrk = setup_wrk()
        if not wrk:
            sys.exit("wrk is not available and could not be installed (apt-get install wrk)")

    # The driver (stdio client, session opener) runs on the load generator's core.
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {int(LOADGEN_CORE)})

    wait_quiet(args.wait_quiet)
    load_before = os.getloadavg()[0]
    results: dict[str, list[dict[str, Any]]] = {p: [] for p in pythons}
    floors: list[tuple[float, float]] = []
    ceilings: list[dict[str, Any]] = []
    client_runs: list[dict[str, Any]] = []
    started = time.monotonic()
    warmup = 1.0
    for rnd in range(1, args.rounds + 1):
        order = list(pythons) if rnd % 2 else list(reversed(pythons))
        http: dict[str, dict[str, Any]] = {}
        if "http" in only:
            assert wrk
            log(f"round {rnd}/{args.rounds}: HTTP, {', '.join(order)} in turn")
            http = http_turns(
                wrk, {p: pythons[p] for p in order}, f"http-r{rnd}", args.concurrency, args.duration, warmup
            )
        for peer in order:
            py = pythons[peer]
            res: dict[str, Any] = {}
            log(f"round {rnd}/{args.rounds}: {peer}")
            if peer in http:
                res["http"] = http[peer]
            if "stdio" in only and peer not in HTTP_ONLY:
                res["stdio"] = stdio_round(peer, py, f"stdio-r{rnd}", args.stdio_calls, args.cold_starts)
                log(
                    f"  {peer:8s} stdio {res['stdio']['calls_per_s']:8.0f} calls/s  "
                    f"cold {res['stdio']['cold_ms']:.1f} ms"
                )
            if "sessions" in only and peer not in HTTP_ONLY:
                s = sessions_round(peer, py, f"sessions-r{rnd}", args.sessions)
                s["rss_before_mib"] = s["rss_before_kib"] / 1024
                s["rss_after_mib"] = s["rss_after_kib"] / 1024
                res["sessions"] = s
                log(f"  {peer:8s} sessions {s['per_session_kib']:.2f} KiB/session")
            if "import" in only and peer not in HTTP_ONLY:
                res["import"] = import_round(peer, py, args.import_runs)
                log(f"  {peer:8s} import+build {res['import']['import_ms']:.1f} ms")
            results[peer].append(res)
        if "stdio" in only:
            floor = stdio_round("floor", Path(sys.executable), f"stdio-r{rnd}", args.stdio_calls, 0)
            floors.append((floor["calls_per_s"], floor["cross_calls_per_s"]))
        if "ceiling" in only and "ours" in pythons:
            assert wrk
            log(f"round {rnd}/{args.rounds}: the stack's ceiling beside ours (quiet, default log)")
            ceilings.append(
                ceiling_round(
                    start_http,
                    open_session,
                    wrk_load,
                    wrk,
                    pythons["ours"],
                    f"ceiling-r{rnd}",
                    args.duration,
                    log,
                )
            )
        if "client" in only and {"ours", "sdk"} <= set(pythons):
            log(f"round {rnd}/{args.rounds}: clients (MCPClient vs mcp.Client) against our server")
            client_runs.append(
                client_round(
                    pythons,
                    start_http,
                    SERVERS / "ours.py",
                    f"client-r{rnd}",
                    args.client_calls,
                    LOADGEN_CORE,
                    log,
                )
            )

    wrk_cpu = None
    if "http" in only and "ours" in pythons and wrk:
        server = start_http("ours", pythons["ours"], "loadgen-check")
        try:
            wrk_cpu = loadgen_cpu(wrk, server, max(2.0, args.duration))
        finally:
            server.stop()

    table = build_table(results, [p for p in peers if p in pythons or p in notes], notes, args)
    extra_checks: list[tuple[str, bool | None, str]] = []
    sections: list[str] = []
    if ceilings:
        text, checks = ceiling_table(ceilings)
        sections += [
            "Server beside the stack's ceiling (same uvicorn/uvloop/httptools, same JSON):",
            "",
            text,
            "",
        ]
        extra_checks += checks
    if client_runs:
        text, checks = client_table(client_runs)
        sections += [
            f"Clients against our bench server ({args.client_calls} calls per run, client on core "
            f"{LOADGEN_CORE}, server on core {SERVER_CORE}; stdio: the client's child, same core):",
            "",
            text,
            "",
        ]
        extra_checks += checks
    env_lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"{args.rounds} round(s), medians shown; HTTP {args.duration:g} s per point "
        f"(server on core {SERVER_CORE}, wrk -t1 on core {LOADGEN_CORE}); "
        f"{time.monotonic() - started:.0f} s total. "
        f"1-min load average {load_before:.2f} at start, {os.getloadavg()[0]:.2f} at end"
        + (" (the machine was busy: numbers are noisy)" if max(load_before, os.getloadavg()[0]) > 1.5 else "")
        + ".",
    ]
    if wrk_cpu is not None:
        env_lines.append(
            f"Load generator check: wrk used {100 * wrk_cpu:.0f}% of its core while driving mcp_use at c=64 "
            "(well under 100%: the server, not wrk, is the bottleneck)."
        )
    if floors:
        env_lines.append(
            f"stdio floor: the same driver against a minimal blocking stdlib echo server "
            "(bench/servers/floor_stdio.py) does "
            f"{statistics.median(f[0] for f in floors):.0f} calls/s on the same core and "
            f"{statistics.median(f[1] for f in floors):.0f} across cores: the pipes' and the driver's own cost."
        )
    for p, why in notes.items():
        env_lines.append(f"{LABELS[p]}: n/a: {why}")
    report = "\n".join(
        [
            "\n".join(env_lines),
            "",
            table,
            "",
            "Ratio column: ours / SDK (above 1 is better for req/s and calls/s, below 1 for times and memory); "
            "for HTTP req/s, the median of the ratios of the two servers loaded in the same turn.",
            "",
            *sections,
            "Budgets (DESIGN.md, checked here):",
            "",
            budgets(results, args, extra_checks),
            "",
        ]
    )
    if args.profile:
        assert wrk
        log(f"profiling our server under load (py-spy, {args.profile_era}, c=16)")
        prof = profile_ours(wrk, pythons["ours"], max(5.0, args.duration), 16, args.profile_era)
        (RESULTS / f"profile-ours-{args.profile_era}.md").write_text(prof + "\n")
        report += f"\nProfile of mcp_use under load ({args.profile_era} era, c=16, py-spy):\n\n{prof}\n"
        log("profiling our stdio server (py-spy, sequential round trips)")
        prof = profile_ours_stdio(pythons["ours"], max(5.0, args.duration))
        (RESULTS / "profile-ours-stdio.md").write_text(prof + "\n")
        report += f"\nProfile of mcp_use on stdio (sequential tools/call, py-spy):\n\n{prof}\n"
    print(report)
    (RESULTS / "latest.md").write_text(report)
    raw = {"args": vars(args), "results": results, "ceiling": ceilings, "clients": client_runs}
    (RESULTS / "latest.json").write_text(json.dumps(raw, indent=1))
    log(f"wrote {RESULTS / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
