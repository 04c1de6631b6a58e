"""One deadline for a whole connect attempt, and a record of what the attempt tried.

`mode="auto"` asks `server/discover` first and falls back to `initialize`. Given each
its own timeout, a server that never answers held the caller for twice the timeout and
the error named only the last step. A `ConnectBudget` gives the probe at most half of
the time (a legacy server may ignore an unknown method rather than refuse it, and the
handshake must still have time), the handshake what is left, and the error says both.
"""

from __future__ import annotations

import time

from .errors import ConnectTimedOut

MIN_WAIT = 0.001  # a request with no time left still gets a deadline, never "no deadline"


class ConnectBudget:
    def __init__(self, server: str | None, total: float | None) -> None:
        self.server = server
        self.total = total
        self.started = time.monotonic()
        self.tried: list[str] = []

    def remaining(self) -> float | None:
        """Seconds left (None: the session has no deadline at all)."""
        if self.total is None:
            return None
        return max(self.total - (time.monotonic() - self.started), MIN_WAIT)

    def probe_share(self, cap: float) -> float:
        """The probe's deadline: half of what is left, and never more than `cap`."""
        left = self.remaining()
        return cap if left is None else max(min(cap, left / 2), MIN_WAIT)

    def note(self, what: str) -> None:
        self.tried.append(what)

    def timed_out(self) -> ConnectTimedOut:
        total = self.total if self.total is not None else time.monotonic() - self.started
        return ConnectTimedOut(self.server, total, ", then ".join(self.tried))


__all__ = ["ConnectBudget"]
