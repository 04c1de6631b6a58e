"""A busy port said plainly, before anything claims to be serving on it."""

from __future__ import annotations

import errno
import socket


def ensure_port_free(host: str, port: int) -> None:
    """Raise SystemExit with a hint when `host:port` cannot be bound (in use, no permission).

    uvicorn would otherwise fail later with a bare `[Errno 98] Address already in use`,
    after our "serving MCP at ..." line has already been printed.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SystemExit(
                    f"mcp_use: port {port} on {host} is already in use (another server, or an earlier "
                    f"run still going?). Stop it, or pick another port: --port {port + 1} / "
                    f"server.run(port={port + 1})."
                ) from None
            if exc.errno == errno.EACCES:
                raise SystemExit(
                    f"mcp_use: no permission to listen on port {port} (ports below 1024 need root): "
                    "pick a port above 1024."
                ) from None
            raise SystemExit(f"mcp_use: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
