"""`tools/call` of a plain tool, answered without the dispatch machinery.

Most calls a server serves are a plain function's: no context parameter, no task, no
deadline, no middleware around it. For them the `ServerRequest`, the input round and
the awaits of `Engine.handle` do nothing but cost time, so the Streamable HTTP
transport's plain-call lane (`transports/plain_post.py`) asks `tool_for` whether a call
is such a one and has `answer` serve it (a sync function: `FeatureMethods.call_plain`,
in one synchronous step) or `answer_awaited` (an async one: `call_awaited`, one await of
its coroutine): the same work `tools_call` does, the same result shaping, failure
mapping and request-log line as `Engine.handle` (`outcomes.py`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ..protocol import jsonrpc
from ..protocol.headers import SENTINEL_PREFIX, header_params
from .input_rounds import InputRequired
from .outcomes import failed, log_request, request_log
from .tools import Tool

if TYPE_CHECKING:
    from .engine import Engine

METHOD = "tools/call"
MAX_VERDICTS = 4096
NOT_PLAIN, PLAIN, HEADERLESS = 0, 1, 2  # each verdict includes the ones below it
# What the lane read from a call's body: the message, its tool, params and arguments.
PlainCall = tuple[jsonrpc.Message, Tool, dict[str, Any], dict[str, Any]]


class PlainCalls:
    """Which calls are plain, and their answers; built on an `Engine`'s public parts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.methods = engine.methods
        self.tools = engine.features.tools
        # Each tool's verdict, reached once: its options and schema are fixed when it is made.
        self._verdicts: dict[Tool, int] = {}
        # What `tool_named` answered, by the name as it came: forgotten whenever the tools
        # or the engine's handlers (middleware, layers) change.
        self._by_name: dict[str, Tool | None] = {}
        self._by_header: dict[bytes, Tool | None] = {}
        self.tools.watchers.append(self.forget)
        engine.watchers.append(self.forget)

    def forget(self) -> None:
        self._verdicts.clear()
        self._by_name.clear()
        self._by_header.clear()

    def tool_named(self, name: str) -> Tool | None:
        """`tool_for(name)`, remembered per name."""
        known = self._by_name
        try:
            return known[name]
        except KeyError:
            pass
        return _kept(known, name, self.tool_for(name))

    def tool_by_header(self, value: bytes) -> Tool | None:
        """`tool_for(..., headerless=True)` of a 2026-07-28 call's raw `Mcp-Name` value
        (None for an encoded name: the general path decodes and checks it), remembered
        per value: a client names the same few tools again and again."""
        known = self._by_header
        try:
            return known[value]
        except KeyError:
            pass
        text = value.decode("latin-1").strip(" \t")
        return _kept(
            known, value, None if text.startswith(SENTINEL_PREFIX) else self.tool_for(text, headerless=True)
        )

    def tool_for(self, name: str, *, headerless: bool = False) -> Tool | None:
        """The tool a call of `name` runs, when that call is plain: nothing installed
        around the engine's handlers (middleware, a mount's or a proxy's layers), and a
        tool that `call_plain` serves as `tools_call` would; with `headerless`, also one
        with no `x-mcp-header` parameters (a 2026-07-28 call's `Mcp-Param-*` headers are
        checked against its arguments on the general path). Else None."""
        engine = self.engine
        if engine.middleware or engine.layers:
            return None
        tool = self.tools.get(name)
        if tool is None:
            return None
        verdict = self._verdicts.get(tool)
        if verdict is None:
            verdict = self._verdict(tool)
        return tool if verdict >= (HEADERLESS if headerless else PLAIN) else None

    def _verdict(self, tool: Tool) -> int:
        methods = self.methods
        if (
            tool.context_param is not None
            or tool.task
            or not (methods.is_plain(tool) or methods.awaits_plainly(tool))
        ):
            verdict = NOT_PLAIN
        else:
            verdict = PLAIN if header_params(tool.input_schema, strict=False) else HEADERLESS
        if len(self._verdicts) >= MAX_VERDICTS:  # tools come and go (a proxy's, a mount's)
            self._verdicts.clear()
        self._verdicts[tool] = verdict
        return verdict

    def answer(self, call: PlainCall, session: Any, modern: bool) -> jsonrpc.Message:
        """The response `Engine.handle` gives this call of a sync tool, and its request-log line."""
        started = time.perf_counter() if request_log.isEnabledFor(logging.INFO) else None
        try:
            result = self.methods.call_plain(call[1], call[3], call[0]["id"])
        except (Exception, InputRequired) as exc:
            return self._failed(call, exc, session, modern, started)
        return self._answered(call, result, session, modern, started)

    async def answer_awaited(self, call: PlainCall, session: Any, modern: bool) -> jsonrpc.Message:
        """`answer` for an async tool, its coroutine awaited (the sync twin above stays
        free of awaits). A cancellation goes through unanswered and unlogged, as from
        `Engine.handle`: the caller answers it as the transport's general path does."""
        started = time.perf_counter() if request_log.isEnabledFor(logging.INFO) else None
        try:
            result = await self.methods.call_awaited(call[1], call[3], call[0]["id"])
        except (Exception, InputRequired) as exc:
            return self._failed(call, exc, session, modern, started)
        return self._answered(call, result, session, modern, started)

    def _answered(
        self, call: PlainCall, result: dict[str, Any], session: Any, modern: bool, started: float | None
    ) -> jsonrpc.Message:
        if modern:
            result = self.engine.modern_result(METHOD, result)
        if started is not None:  # the request log is on
            log_request(METHOD, call[2], session, modern, None, result, started, checked=True)
        return jsonrpc.result(call[0]["id"], result)

    @staticmethod
    def _failed(
        call: PlainCall, exc: BaseException, session: Any, modern: bool, started: float | None
    ) -> jsonrpc.Message:
        response, status = failed(call[0]["id"], METHOD, exc)
        if started is not None:
            log_request(METHOD, call[2], session, modern, status, None, started, checked=True)
        return response


def _kept(known: dict[Any, Tool | None], key: Any, tool: Tool | None) -> Tool | None:
    """`tool`, remembered under `key` (a value a client chooses: bounded)."""
    if len(known) >= MAX_VERDICTS:
        known.clear()
    known[key] = tool
    return tool
