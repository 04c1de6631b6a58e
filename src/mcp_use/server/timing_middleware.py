"""`TimingMiddleware`: one log line per request with its duration. Copy and adapt it.

It shows the shape of a middleware: read `ctx`, await `call_next(ctx)`, look at the
result (a tool's `isError`) or the exception, and let both pass on unchanged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..protocol.headers import NAMED_METHODS
from .middleware import CallNext, Middleware, MiddlewareContext


class TimingMiddleware(Middleware):
    """Logs `method name status transport client duration` at INFO on `logger`."""

    def __init__(self, logger: logging.Logger | str = "mcp_use.server.timing") -> None:
        self.log = logging.getLogger(logger) if isinstance(logger, str) else logger

    async def on_request(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        started = time.perf_counter()
        status = "ok"
        try:
            result = await call_next(ctx)
            if isinstance(result, dict) and result.get("isError"):
                status = "tool-error"
            return result
        except BaseException as exc:
            status = f"raised {type(exc).__name__}"
            raise
        finally:
            field = NAMED_METHODS.get(ctx.method)
            name = ctx.params.get(field, "") if field else ""
            self.log.info(
                "%s %s %s transport=%s client=%s %.2fms",
                ctx.method,
                name,
                status,
                ctx.transport or "-",
                ctx.client_ip or ctx.session_id or "-",
                (time.perf_counter() - started) * 1000,
            )
