"""JSON-RPC messages the raw-HTTP tests send again and again."""

from __future__ import annotations

from typing import Any

LEGACY = "2025-11-25"


def initialize_message(
    version: str = LEGACY, capabilities: dict[str, Any] | None = None, name: str = "t", id: int = 0
) -> dict[str, Any]:
    """A legacy-era `initialize` request."""
    return {
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": capabilities or {},
            "clientInfo": {"name": name, "version": "1"},
        },
    }
