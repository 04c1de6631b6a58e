"""A bare stdio MCP server, written against the wire, for what frameworks will not do.

Run:  python raw_server.py --silent              read requests, never answer
      python raw_server.py --record FILE [--logging]
            a legacy-era server (2025-11-25) with one tool, `hello` (other names get
            a -32602 error); it appends the
            method of every message it receives to FILE (one a line) and advertises
            `logging` only with --logging. `server/discover` gets -32601, as an older
            server answers it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def answer(message: dict[str, Any], logging: bool) -> dict[str, Any] | None:
    method, rid = message.get("method"), message.get("id")
    if rid is None:
        return None
    if method == "initialize":
        caps: dict[str, Any] = {"tools": {}}
        if logging:
            caps["logging"] = {}
        result: dict[str, Any] = {
            "protocolVersion": "2025-11-25",
            "capabilities": caps,
            "serverInfo": {"name": "raw", "version": "1.0.0"},
        }
    elif method == "tools/list":
        result = {"tools": [{"name": "hello", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call" and (message.get("params") or {}).get("name") == "hello":
        result = {"content": [{"type": "text", "text": "hello"}]}
    elif method == "tools/call":  # an unknown tool, refused as a protocol error (as the spec allows)
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "Unknown tool"}}
    elif method in ("logging/setLevel", "ping"):
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}}
    return {"jsonrpc": "2.0", "id": rid, "result": result}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--silent", action="store_true")
    parser.add_argument("--record", type=Path)
    parser.add_argument("--logging", action="store_true")
    args = parser.parse_args()
    for line in sys.stdin:
        if args.silent or not line.strip():
            continue
        message = json.loads(line)
        if args.record is not None:
            with args.record.open("a") as record:
                record.write(f"{message.get('method', 'response')}\n")
        reply = answer(message, args.logging)
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
