"""DNS rebinding protection: which Host and Origin headers the MCP endpoints accept.

`HostGuard.check` returns a `Refusal` (status and reason) that every endpoint frames the
same way: 421 Misdirected Request for a Host that is not this server's, 403 Forbidden
for an Origin that may not call it (the spec's "MUST respond with HTTP 403"), each with
a JSON-RPC error body saying why. Streamable HTTP and legacy SSE answer alike.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from ...protocol import jsonrpc
from ...protocol.errors import INVALID_REQUEST, brief

LOCAL_HOSTNAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
KEPT_VERDICTS = 256


@functools.lru_cache(maxsize=256)
def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(authority: str) -> str:
    """`example.com:8000` -> `example.com`, `[::1]:80` -> `[::1]`."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        end = authority.find("]")
        return authority[: end + 1] if end != -1 else authority
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request may not pass, and the HTTP status that says so."""

    status: int
    message: str

    def body(self) -> dict[str, Any]:
        return jsonrpc.error(None, INVALID_REQUEST, self.message)


class HostGuard:
    """Decides per request; `enabled=None` turns on when the server listens on loopback."""

    def __init__(
        self,
        enabled: bool | None,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
    ) -> None:
        self.enabled = enabled
        self.extra_hosts = {h.lower() for h in allowed_hosts or ()}
        self.extra_origins = {o.lower().rstrip("/") for o in allowed_origins or ()}
        # Verdicts already reached, so a request pays for parsing only once: Host values
        # that passed (bounded: a client chooses them) and the server's own addresses.
        self._passed_hosts: set[str] = set()
        self._loopback_servers: dict[str, bool] = {}

    def bind(self, host: str) -> None:
        """The address the server listens on decides an unset `enabled` (on for loopback)."""
        if self.enabled is None:
            self.enabled = is_loopback(host)

    def active(self, scope: dict) -> bool:
        if self.enabled is not None:
            return self.enabled
        server = scope.get("server")
        if not server:
            return False
        address = str(server[0])
        known = self._loopback_servers.get(address)
        if known is None:
            known = is_loopback(address)
            if len(self._loopback_servers) < KEPT_VERDICTS:
                self._loopback_servers[address] = known
        return known

    def host_ok(self, host: str | None) -> bool:
        if host is None:
            return False
        if host in self._passed_hosts:
            return True
        if not self._host_ok(host.lower()):
            return False
        if len(self._passed_hosts) < KEPT_VERDICTS:
            self._passed_hosts.add(host)
        return True

    def _host_ok(self, host: str) -> bool:
        if host in self.extra_hosts:
            return True
        name = _hostname(host)
        if name in LOCAL_HOSTNAMES or name.strip("[]") in LOCAL_HOSTNAMES:
            return True
        return name in self.extra_hosts or any(h.endswith(":*") and h[:-2] == name for h in self.extra_hosts)

    def origin_ok(self, origin: str, scheme: str | None = None) -> bool:
        """An allowed origin, or a loopback one with this server's scheme (a page served
        over https is not this http server, whatever its host)."""
        origin = origin.lower().rstrip("/")
        if origin in self.extra_origins or "*" in self.extra_origins:
            return True
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if scheme is not None and parts.scheme != scheme:
            return False
        host = parts.hostname
        return host in LOCAL_HOSTNAMES or f"[{host}]" in LOCAL_HOSTNAMES

    def check(self, scope: dict, host: str | None, origin: str | None) -> Refusal | None:
        """None when the request may pass, else the refusal to answer with."""
        enabled = self.enabled
        if enabled is False or (enabled is None and not self.active(scope)):
            return None
        if host not in self._passed_hosts and not self.host_ok(host):
            return Refusal(
                421, f"Invalid Host header: {brief(host)} is not an allowed host (DNS rebinding protection)"
            )
        if origin is not None and not self.origin_ok(origin, scope.get("scheme")):
            return Refusal(
                403,
                f"Invalid Origin header: {brief(origin)} is not an allowed origin (DNS rebinding protection)",
            )
        return None
