"""The target side of a proxy: one `MCPClient` session to the proxied server.

The session opens on the first request and opens again after the target died (a stdio
child that exited is started anew), so one crash costs the calls that were in flight,
which fail with an error naming the target, not the proxy. The client's errors become
the JSON-RPC errors the front answers with, here and only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from ..client.client import MCPClient
from ..client.config import pick_entry
from ..client.errors import ClientError, ConfigError, ServerError
from ..protocol.errors import INTERNAL_ERROR, MCPError
from ..protocol.versions import META_SERVER_INFO

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


def own_result(result: dict[str, Any]) -> dict[str, Any]:
    """A target's result as the front's own: the target's `serverInfo` (2026-07-28 `_meta`)
    is dropped, so the front names itself."""
    meta = result.get("_meta")
    if isinstance(meta, dict) and META_SERVER_INFO in meta:
        kept = {k: v for k, v in meta.items() if k != META_SERVER_INFO}
        result = {k: v for k, v in result.items() if k != "_meta"}
        if kept:
            result["_meta"] = kept
    return result


class ProxyTarget:
    """`request()` forwards one request to the target and returns its raw result."""

    def __init__(self, entry: Any, *, timeout: float | None, callbacks: dict[str, Any]) -> None:
        self.client = MCPClient({"mcpServers": {TARGET: entry}}, mode="auto", timeout=timeout, **callbacks)
        self._lock = asyncio.Lock()
        self._schemas: dict[str, dict[str, Any]] | None = None
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
            self._schemas = None  # a new process may have other tools
            try:
                # In an empty context: the session's readers (a stdio pipe, a GET stream)
                # must not carry the front call that happened to open it (proxy_routing.py).
                opening = asyncio.get_running_loop().create_task(
                    self.client.create_session(TARGET), context=contextvars.Context()
                )
                return await opening
            except ClientError as exc:
                raise MCPError(INTERNAL_ERROR, f"Proxy target unavailable: {exc.detail}") from None

    async def request(self, method: str, params: dict[str, Any], **options: Any) -> dict[str, Any]:
        session = await self.session()
        with translated(method):
            result = await session.request_with_input(method, params, **options)
        return own_result(result)

    async def list_all(self, method: str, key: str) -> list[Any]:
        """Every page of one of the target's lists; its tools' input schemas are kept
        (`tool_schema`) until the target says its tools changed."""
        items: list[Any] = []
        cursor = None
        while True:
            page = await self.request(method, {"cursor": cursor} if cursor is not None else {})
            items.extend(page.get(key) or [])
            cursor = page.get("nextCursor")
            if not cursor:
                break
        if method == "tools/list":
            self._schemas = {
                t["name"]: t["inputSchema"]
                for t in items
                if isinstance(t, dict)
                and isinstance(t.get("name"), str)
                and isinstance(t.get("inputSchema"), dict)
            }
        return items

    async def tool_schema(self, name: Any) -> dict[str, Any] | None:
        """The input schema of the target's tool `name` (listing the tools when not known)."""
        if self._schemas is None:
            await self.list_all("tools/list", "tools")
        return (self._schemas or {}).get(name) if isinstance(name, str) else None

    def forget_tools(self) -> None:
        self._schemas = None

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
