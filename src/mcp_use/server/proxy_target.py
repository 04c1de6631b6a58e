"""The target side of a proxy: one `MCPClient` session to the proxied server.

The session opens on the first request and opens again after the target died (a stdio
child that exited is started anew), so one crash costs the calls that were in flight,
which fail with an error naming the target, not the proxy. The client's errors become
the JSON-RPC errors the front answers with, here and only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from ..client.client import MCPClient
from ..client.config import pick_entry
from ..client.errors import ClientError, ConfigError, ServerError
from ..protocol.errors import INTERNAL_ERROR, MCPError

log = logging.getLogger("mcp_use.server.proxy")
TARGET = "target"


def target_entry(
    target: Any, server: str | None = None, *, where: str = " in the proxy target's config"
) -> Any:
    """One `mcpServers` entry from what `as_proxy` accepts: an entry, a whole config
    (with `server` naming the entry when it has several), a URL, or an `MCPServer`.
    `where` names the config in a mistake's message (`mcp-use proxy` gives the file)."""
    if isinstance(target, str):
        if target.startswith(("http://", "https://")):
            return {"url": target}
        raise ConfigError(f"proxy target {target!r}: give a URL, a config entry or a config")
    if isinstance(target, Mapping) and "mcpServers" in target:
        return pick_entry(target, server, where=where, how="name one after the config")[1]
    return target


@contextlib.contextmanager
def translated(method: str) -> Iterator[None]:
    """The client's errors as the front answers them: the target's own JSON-RPC error
    passed on as it was, anything else (a dead child, a timeout) naming the target."""
    try:
        yield
    except ServerError as exc:
        raise MCPError(exc.code, exc.detail, exc.data) from None
    except ClientError as exc:
        raise MCPError(INTERNAL_ERROR, f"Proxy target failed during {method}: {exc.detail}") from None


class ProxyTarget:
    """`request()` forwards one request to the target and returns its raw result."""

    def __init__(self, entry: Any, *, timeout: float | None, callbacks: dict[str, Any]) -> None:
        self.client = MCPClient({"mcpServers": {TARGET: entry}}, mode="auto", timeout=timeout, **callbacks)
        self._lock = asyncio.Lock()
        self.starts = 0

    @property
    def description(self) -> str:
        session = self.client.sessions.get(TARGET)
        return session.transport.description if session is not None else TARGET

    async def session(self) -> Any:
        async with self._lock:
            session = self.client.sessions.get(TARGET)
            if session is not None and session.connected:
                return session
            if session is not None:
                log.warning("Proxy target %s is gone; starting it again", self.description)
                await self.client.close_session(TARGET)
            self.starts += 1
            try:
                return await self.client.create_session(TARGET)
            except ClientError as exc:
                raise MCPError(INTERNAL_ERROR, f"Proxy target unavailable: {exc.detail}") from None

    async def request(self, method: str, params: dict[str, Any], **options: Any) -> dict[str, Any]:
        session = await self.session()
        with translated(method):
            return await session.request_with_input(method, params, **options)  # type: ignore[no-any-return]

    async def apply(self, method: str, params: dict[str, Any]) -> None:
        """A session setting made on the front, made on the target too, in whichever way
        the target's era has it (`logging/setLevel` or per-request `_meta`; subscribe or
        listen)."""
        session = await self.session()
        with translated(method):
            if method == "logging/setLevel":
                await session.set_logging_level(params.get("level"))
            elif method == "resources/subscribe":
                await session.subscribe(params.get("uri"))
            elif method == "resources/unsubscribe":
                await session.unsubscribe(params.get("uri"))

    async def close(self) -> None:
        await self.client.close_all_sessions()
