"""Which protocol era and version to speak with a server, settled once per connection.

`mode="auto"` probes `server/discover` (2026-07-28) and falls back to the `initialize`
handshake on any answer only a legacy server gives (HTTP 400/404/405, a timeout, a
JSON-RPC error that is not one of the modern era's own); `"legacy"` or a legacy
version go straight to the handshake; `"modern"` or a modern version insist on
discover. A transport that cannot carry the modern era (`modern_capable` False) gets
the handshake whatever the mode. When a Streamable HTTP POST is answered as an
SSE-only server answers it (404/405), the handshake moves to the legacy SSE transport.
In `"auto"` the probe and the handshake share one deadline (`ConnectBudget`): a server
that never answers fails after the session's timeout, not twice it, and the error
says what was tried.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..protocol.errors import (
    HEADER_MISMATCH,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from ..protocol.versions import LATEST_LEGACY, LATEST_MODERN, LEGACY_VERSIONS, MODERN_VERSIONS
from .connect_budget import ConnectBudget
from .errors import ClientError, ConfigError, ConnectError, HTTPStatusError, RequestTimedOut, ServerError
from .requester import Requester
from .transports.base import ClientTransport

log = logging.getLogger("mcp_use.client")
PROBE_TIMEOUT = 10.0
MODERN_ERRORS = frozenset({HEADER_MISMATCH, MISSING_REQUIRED_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION})


@dataclass
class Agreement:
    """What the negotiation settled: the version, and the server's discover/initialize result."""

    version: str
    modern: bool
    result: dict[str, Any]
    supported_versions: list[str] = field(default_factory=list)


class _FallBack(Exception):
    """The discover probe got an answer only a legacy server gives."""


