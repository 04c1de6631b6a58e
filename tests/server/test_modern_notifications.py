"""2026-07-28 client notifications. Its one core kind is `notifications/cancelled`: on
stdio it stops the named request (no response follows; the function is cancelled), and
on both transports every client notification passes the `on_notification` middleware
to the server's handlers (on Streamable HTTP a 202, as before, and closing the request's
stream stays the way to cancel it: the spec expects no `notifications/cancelled` there).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from mcp_use import MCPServer
from mcp_use.server.middleware import Middleware, MiddlewareContext
from tests.helpers import REPO_ROOT, build_env

from .conftest import MODERN_META
from .hardening.asgi import ACCEPT, client

SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from mcp_use import MCPServer
    from mcp_use.server.middleware import Middleware

    class Seen(Middleware):
        async def on_notification(self, ctx, call_next):
            print("middleware saw", ctx.method, ctx.params.get("requestId"), file=sys.stderr, flush=True)
            return await call_next(ctx)

    server = MCPServer("modern-notes", middleware=[Seen()])
    state = {"cancelled": 0}

    @server.tool()
    async def slow() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            state["cancelled"] += 1
            raise
        return "finished"

    @server.tool()
    def cancelled() -> int:
        return state["cancelled"]

    server.run(transport="stdio")
    """
)


def _call(request_id: int, name: str) -> dict[str, Any]:
    params = {"name": name, "arguments": {}, "_meta": MODERN_META}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def test_stdio_cancelled_stops_a_modern_call_and_passes_the_middleware(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            env=build_env({"PYTHONPATH": str(REPO_ROOT / "src")}),
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            send = [
                _call(1, "slow"),
                {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
            ]
            for message in send:
                proc.stdin.write((json.dumps(message) + "\n").encode())
                proc.stdin.flush()
                time.sleep(0.3)  # the call is running when its cancellation arrives
            proc.stdin.write((json.dumps(_call(2, "cancelled")) + "\n").encode())
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
        finally:
            proc.stdin.close()
            proc.wait(20)
    assert answer["id"] == 2, answer  # no response to the cancelled call comes first
    assert answer["result"]["content"][0]["text"] == "1"  # the function was cancelled
    assert "middleware saw notifications/cancelled 1" in stderr.read_text()


class Recorder(Middleware):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, str | None]] = []

    async def on_notification(self, ctx: MiddlewareContext, call_next: Any) -> Any:
        self.seen.append((ctx.method, ctx.session_id, ctx.transport))
        if ctx.method == "notifications/dropped":
            return None  # a hook that does not call on: the handler never sees it
        return await call_next(ctx)


async def test_streamable_http_modern_notifications_reach_middleware_and_handlers() -> None:
    recorder = Recorder()
    server = MCPServer("modern-http-notes", middleware=[recorder])
    handled: list[dict[str, Any]] = []
    server.on_notification("notifications/example")(handled.append)
    server.on_notification("notifications/dropped")(handled.append)
    headers = {"accept": ACCEPT, "mcp-protocol-version": "2026-07-28"}
    async with client(server) as http:
        for method in ("notifications/example", "notifications/dropped", "notifications/cancelled"):
            body = {"jsonrpc": "2.0", "method": method, "params": {"requestId": 7, "_meta": {}}}
            response = await http.post("/mcp", headers=headers, json=body)
            assert response.status_code == 202 and response.content == b""
    assert [m for m, _, _ in recorder.seen] == [
        "notifications/example",
        "notifications/dropped",
        "notifications/cancelled",
    ]
    assert {s for _, s, _ in recorder.seen} == {None}  # no session on this era
    assert {t for _, _, t in recorder.seen} == {"streamable-http"}
    assert handled == [{"requestId": 7, "_meta": {}}]  # the example; the dropped one never arrived
