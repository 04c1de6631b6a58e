"""A small per-token cache of verification results, bounded in size and time.

Verifying a JWT signature costs more than serving a fast tool call; the same token
arrives on every request, so the answer is kept until the token expires (or `ttl`).
"""

from __future__ import annotations

import time
from collections.abc import Hashable

from .token import AccessToken


class TokenCache:
    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[AccessToken, float]] = {}

    def get(self, token: Hashable) -> AccessToken | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= time.time():
            del self._entries[token]
            return None
        return entry[0]

    def put(self, token: Hashable, value: AccessToken) -> None:
        if self.ttl <= 0:
            return
        until = time.time() + self.ttl
        if value.expires_at is not None:
            until = min(until, float(value.expires_at))
        if len(self._entries) >= self.max_entries:
            now = time.time()
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[token] = (value, until)
