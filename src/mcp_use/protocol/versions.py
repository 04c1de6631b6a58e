"""Protocol revisions and the two eras they fall into.

The legacy era negotiates a version once in `initialize`; the modern era carries it in
every request's `_meta`. One server speaks both, chosen per request.
"""

from __future__ import annotations

from typing import Any

MODERN_VERSIONS: tuple[str, ...] = ("2026-07-28",)
LEGACY_VERSIONS: tuple[str, ...] = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
SUPPORTED_VERSIONS: tuple[str, ...] = MODERN_VERSIONS + LEGACY_VERSIONS
LATEST_MODERN = MODERN_VERSIONS[0]
LATEST_LEGACY = LEGACY_VERSIONS[0]
FIRST_MODERN = "2026-07-28"

# Request `_meta` keys of the modern era.
META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL = "io.modelcontextprotocol/logLevel"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"


def is_modern(version: str | None) -> bool:
    """True for a revision that uses per-request metadata (dated 2026-07-28 or later)."""
    return bool(version) and version >= FIRST_MODERN  # type: ignore[operator]


def negotiate_legacy(requested: str | None) -> str:
    """The version a legacy `initialize` answers with: the client's if we speak it."""
    if requested in LEGACY_VERSIONS:
        return requested  # type: ignore[return-value]
    return LATEST_LEGACY


def request_meta(message: dict[str, Any]) -> dict[str, Any] | None:
    """A request's `params._meta`, when it has one."""
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return meta if isinstance(meta, dict) else None


def declares_version(message: dict[str, Any]) -> bool:
    """True when the request names a protocol version in `_meta`: the modern era's mark."""
    meta = request_meta(message)
    return meta is not None and META_PROTOCOL_VERSION in meta


def meta_version(message: dict[str, Any]) -> str | None:
    """The protocol version a request's `_meta` names, when it is a string."""
    meta = request_meta(message)
    version = meta.get(META_PROTOCOL_VERSION) if meta is not None else None
    return version if isinstance(version, str) else None
