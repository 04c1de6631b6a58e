"""The stack's ceiling: a bare ASGI app on the same uvicorn/uvloop/httptools as ours.

Usage: asgi_ceiling.py http PORT [joined]. It answers exactly what bench/add.lua and the
session opener need, byte for byte the JSON our server sends for `tools/call add`
(`initialize` with an `Mcp-Session-Id`, 202 for notifications; a 2026-07-28 call's
result with its `resultType` and server info), and nothing else: no validation, no
routing, no sessions. Whatever a real server does costs its distance
from this row; "ours as a share of the ceiling" is that distance. With `joined` it runs
on the HTTP protocol `server.run()` gives uvicorn (`mcp_use.server.http.uvicorn_protocol`:
a response's head and body in one write) instead of uvicorn's own httptools one: the
stack ours actually stands on, so ours beside it is what our request path alone costs.
"""

import sys

import orjson
import uvicorn

HEADERS = [(b"content-type", b"application/json")]
# What a 2026-07-28 result carries besides the content (our bench server's name and version).
MODERN_RESULT_META = {"io.modelcontextprotocol/serverInfo": {"name": "bench", "version": "0.1.0"}}
INIT_RESULT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {"tools": {}},
    "serverInfo": {"name": "ceiling", "version": "1"},
}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    message = orjson.loads(body)
    headers = HEADERS
    if "id" not in message:
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if message["method"] == "initialize":
        result = INIT_RESULT
        headers = [*HEADERS, (b"mcp-session-id", b"ceiling")]
    else:
        args = message["params"]["arguments"]
        total = args["a"] + args["b"]
        result = {
            "content": [{"type": "text", "text": str(total)}],
            "structuredContent": {"result": total},
            "isError": False,
        }
        if "_meta" in message["params"]:  # a 2026-07-28 call: the result's own fields, as ours sends
            result["resultType"] = "complete"
            result["_meta"] = MODERN_RESULT_META
    out = orjson.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result})
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*headers, (b"content-length", str(len(out)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": out})


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[2]),
        loop="uvloop",
        http="mcp_use.server.http.uvicorn_protocol:HTTPProtocol"
        if sys.argv[3:] == ["joined"]
        else "httptools",
        lifespan="off",
        log_level="warning",
        access_log=False,  # as `server.run()` runs ours: no access-log arguments built per response
    )
