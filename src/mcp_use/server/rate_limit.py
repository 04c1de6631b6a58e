"""`RateLimitMiddleware`: a token bucket per caller. Copy and adapt it.

The caller is the verified principal when the server is protected (the token's subject
or client id), else the client's IP address, else the legacy session, else the
transport (one stdio client). Each caller gets `burst` requests at once and `rate` more
per second; past that a request is refused with a JSON-RPC error that says when to
retry, before any handler runs. At most `max_callers` buckets are kept (least recently
seen dropped first), so a flood of addresses cannot grow memory without bound.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ..protocol.errors import INVALID_REQUEST, MCPError
from .middleware import CallNext, Middleware, MiddlewareContext


def caller_of(ctx: MiddlewareContext) -> str:
    """Who is asking: principal, then address, then session, then transport."""
    token = ctx.access_token
    principal = getattr(token, "principal", None) if token is not None else None
    if principal:  # `AccessToken.principal`: its subject, else its client id
        return f"principal:{principal}"
    if ctx.client_ip:
        return f"ip:{ctx.client_ip}"
    if ctx.session_id:
        return f"session:{ctx.session_id}"
    return f"transport:{ctx.transport or 'memory'}"


class RateLimitMiddleware(Middleware):
    """`rate` requests per second per caller, bursts up to `burst`; `methods` limits which
    methods count (default: every request)."""

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        methods: Iterable[str] | None = None,
        key: Callable[[MiddlewareContext], str] = caller_of,
        max_callers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be a positive number of requests per second")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1, math.ceil(rate)))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self.methods = frozenset(methods) if methods is not None else None
        self.key = key
        self.max_callers = max_callers
        self.clock = clock
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    async def on_request(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        if self.methods is None or ctx.method in self.methods:
            self._take(self.key(ctx))
        return await call_next(ctx)

    def _take(self, caller: str) -> None:
        now = self.clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = [self.burst, now]
            self._buckets[caller] = bucket
            if len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(caller)
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        if bucket[0] < 1:
            wait = (1 - bucket[0]) / self.rate
            raise MCPError(
                INVALID_REQUEST,
                f"Rate limit exceeded: {self.rate:g} requests/s; retry in {wait:.2f}s",
                {"retryAfterMs": math.ceil(wait * 1000)},
            )
        bucket[0] -= 1
