"""The `tasks/list` cursor: an opaque token for where the previous page ended.

It names the last task of that page by its position `(expires_at, id)` (the stores' order),
not by an offset, so tasks created or expired between two pages neither repeat nor
vanish from the listing. Clients must treat it as opaque (2025-11-25 spec); anything
that does not decode to a position is -32602, as the spec asks for an invalid cursor.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from ...protocol.errors import INVALID_PARAMS, MCPError
from ..state.tasks import Position, StoredTask, position

MAX_CURSOR = 512  # characters; a real cursor is under 100


def encode(record: StoredTask) -> str:
    at, task_id = position(record)
    return base64.urlsafe_b64encode(orjson.dumps([at, task_id])).decode().rstrip("=")


def decode(value: Any) -> Position | None:
    """The position a cursor names; None for no cursor (the first page)."""
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not value or len(value) > MAX_CURSOR:
            raise ValueError
        at, task_id = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        if not isinstance(at, (int, float)) or isinstance(at, bool) or not isinstance(task_id, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        shown = value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value
        raise MCPError(INVALID_PARAMS, f"Invalid cursor for tasks/list: {shown!r}") from None
    return (float(at), task_id)
