"""Driving a raw ASGI app as uvicorn would, in process: one request, what it sent."""

from __future__ import annotations

import asyncio
from typing import Any


async def exchange(app: Any, scope: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
    """One HTTP request with `body` in one piece through `app` (10 s at most): the messages
    the app sent. After the body, `receive` never returns (no disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(event: dict[str, Any]) -> None:
        sent.append(event)

    await asyncio.wait_for(app(scope, receive, send), 10)
    return sent
