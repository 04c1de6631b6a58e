"""Reading a server's SSE responses in tests: (event id, JSON-RPC message) pairs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str | None, dict[str, Any] | None]]:
    """(event id, message) pairs of an SSE response; a data-less event (priming) yields None."""
    event_id: str | None = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if event_id is not None or data:
                text = "\n".join(data).strip()
                yield event_id, (orjson.loads(text) if text else None)
            event_id, data = None, []
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
