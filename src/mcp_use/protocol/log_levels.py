"""The spec's logging levels (RFC 5424 severities), least severe first."""

from __future__ import annotations

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
LOG_RANK = {name: rank for rank, name in enumerate(LOG_LEVELS)}


def at_least(level: str, threshold: str | None) -> bool:
    """True when a message at `level` passes a `threshold` (None lets everything through)."""
    if threshold is None:
        return True
    return LOG_RANK.get(level, 0) >= LOG_RANK.get(threshold, 0)
