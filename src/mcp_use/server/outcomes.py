"""How a served request ends: its response when it raised, and its request-log line.

Two places answer requests: the engine's dispatch (`Engine.handle`, every method) and
the plain-call lane of Streamable HTTP (`transports/plain_post.py`, a `tools/call` of a
plain function). Both end a request here, so a failure reads the same and logs the same
line whichever of them served it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..protocol import jsonrpc
from ..protocol.errors import INTERNAL_ERROR, INVALID_REQUEST, MCPError
from ..protocol.headers import NAMED_METHODS
from .input_rounds import InputRequired
from .request_log import queue_line

log = logging.getLogger("mcp_use.server")
request_log = logging.getLogger("mcp_use.server.requests")


def failed(request_id: jsonrpc.RequestId, method: str, exc: BaseException) -> tuple[jsonrpc.Message, str]:
    """The response to a request whose handler raised `exc`, and its log status.

    Called inside the `except` block: an unexpected exception's traceback goes to the
    server log, and only its type to the client (its text may name paths and secrets).
    """
    if isinstance(exc, MCPError):
        return jsonrpc.error_from(request_id, exc), f"error {exc.code}"
    if isinstance(exc, InputRequired):
        return jsonrpc.error(
            request_id, INVALID_REQUEST, f"{method} cannot ask the client for input"
        ), "error"
    log.exception("Unhandled error in %s", method)
    return jsonrpc.error(request_id, INTERNAL_ERROR, f"Internal error: {type(exc).__name__}"), "error"


def log_request(
    method: str,
    params: dict[str, Any],
    session: Any,
    modern: bool,
    status: str | None,
    result: Any,
    started: float,
    *,
    checked: bool = False,
) -> None:
    """Queue the request's line when the request log is on (`request_log.py` formats
    and writes it off the hot path); `checked`: the caller has just asked. `status`
    None: the call succeeded with `result`."""
    if not (checked or request_log.isEnabledFor(logging.INFO)):
        return
    if status is None:
        status = "error" if result.get("isError") else result.get("resultType", "ok")
    field = NAMED_METHODS.get(method)
    name = params.get(field) or "" if field else ""
    queue_line(
        method,
        name,
        status,
        session.id[:8] if session is not None and session.id else "-",
        "modern" if modern else "legacy",
        (time.perf_counter() - started) * 1000,
    )
