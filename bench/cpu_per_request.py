#!/usr/bin/env python3
"""Server-process CPU per served request: ours beside the bare ASGI ceiling.

    PYTHONPATH=src python bench/cpu_per_request.py [--duration S] [--rounds R]
        [--peers ceiling,ours,ours-log,ours-mw] [--eras legacy,modern] [--python PATH]

Why: wrk's requests/s swing by 3x on a machine shared with other work, but the CPU
time a server process spends per request barely moves. Each server runs pinned to
core 0 (as in `run.py`), wrk (`add.lua`, every sum checked) on core 1 at c=16; the
server's utime+stime from `/proc/PID/stat` before and after the load, divided by the
requests wrk counted, is its CPU per request (every thread of the process: the request
log's writer counts). On a quiet machine a CPU-bound server's throughput is the inverse
of that figure, so `ceiling µs / ours µs` predicts the quiet share of the ceiling that
`run.py --only ceiling` measures in req/s (DESIGN.md: 0.8 quiet, 0.6 default log).
Best (lowest) of R rounds per peer and era: interference only ever adds CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from run import open_session, proc_cpu_s, start_http, wrk_load

LABELS = {
    "ceiling": "bare ASGI ceiling",
    "ours": "mcp_use quiet",
    "ours-log": "mcp_use default log",
    "ours-mw": "mcp_use + 1 middleware",
}


def measure(peer: str, python: Path, era: str, duration: float, tag: str) -> dict[str, Any]:
    """One server, one era: µs of server CPU per request, and wrk's req/s for reference."""
    server = start_http(peer, python, tag)
    try:
        sid = open_session(server.port) if era == "legacy" else ""
        wrk_load("wrk", server.port, era, sid, 16, 1.0, server.pid)  # warm-up, discarded
        cpu0 = proc_cpu_s(server.pid)
        r = wrk_load("wrk", server.port, era, sid, 16, duration, server.pid)
        cpu1 = proc_cpu_s(server.pid)
    finally:
        server.stop()
    if r["bad"] or not r["requests"]:
        raise SystemExit(f"{peer} {era}: {r['bad']} wrong or failed answers of {r['requests']}")
    return {"us": (cpu1 - cpu0) / r["requests"] * 1e6, "rps": r["rps"], "requests": r["requests"]}


def table(best: dict[str, dict[str, dict[str, Any]]], eras: list[str]) -> str:
    lines = [
        "| server (c=16) | " + " | ".join(f"{e}: CPU µs/req | {e}: ceiling/ours" for e in eras) + " |",
        "|---|" + "---:|---:|" * len(eras),
    ]
    for peer, by_era in best.items():
        cells = [LABELS[peer]]
        for era in eras:
            us = by_era[era]["us"]
            top = best.get("ceiling", {}).get(era, {}).get("us")
            cells += [f"{us:.1f}", f"{top / us:.2f}" if top else "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as in run.py: servers start from .pyc files
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per point")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peers", default="ceiling,ours,ours-log")
    parser.add_argument("--eras", default="legacy,modern")
    parser.add_argument("--python", type=Path, default=Path(sys.executable))
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    eras = [e for e in args.eras.split(",") if e]
    unknown = set(peers) - set(LABELS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    best: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in peers}
    for rnd in range(args.rounds):
        for peer in peers if rnd % 2 == 0 else reversed(peers):
            for era in eras:
                r = measure(peer, args.python, era, args.duration, f"cpu-r{rnd}")
                print(
                    f"[cpu] {LABELS[peer]:24s} {era:6s} {r['us']:6.1f} µs/req  {r['rps']:8.0f} req/s",
                    file=sys.stderr,
                )
                if era not in best[peer] or r["us"] < best[peer][era]["us"]:
                    best[peer][era] = r
    print(table(best, eras))
    return 0


if __name__ == "__main__":
    sys.exit(main())
