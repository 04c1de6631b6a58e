"""Where server state lives: in memory for one process, on Redis for many.

`RedisState` (in `.redis`, imported on use so a plain install never needs redis-py)
shares legacy sessions, resumable streams' events, delivery between processes and the
`requestState` secret. `bus.py` is the vocabulary the processes speak: each message
kind defined once, with its builder and its handler; `redis_ends.py` makes a session
ended on one process ended on all (acknowledged ends, tombstones, the bus-gap re-check).
"""

from typing import Any

from .events import EventStore, StreamLog
from .memory import MemoryEventStore

__all__ = ["EventStore", "MemoryEventStore", "RedisState", "StreamLog"]


def __getattr__(name: str) -> Any:
    if name == "RedisState":
        from .redis import RedisState

        return RedisState
    raise AttributeError(name)
