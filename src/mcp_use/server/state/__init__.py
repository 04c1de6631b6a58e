"""Where server state lives: sessions' event logs now, shared stores for many processes later."""

from .events import EventStore, StreamLog
from .memory import MemoryEventStore

__all__ = ["EventStore", "MemoryEventStore", "StreamLog"]