class Negotiation:
    def __init__(
        self,
        requester: Requester,
        *,
        mode: str,
        client_info: Mapping[str, Any],
        sse_fallback: Callable[[], ClientTransport] | None = None,
    ) -> None:
        self.requester = requester
        self.name = requester.name
        self.mode = mode or "auto"
        self.client_info = client_info
        self.sse_fallback = sse_fallback

    async def run(self) -> Agreement:
        mode = self.mode
        if not self.requester.transport.modern_capable:
            return await self._handshake(mode if mode in LEGACY_VERSIONS else LATEST_LEGACY)
        if mode == "legacy" or mode in LEGACY_VERSIONS:
            return await self._handshake(LATEST_LEGACY if mode == "legacy" else mode)
        if mode == "auto":
            return await self._auto()
        if mode == "modern" or mode in MODERN_VERSIONS:
            return await self._discover(LATEST_MODERN if mode == "modern" else mode, fallback=False)
        raise ConfigError(
            f"mcpServers.{self.name}.mode: {mode!r} is not 'auto', 'legacy' or a known protocol "
            f"version ({', '.join((*MODERN_VERSIONS, *LEGACY_VERSIONS))})"
        )

    async def _auto(self) -> Agreement:
        """The probe, then the handshake, under one deadline; a timeout says what was tried."""
        budget = ConnectBudget(self.name, self.requester.timeout)
        try:
            return await self._discover(
                LATEST_MODERN, fallback=True, timeout=budget.probe_share(PROBE_TIMEOUT)
            )
        except _FallBack as why:
            log.debug("[%s] no 2026-07-28 (%s); using the initialize handshake", self.name, why)
            budget.note(f"server/discover ({LATEST_MODERN}) {why}")
        self.requester.use_legacy()
        try:
            return await self._handshake(LATEST_LEGACY, timeout=budget.remaining())
        except RequestTimedOut as exc:
            budget.note(f"initialize ({LATEST_LEGACY}) got no answer in {round(exc.timeout, 2):g}s")
            raise budget.timed_out() from None

    async def _discover(self, version: str, *, fallback: bool, timeout: float | None = None) -> Agreement:
        """`server/discover`; with `fallback`, `timeout` is the probe's share of the deadline."""
        if not fallback:
            timeout = self.requester.timeout
        for attempt in range(3):
            self.requester.use_modern(version, self.client_info)
            try:
                result = await self.requester.request("server/discover", None, timeout=timeout)
            except RequestTimedOut as exc:
                if fallback:
                    raise _FallBack(f"got no answer in {round(exc.timeout, 2):g}s") from exc
                raise
            except HTTPStatusError as exc:
                if fallback and exc.status in (400, 404, 405):
                    raise _FallBack(f"answered HTTP {exc.status}") from exc
                raise
            except ServerError as exc:
                retry = self._other_version(exc, attempt, fallback)
                if retry is None:
                    raise
                version = retry
                continue
            return self._accept(version, result, fallback)
        raise ConnectError(self.name, "server/discover kept refusing every version we offered")

    def _other_version(self, exc: ServerError, attempt: int, fallback: bool) -> str | None:
        """After an error to discover: a version to try next, `_FallBack`, or None to raise it."""
        if exc.code == UNSUPPORTED_PROTOCOL_VERSION and attempt < 2:
            supported = exc.data.get("supported") if isinstance(exc.data, dict) else None
            ours = [v for v in MODERN_VERSIONS if isinstance(supported, list) and v in supported]
            if ours:
                return ours[0]
            if fallback:
                raise _FallBack("named no modern version we speak") from exc
        if fallback and exc.code not in MODERN_ERRORS:
            raise _FallBack(f"answered error {exc.code} ({exc.detail})") from exc
        return None

    def _accept(self, version: str, result: dict[str, Any], fallback: bool) -> Agreement:
        supported = result.get("supportedVersions")
        supported = [v for v in supported if isinstance(v, str)] if isinstance(supported, list) else []
        if version not in supported:
            ours = [v for v in MODERN_VERSIONS if v in supported]
            if ours:
                version = ours[0]
                self.requester.use_modern(version, self.client_info)
            elif fallback:
                raise _FallBack(f"listed only {supported}")
            else:
                raise ConnectError(self.name, f"the server does not support {version} (it lists {supported})")
        return Agreement(version, True, result, supported)

    async def _handshake(self, version: str, timeout: float | Any | None = ...) -> Agreement:
        requester = self.requester
        requester.use_legacy()
        params = {
            "protocolVersion": version,
            "capabilities": requester.inbound.capabilities,
            "clientInfo": dict(self.client_info),
        }
        try:
            result = await requester.request("initialize", params, timeout=timeout)
        except HTTPStatusError as exc:
            if exc.status in (404, 405) and self.sse_fallback is not None:
                return await self._switch_to_sse(exc)
            raise
        negotiated = result.get("protocolVersion")
        if negotiated not in LEGACY_VERSIONS:
            raise ConnectError(
                self.name,
                f"the server chose protocol version {negotiated!r}, which this client does not speak",
            )
        requester.use_legacy(negotiated)
        await requester.notify("notifications/initialized")
        requester.transport.on_initialized()
        return Agreement(negotiated, False, result)

    async def _switch_to_sse(self, why: HTTPStatusError) -> Agreement:
        """The server answered POST as an SSE-only server does: use the legacy SSE transport."""
        log.info("[%s] HTTP %s to POST: trying the legacy SSE transport", self.name, why.status)
        assert self.sse_fallback is not None
        old, new = self.requester.transport, self.sse_fallback()
        self.sse_fallback = None
        with contextlib.suppress(Exception):
            await old.close()
        self.requester.attach(new)
        try:
            await new.start()
        except ClientError as exc:
            raise ConnectError(
                self.name, f"POST answered HTTP {why.status} and the SSE fallback failed too: {exc.detail}"
            ) from None
        return await self._handshake(self.mode if self.mode in LEGACY_VERSIONS else LATEST_LEGACY)


__all__ = ["Agreement", "Negotiation"]
