"""The stdio floor: a minimal line-echo "server" (stdlib, blocking I/O) that answers
initialize and tools/call "add" without any framework. The bench driver's round trips
against it show what the pipes and the driver itself cost."""

import json
import sys


def main() -> None:
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        if "id" not in msg:
            continue
        if msg["method"] == "initialize":
            result = {
                "protocolVersion": msg["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "floor", "version": "0"},
            }
        else:
            args = msg["params"]["arguments"]
            total = args["a"] + args["b"]
            result = {
                "content": [{"type": "text", "text": str(total)}],
                "structuredContent": {"result": total},
                "isError": False,
            }
        out.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
