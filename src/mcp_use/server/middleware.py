"""MCP-level middleware: hooks around the engine's handlers, for every transport.

The chain is composed into the engine's dispatch tables when middleware is installed
(`Engine.wrap`), not in `run()`: a request served by `uvicorn module:app`, gunicorn, a
mounted app, stdio or the in-memory client passes the same hooks. With no middleware the
tables hold the bare handlers, so the request path has no extra call or allocation.

For one request, each middleware in order contributes `on_request` (outer) and then the
hook of the method (`on_call_tool`, ...); `call_next(ctx)` runs the rest of the chain
and, last, the handler with `ctx.params`. A hook may change `ctx.params`, change or
replace the result dict, or raise `MCPError` / `ToolError` to refuse. Any other
exception answers as a JSON-RPC internal error; the connection stays up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol.errors import INTERNAL_ERROR, INVALID_REQUEST, MCPError
from .request import Peer, ServerRequest
from .tools import ToolError, error_result

log = logging.getLogger("mcp_use.server")
Result = dict[str, Any]
CallNext = Callable[["MiddlewareContext"], Awaitable[Any]]
Handler = Callable[[ServerRequest], Awaitable[Result]]

# The hook a method has besides `on_request`. `resources/templates/list` has none (its
# result holds `resourceTemplates`, not `resources`): `on_request` sees it.
METHOD_HOOKS = {
    "tools/call": "on_call_tool",
    "resources/read": "on_read_resource",
    "prompts/get": "on_get_prompt",
    "tools/list": "on_list_tools",
    "resources/list": "on_list_resources",
    "prompts/list": "on_list_prompts",
    "initialize": "on_initialize",
}


class MiddlewareContext:
    """What a hook knows about the message: `method`, `params` (assign to rewrite),
    the client's session, version, headers and address, the verified `access_token`
    (None on an unprotected server), the `transport`, and a `state` dict for the chain.

    The same fields on every hook and every transport, `initialize` and notifications
    included (read from the `ServerRequest`, or from the transport's `Peer` when there
    is no request):
    - `transport`: "stdio", "memory", "streamable-http" or "sse".
    - `headers`: the HTTP request's headers, a dict with lowercased names, on
      Streamable HTTP and SSE; None on stdio and in memory (no headers exist there).
    - `client_ip`: the peer's address on HTTP; None on stdio and in memory.
    - `access_token`: the verified `AccessToken` on a protected HTTP server, else None.
    - `session_id`: the legacy session's id on HTTP; None on 2026-07-28 (no sessions)
      and on stdio and memory (their one session has no id). On `initialize` it is
      None until `call_next` has opened the session.
    - `protocol_version`: the request's version; on `initialize`, the version the
      client asked for until `call_next` returns, then the one negotiated.
    """

    __slots__ = ("method", "origin", "params", "request", "session", "state")

    def __init__(
        self,
        method: str,
        params: dict[str, Any],
        request: ServerRequest | None = None,
        session: Any = None,
        peer: Peer | None = None,
    ) -> None:
        self.method = method
        self.params = params
        self.request = request  # None for `initialize` and notifications
        self.session = session if request is None else request.session
        # Where the client's headers, address, token and transport are read.
        self.origin: ServerRequest | Peer | None = request if request is not None else peer
        self.state: dict[str, Any] = {}

    @property
    def session_id(self) -> str | None:
        return self.session.id if self.session is not None else None

    @property
    def protocol_version(self) -> str | None:
        if self.request is not None:
            return self.request.version
        if self.session is not None:
            return self.session.protocol_version  # type: ignore[no-any-return]
        version = self.params.get("protocolVersion")
        return version if isinstance(version, str) else None

    @property
    def headers(self) -> Any:
        return self.origin.headers if self.origin is not None else None

    @property
    def client_ip(self) -> str | None:
        address = self.origin.client_address if self.origin is not None else None
        return address[0] if address else None

    @property
    def access_token(self) -> Any:
        return self.origin.access_token if self.origin is not None else None

    @property
    def transport(self) -> str | None:
        return self.origin.transport if self.origin is not None else None

    @property
    def modern(self) -> bool:
        return bool(self.request is not None and self.request.modern)

    def __repr__(self) -> str:
        return f"MiddlewareContext(method={self.method!r}, transport={self.transport!r})"


class Middleware:
    """Subclass and override the hooks you need; each defaults to `call_next(ctx)`."""

    async def on_request(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_call_tool(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_read_resource(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_get_prompt(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_list_tools(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_list_resources(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_list_prompts(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_initialize(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)

    async def on_notification(self, ctx: MiddlewareContext, call_next: CallNext) -> Any:
        return await call_next(ctx)


def _overridden(middleware: Middleware, hook: str) -> CallNext | None:
    """The bound hook when the subclass overrides it; None skips a pass-through."""
    method = getattr(type(middleware), hook, None)
    if method is None or method is getattr(Middleware, hook):
        return None
    return getattr(middleware, hook)  # type: ignore[no-any-return]


def hooks_for(
    middlewares: list[Middleware], method: str, *, request: bool = True
) -> list[Callable[..., Any]]:
    """The hooks one method passes, outermost first."""
    names = ["on_request"] if request else []
    specific = METHOD_HOOKS.get(method, "on_notification" if not request else None)
    if specific is not None:
        names.append(specific)
    found: list[Callable[..., Any]] = []
    for middleware in middlewares:
        for name in names:
            hook = _overridden(middleware, name)
            if hook is not None:
                found.append(hook)
    return found


def compose(hooks: list[Callable[..., Any]], terminal: CallNext) -> CallNext:
    """`hooks[0]` outermost; the innermost `call_next` is `terminal`."""
    chain = terminal
    for hook in reversed(hooks):
        chain = _link(hook, chain)
    return chain


def _link(hook: Callable[..., Any], call_next: CallNext) -> CallNext:
    async def run(ctx: MiddlewareContext) -> Any:
        return await hook(ctx, call_next)

    return run


def wrap_handler(method: str, handler: Handler, middlewares: list[Middleware]) -> Handler:
    """`handler` behind the middleware for `method` (itself when no hook applies)."""
    hooks = hooks_for(middlewares, method)
    if not hooks:
        return handler

    async def terminal(ctx: MiddlewareContext) -> Result:
        req = ctx.request
        assert req is not None
        req.params = ctx.params
        return await handler(req)

    chain = compose(hooks, terminal)

    async def wrapped(req: ServerRequest) -> Result:
        ctx = MiddlewareContext(method, req.params, req)
        try:
            result = await chain(ctx)
        except ToolError as exc:
            if method == "tools/call":
                return error_result(str(exc))
            raise MCPError(INVALID_REQUEST, str(exc)) from None
        if not isinstance(result, dict):
            raise TypeError(f"middleware for {method} returned {type(result).__name__}, not a result dict")
        return result

    return wrapped


async def run_initialize(
    hooks: list[Callable[..., Any]],
    params: dict[str, Any],
    open_session: Callable[[dict[str, Any]], Any],
    peer: Peer | None = None,
) -> Any:
    """`initialize` through the hooks: they see (and may rewrite) the params and the
    result; the session opened by the innermost step is what the transport keeps."""
    opened: list[Any] = []

    async def terminal(ctx: MiddlewareContext) -> Result:
        session, result = open_session(ctx.params)
        opened.append(session)
        ctx.session = session  # outer hooks see the new session's id and version
        return result  # type: ignore[no-any-return]

    try:
        result = await compose(hooks, terminal)(MiddlewareContext("initialize", params, peer=peer))
    except MCPError:
        raise
    except ToolError as exc:
        raise MCPError(INVALID_REQUEST, str(exc)) from None
    except Exception as exc:
        log.exception("Middleware failed on initialize")
        raise MCPError(INTERNAL_ERROR, f"Internal error: {type(exc).__name__}") from None
    if not opened:
        raise MCPError(INVALID_REQUEST, "initialize was refused by the server's middleware")
    return opened[-1], result


async def run_notification(
    hooks: list[Callable[..., Any]],
    message: dict[str, Any],
    session: Any,
    deliver: Callable[[dict[str, Any], Any], Awaitable[None]],
    peer: Peer | None = None,
) -> None:
    """A client notification through the hooks; a hook that does not call `call_next`
    drops it. A hook's exception is logged: a notification has no one to answer."""

    async def terminal(ctx: MiddlewareContext) -> None:
        await deliver({**message, "params": ctx.params}, session)

    ctx = MiddlewareContext(message["method"], message.get("params") or {}, session=session, peer=peer)
    try:
        await compose(hooks, terminal)(ctx)
    except Exception:
        log.exception("Middleware failed on %s", message["method"])


__all__ = ["CallNext", "Middleware", "MiddlewareContext"]
