"""`protocol.era.inbound_era`: the one rule every transport applies to each inbound message."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_use.protocol.era import LEGACY, MODERN, inbound_era

META = {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}


def request(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        message["params"] = params
    return message


RESPONSE = {"jsonrpc": "2.0", "id": 1, "result": {}}
NOTIFY_MODERN = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": dict(META)}

TABLE = [
    # (why, message, version header, session id, era)
    ("plain legacy request", request("tools/list"), None, None, LEGACY),
    ("legacy header, session", request("tools/list"), "2025-11-25", "s1", LEGACY),
    (
        "initialize opens a session",
        request("initialize", {"protocolVersion": "2025-11-25"}),
        None,
        None,
        LEGACY,
    ),
    ("initialize even with modern _meta", request("initialize", dict(META)), None, None, LEGACY),
    ("initialize under a legacy header", request("initialize", dict(META)), "2025-06-18", None, LEGACY),
    ("modern _meta, no headers (stdio)", request("tools/list", dict(META)), None, None, MODERN),
    (
        "modern _meta under a legacy header, no session",
        request("tools/list", dict(META)),
        "2025-11-25",
        None,
        MODERN,
    ),
    ("modern header", request("tools/list"), "2026-07-28", None, MODERN),
    ("modern header wins over a session id", request("tools/list"), "2026-07-28", "s1", MODERN),
    ("unknown header version is not legacy", request("tools/list"), "2099-01-01", None, MODERN),
    ("a session id makes _meta legacy", request("tools/list", dict(META)), None, "s1", LEGACY),
    ("server/discover without _meta", request("server/discover"), None, None, MODERN),
    ("server/discover inside a legacy session", request("server/discover"), "2025-11-25", "s1", LEGACY),
    ("_meta without a version", request("tools/list", {"_meta": {"progressToken": 1}}), None, None, LEGACY),
    (
        "params not an object",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [1]},
        None,
        None,
        LEGACY,
    ),
    ("a response, no headers", RESPONSE, None, None, LEGACY),
    ("a response under a modern header", RESPONSE, "2026-07-28", None, MODERN),
    ("a response in a session", RESPONSE, "2025-11-25", "s1", LEGACY),
    ("a modern notification", NOTIFY_MODERN, None, None, MODERN),
    ("a legacy notification", {"jsonrpc": "2.0", "method": "notifications/initialized"}, None, "s1", LEGACY),
]


@pytest.mark.parametrize(
    ("message", "version_header", "session_id", "era"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_inbound_era(
    message: dict[str, Any], version_header: str | None, session_id: str | None, era: str
) -> None:
    assert inbound_era(message, version_header=version_header, session_id=session_id) == era


def test_inbound_era_is_pure() -> None:
    message = request("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}})
    before = repr(message)
    assert inbound_era(message) == inbound_era(message) == MODERN
    assert repr(message) == before
