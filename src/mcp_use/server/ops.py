"""Operations: readiness and the Prometheus metrics of one process.

Readiness answers false while the shared state (Redis) is unreachable or disagrees, so
a load balancer sends traffic elsewhere; the metrics are the session table's counters.
"""

from __future__ import annotations

from typing import Any

from .core import ServerCore


async def ready(core: ServerCore) -> bool:
    """Readiness: this process can serve (its shared state, when configured, answers)."""
    state = core.state
    if state is None:
        return True
    if not state.ready and await core.start_shared() is not None:
        return False
    return bool(await state.healthy())


async def metrics_text(core: ServerCore) -> str:
    """The Prometheus text exposition of this process's counters."""
    table = core.sessions
    rows = [
        ("sessions_open", "gauge", "Legacy-era sessions held by this process.", len(table)),
        ("sessions_evicted_total", "counter", "Sessions dropped for idleness.", table.evicted),
        (
            "sessions_evicted_for_room_total",
            "counter",
            "Longest-idle sessions ended to admit a new one at max_sessions.",
            table.evicted_for_room,
        ),
        ("sessions_rejected_total", "counter", "initialize refused at max_sessions.", table.rejected),
    ]
    events = core.events
    rows.append(("event_store_bytes", "gauge", "Bytes held by resumable stream logs.", events.bytes))
    rows.append(("event_store_purged_total", "counter", "Stream logs dropped early.", events.purged))
    state = core.state
    if state is not None:
        rows.append(("sessions_loaded_total", "counter", "Sessions loaded from shared state.", table.loaded))
        rows.append(
            (
                "responses_routed_total",
                "counter",
                "Client answers forwarded to the process whose request waits for them.",
                table.routed,
            )
        )
        rows += [
            (
                "responses_forwarded_late_total",
                "counter",
                "Answers forwarded after Redis came back.",
                table.forward_retried,
            ),
            (
                "responses_dropped_total",
                "counter",
                "Answers dropped: their request's deadline passed.",
                table.forward_dropped,
            ),
        ]
        rows += [
            ("bus_gaps_total", "counter", "Times the pub/sub connection broke.", state.ends.gaps),
            (
                "bus_gap",
                "gauge",
                "1 while sessions are checked per request after a bus gap.",
                int(state.ends.gap),
            ),
            (
                "sessions_ended_on_recheck_total",
                "counter",
                "Sessions found ended elsewhere while the bus was down.",
                state.ends.rechecked_ended,
            ),
            (
                "session_ends_unacknowledged_total",
                "counter",
                "DELETEs answered before every process acknowledged the end.",
                state.ends.unacknowledged,
            ),
        ]
        rows += _event_writes(events)
        up = 1 if state.ready and await state.healthy() else 0
        rows.append(("shared_state_up", "gauge", "1 when the shared state answers.", up))
    lines = []
    for name, kind, help_text, value in rows:
        lines += [
            f"# HELP mcp_use_{name} {help_text}",
            f"# TYPE mcp_use_{name} {kind}",
            f"mcp_use_{name} {value}",
        ]
    return "\n".join(lines) + "\n"


def _event_writes(events: Any) -> list[tuple[str, str, str, int]]:
    """The Redis event store's write-through counters (`redis_events.py`)."""
    if not hasattr(events, "events_lost"):
        return []
    return [
        ("event_writes_queued_bytes", "gauge", "Stream event bytes waiting for Redis.", events.queued_bytes),
        ("event_writes_waiting", "gauge", "Stream events and loss markers not in Redis yet.", events.waiting),
        ("event_write_failures_total", "counter", "Event batches kept for a retry.", events.write_failures),
        ("events_lost_total", "counter", "Events not stored: the retry buffer was full.", events.events_lost),
        (
            "streams_lost_total",
            "counter",
            "Streams refused elsewhere: events not stored.",
            events.streams_lost,
        ),
    ]
