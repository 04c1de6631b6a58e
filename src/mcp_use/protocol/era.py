"""The one rule that tells which protocol era an inbound message belongs to.

Evaluated exactly once per message, at the entry boundary, by every transport (HTTP
passes its `MCP-Protocol-Version` and `Mcp-Session-Id` headers; stdio and the legacy SSE
transport pass none). A pure function of the message and those two headers, so it is
pinned by a table-driven test instead of living as slightly different `if`s in each
transport.
"""

from __future__ import annotations

from typing import Any, Literal

from .versions import LEGACY_VERSIONS, declares_version

Era = Literal["modern", "legacy"]
MODERN: Era = "modern"
LEGACY: Era = "legacy"


def inbound_era(
    message: dict[str, Any],
    *,
    version_header: str | None = None,
    session_id: str | None = None,
) -> Era:
    """`"modern"` (2026-07-28, per-request `_meta`) or `"legacy"` (initialize and sessions).

    In order: a protocol-version header naming no legacy revision is modern; a message
    naming a legacy session is legacy; `initialize` is legacy; a request whose `_meta`
    declares a protocol version is modern, and so is `server/discover`; the rest
    (responses and notifications without those marks included) is legacy.
    """
    if version_header is not None and version_header not in LEGACY_VERSIONS:
        return MODERN
    if session_id is not None:
        return LEGACY
    method = message.get("method")
    if method is None or method == "initialize":
        return LEGACY
    if method == "server/discover" or declares_version(message):
        return MODERN
    return LEGACY
