"""An async tool on the plain-call lane is cancelled exactly as on the general path.

The lane awaits an async tool (no context, task or deadline) in the request's own task
(`PlainCallLane._awaited`). Whatever can reach such a call while it waits must do what
it does on the general path (`StreamableHTTPServerTransport.serve`): a legacy client's
`notifications/cancelled` cancels the tool and its POST is answered 202 with no body; a
2026-07-28 client that hangs up cancels it and gets nothing; the end of the session
cancels it and the cancellation goes on up. Each case runs both ways on one transport
and must agree, and the lane's run must not have reached the engine's dispatch.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from mcp_use import MCPServer
from mcp_use.server.transports.streamable_http import StreamableHTTPServerTransport

from .conftest import LEGACY, MODERN, MODERN_META, initialize_message, post_scope
from .test_front_lane import dispatches
from .test_plain_lane import BASE, encode

Sent = list[tuple[Any, ...]]


class Waiting:
    """A server with one async tool that waits until cancelled, and what it saw."""

    def __init__(self) -> None:
        self.server = MCPServer("lane-async")
        self.started = asyncio.Event()
        self.seen: list[str] = []
        self.transport = StreamableHTTPServerTransport(self.server.core)

        @self.server.tool()
        async def wait() -> str:
            self.started.set()
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                self.seen.append("cancelled")
                raise
            return "never"

        self.dispatched = dispatches(self.server, "modern_request", "legacy_request")

    @property
    def built(self) -> list[str]:
        """The methods of the requests that reached the engine's dispatch."""
        return [args[0].get("method") for args in self.dispatched]

    def reset(self) -> None:
        self.started.clear()
        self.seen.clear()
        self.dispatched.clear()


async def post(app: Any, headers: dict[str, str], body: Any, hang_up: asyncio.Event | None = None) -> Sent:
    """One POST through `app`; after the body, `receive` waits for `hang_up` (if given)
    and then reports the client's disconnect."""
    pending = [{"type": "http.request", "body": orjson.dumps(body), "more_body": False}]
    sent: Sent = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        if hang_up is None:
            await asyncio.sleep(3600)
        else:
            await hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append((message["type"], message.get("status"), message.get("headers"), message.get("body")))

    await asyncio.wait_for(app(post_scope(encode(headers)), receive, send), 10)
    return sent


async def open_session(waiting: Waiting) -> dict[str, str]:
    sent = await post(waiting.transport, BASE, initialize_message())
    session = dict(sent[0][2])[b"mcp-session-id"].decode()
    return {**BASE, "mcp-session-id": session, "mcp-protocol-version": LEGACY}


async def ended(pending: asyncio.Future[Sent]) -> Sent:
    """What the request sent, once it has ended: at once, not when a timeout cut it off."""
    done, _ = await asyncio.wait({pending}, timeout=2)
    if not done:
        pending.cancel()
        raise AssertionError("the call was not cancelled")
    return pending.result()


def call(rid: int, **meta: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"name": "wait", "arguments": {}, **meta}
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}


async def test_a_legacy_cancellation_answers_alike() -> None:
    waiting = Waiting()
    headers = await open_session(waiting)
    answers = []
    for app in (waiting.transport, waiting.transport.serve):
        waiting.reset()
        pending = asyncio.ensure_future(post(app, headers, call(11)))
        await asyncio.wait_for(waiting.started.wait(), 5)
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 11}}
        assert (await post(waiting.transport, headers, cancel))[0][1] == 202
        answers.append(await ended(pending))
        assert waiting.seen == ["cancelled"]
        built = [m for m in waiting.built if m == "tools/call"]
        assert built == ([] if app is waiting.transport else ["tools/call"])
    assert (
        answers[0]
        == answers[1]
        == [
            ("http.response.start", 202, [], None),
            ("http.response.body", None, None, b""),
        ]
    )
    # The session still serves: the cancelled call left nothing behind.
    session = waiting.server.core.sessions.get(headers["mcp-session-id"], None)
    assert session is not None and not session.inflight


async def test_a_modern_hang_up_answers_alike() -> None:
    waiting = Waiting()
    headers = {**BASE, "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "wait"}
    body = call(12, _meta=dict(MODERN_META))
    for app in (waiting.transport, waiting.transport.serve):
        waiting.reset()
        hang_up = asyncio.Event()
        pending = asyncio.ensure_future(post(app, headers, body, hang_up))
        await asyncio.wait_for(waiting.started.wait(), 5)
        hang_up.set()
        assert await ended(pending) == []  # nothing is sent to a client that has gone
        assert waiting.seen == ["cancelled"]
        assert waiting.built == ([] if app is waiting.transport else ["tools/call"])


async def test_the_sessions_end_cancels_the_call_on_both_paths() -> None:
    """Not the client's cancellation: the request's task is cancelled, as on the general path."""
    waiting = Waiting()
    headers = await open_session(waiting)
    for app in (waiting.transport, waiting.transport.serve):
        waiting.reset()
        pending = asyncio.ensure_future(post(app, headers, call(13)))
        await asyncio.wait_for(waiting.started.wait(), 5)
        session = waiting.server.core.sessions.get(headers["mcp-session-id"], None)
        assert session is not None and session.inflight
        for task in list(session.inflight.values()):
            task.cancel()  # what closing the session does to the calls it has in flight
        with pytest.raises(asyncio.CancelledError):
            await ended(pending)
        assert waiting.seen == ["cancelled"]
        assert not session.inflight
