"""Rows of the benchmark that put our server beside the stack's ceiling.

Four servers, measured back to back at c=16 on both eras with the same wrk script:
the bare ASGI app (`servers/asgi_ceiling.py`, same uvicorn/uvloop/httptools, the same
JSON answer), ours quiet (log level warning, no middleware), ours as the seed page
writes it (default request log on), and ours quiet with one pass-through MCP-level
middleware. Ours / ceiling is the share of the stack's throughput our request path
keeps; DESIGN.md asks for 0.8 quiet and 0.6 with the default log. Middleware / quiet is
what one pass-through middleware costs.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

PEERS = ("ceiling", "ours", "ours-log", "ours-mw")
LABELS = {
    "ceiling": "bare ASGI ceiling",
    "ours": "mcp_use quiet",
    "ours-log": "mcp_use default log",
    "ours-mw": "mcp_use + 1 middleware",
}


def ceiling_round(
    start_http: Callable[[str, Path, str], Any],
    open_session: Callable[[int], str],
    wrk_load: Callable[..., dict[str, Any]],
    wrk: str,
    python: Path,
    tag: str,
    duration: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """{peer: {era: wrk result}} for the four servers, c=16, both eras."""
    out: dict[str, Any] = {}
    for peer in PEERS:
        server = start_http(peer, python, f"{tag}-{peer}")
        try:
            wrk_load(wrk, server.port, "modern", "", 16, 1.0, server.pid)  # warm-up, discarded
            out[peer] = {}
            for era in ("legacy", "modern"):
                sid = open_session(server.port) if era == "legacy" else ""
                r = wrk_load(wrk, server.port, era, sid, 16, duration, server.pid)
                out[peer][era] = r
                log(f"  {LABELS[peer]:20s} {era:6s} c=16 {r['rps']:9.0f} req/s  bad {r['bad']}")
        finally:
            server.stop()
    return out


def _median(rounds: list[dict[str, Any]], peer: str, era: str) -> float | None:
    vals = [r[peer][era]["rps"] for r in rounds if peer in r and era in r[peer]]
    return statistics.median(vals) if vals else None


def ceiling_table(rounds: list[dict[str, Any]]) -> tuple[str, list[tuple[str, bool | None, str]]]:
    """The markdown table and the budget checks (name, ok, detail)."""
    lines = [
        "| HTTP tools/call, c=16 | "
        + " | ".join(LABELS[p] for p in PEERS)
        + " | quiet / ceiling | default log / ceiling | middleware / quiet |",
        "|---|" + "---:|" * (len(PEERS) + 3),
    ]
    checks: list[tuple[str, bool | None, str]] = []
    for era in ("legacy", "modern"):
        vals = {p: _median(rounds, p, era) for p in PEERS}
        top = vals["ceiling"]
        quiet = vals["ours"] / top if top and vals["ours"] else None
        logged = vals["ours-log"] / top if top and vals["ours-log"] else None
        cells = [f"{era} era: req/s", *(f"{v:.0f}" if v else "n/a" for v in vals.values())]
        mw = vals["ours-mw"] / vals["ours"] if vals["ours"] and vals["ours-mw"] else None
        cells += [f"{quiet:.2f}" if quiet else "n/a", f"{logged:.2f}" if logged else "n/a"]
        cells.append(f"{mw:.2f}" if mw else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
        bad = sum(r[p][era]["bad"] for r in rounds for p in PEERS if p in r and era in r[p])
        if bad:
            lines.append(f"| {era} era: wrong or failed answers | {bad} |")
        if era == "modern":
            checks.append(
                (
                    "server modern c=16 quiet ≥ 0.8 of ceiling",
                    None if quiet is None else quiet >= 0.8,
                    f"{quiet:.2f}" if quiet else "n/a",
                )
            )
            checks.append(
                (
                    "server modern c=16 default log ≥ 0.6 of ceiling",
                    None if logged is None else logged >= 0.6,
                    f"{logged:.2f}" if logged else "n/a",
                )
            )
    return "\n".join(lines), checks
