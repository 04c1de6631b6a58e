"""The open-server warning: said once when a server without `auth=` is reachable beyond loopback.

`server.run(host=...)` knows the address it binds and warns before serving. An app
served another way (`uvicorn server:app --host 0.0.0.0`, gunicorn `--bind 0.0.0.0:8000`,
uvicorn's `--fd`, socket activation) is only handed requests, and neither the ASGI
lifespan nor a request's scope names the address the server listens on (`scope["server"]`
is the local end of one connection: `127.0.0.1` for a local client of a server that
listens on every interface). What does know is the process itself: the listening
sockets uvicorn or gunicorn's master bound are file descriptors of this process. So on
the first request (the sockets are bound by then, also in uvicorn's single-process mode,
where the lifespan runs before binding) the process's listening TCP sockets are read
once; one bound to a non-loopback or wildcard address is the warning's host.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import stat
from typing import Any

log = logging.getLogger("mcp_use.server")

FD_DIRS = ("/proc/self/fd", "/dev/fd")  # Linux; macOS and the BSDs


def listening_addresses() -> list[tuple[str, int]]:
    """(host, port) of each listening TCP socket of this process, in fd order (empty
    where the process's descriptors cannot be listed)."""
    found: list[tuple[str, int]] = []
    for fd in _descriptors():
        with contextlib.suppress(OSError):
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            # A duplicate, closed here: the server's own socket stays untouched.
            with socket.socket(fileno=os.dup(fd)) as sock:
                if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    continue
                host, port = sock.getsockname()[:2]
                found.append((host, port))
    return found


def exposed_host(hosts: list[str]) -> str | None:
    """The first of `hosts` a client on another machine could reach (wildcards included)."""
    for host in hosts:
        try:
            if not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
                return host
        except ValueError:
            return host  # not an address literal: assume reachable
    return None


def _descriptors() -> list[int]:
    for folder in FD_DIRS:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        return [int(name) for name in names if name.isdigit()]
    return []


class OpenServerWarning:
    """Says, once per server, that it is reachable without `auth=` (or, protected, that it
    does not know its own URL); `settle()` when the process that started this one said it."""

    __slots__ = ("_core", "said")

    def __init__(self, core: Any) -> None:
        self._core = core
        self.said = False

    def settle(self) -> None:
        self.said = True

    def say(self, host: str) -> None:
        """Warn about serving on `host` (a non-loopback address), unless already done."""
        if self.said:
            return
        self.said = True
        name = self._core.settings.identity.name
        guard = self._core.authenticator
        if guard is None:
            log.warning(
                "%s serves HTTP on %s without auth=: anyone who can reach it can call every tool. "
                "Pass MCPServer(auth=JWTVerifier(...)) or bind 127.0.0.1.",
                name,
                host,
            )
        elif guard.audiences is None:
            log.warning(
                "%s: neither resource_url= nor the verifier's audience is set, so a token's audience "
                "is checked against the URL each request names (its Host header). Set resource_url "
                "to this server's public URL.",
                name,
            )

    def when_served(self) -> None:
        """On the first request: warn when a listening socket of this process is exposed."""
        if self.said:
            return
        host = exposed_host([host for host, _ in listening_addresses()])
        if host is None:
            self.said = True  # loopback (or a unix socket) only: nothing to say, nothing to redo
            return
        self.say(host)


__all__ = ["OpenServerWarning", "exposed_host", "listening_addresses"]
