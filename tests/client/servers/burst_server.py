"""A bare stdio server (legacy era) that writes its output in awkward shapes.

Tools: `flood` (N progress notifications, then the answer, all in one write),
`split` (the answer written in two pieces, 50 ms apart), `batch` (a JSON array holding a
log notification and the answer), `vanish` (N progress notifications, then exit without
an answer). Each answer's text is the tool's name.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def out(data: bytes) -> None:
    os.write(1, data)


def line(message: Any) -> bytes:
    return json.dumps(message).encode() + b"\n"


def result(rid: Any, value: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "result": value}


def progress(token: Any, n: int) -> bytes:
    params = {"progressToken": token, "progress": n, "total": None}
    return line({"jsonrpc": "2.0", "method": "notifications/progress", "params": params})


def call(rid: Any, params: dict[str, Any]) -> None:
    name = params.get("name")
    count = int((params.get("arguments") or {}).get("count", 0))
    token = (params.get("_meta") or {}).get("progressToken")
    answer = line(result(rid, {"content": [{"type": "text", "text": name}]}))
    if name == "flood":
        out(b"".join(progress(token, i) for i in range(count)) + answer)
    elif name == "split":
        out(answer[:7])
        time.sleep(0.05)
        out(answer[7:])
    elif name == "batch":
        log = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "b"}}
        out(json.dumps([log, result(rid, {"content": [{"type": "text", "text": name}]})]).encode() + b"\n")
    elif name == "vanish":
        out(b"".join(progress(token, i) for i in range(count)))
        sys.exit(3)


def main() -> None:
    for raw in sys.stdin:
        message = json.loads(raw)
        rid, method = message.get("id"), message.get("method")
        if rid is None:
            continue
        if method == "initialize":
            info = {"name": "burst", "version": "1"}
            caps = {"tools": {}, "logging": {}}
            out(
                line(result(rid, {"protocolVersion": "2025-11-25", "capabilities": caps, "serverInfo": info}))
            )
        elif method == "tools/call":
            call(rid, message.get("params") or {})
        else:
            out(line(result(rid, {})))


if __name__ == "__main__":
    main()
