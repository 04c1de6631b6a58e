"""`mcp-use inspect`: the inspector page on 127.0.0.1, pointed at any MCP server.

    mcp-use inspect http://host:port/mcp          # an HTTP server (through the proxy route)
    mcp-use inspect config.json [SERVER]          # a config entry: stdio command or URL
    mcp-use inspect -- COMMAND ARGS...            # a bare stdio command

A stdio target runs behind a bridge the page talks Streamable HTTP to; an HTTP target
is reached through the page's proxy route with the entry's headers (its token) added
on the way. Only 127.0.0.1 is served: the bridge runs a command for its caller.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any


class InspectTargetError(Exception):
    """The target cannot be resolved (no such file, server, or a bad config)."""


@dataclass
class Target:
    title: str
    url: str | None = None
    transport: str = "http"
    headers: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    env: dict[str, str] | None = None
    cwd: str | None = None


def resolve(target: str | None, server: str | None, command: list[str]) -> Target:
    """What to inspect, from the command line as typed."""
    if command:
        if target is not None:
            raise InspectTargetError("give a config/URL or `-- COMMAND ARGS`, not both")
        return Target(title=" ".join(command), command=command)
    if target is None:
        raise InspectTargetError(
            "usage: mcp-use inspect <config-or-url> [server] | mcp-use inspect -- COMMAND ARGS"
        )
    if target.startswith(("http://", "https://")):
        if server is not None:
            raise InspectTargetError(f"{target} is a URL: it names no servers to pick {server!r} from")
        return Target(title=target, url=target)
    from .client.config import HttpServerConfig, StdioServerConfig, load_file, parse
    from .client.errors import ConfigError

    try:
        servers = parse(load_file(target))
    except ConfigError as exc:
        raise InspectTargetError(str(exc)) from None
    if server is None:
        if len(servers) != 1:
            names = ", ".join(servers) or "none"
            raise InspectTargetError(f"{target} configures several servers ({names}): name one after it")
        server = next(iter(servers))
    entry = servers.get(server)
    if entry is None:
        names = ", ".join(servers) or "none"
        raise InspectTargetError(f"server {server!r} is not configured in {target} (configured: {names})")
    if isinstance(entry, StdioServerConfig):
        return Target(title=server, command=[entry.command, *entry.args], env=entry.full_env(), cwd=entry.cwd)
    assert isinstance(entry, HttpServerConfig)
    headers = dict(entry.headers)
    if entry.auth and not any(k.lower() == "authorization" for k in headers):
        token = entry.auth
        headers["Authorization"] = token if token.lower().startswith("bearer ") else f"Bearer {token}"
    return Target(
        title=server,
        url=entry.url,
        transport="sse" if entry.transport == "sse" else "http",
        headers=headers,
    )


def build_app(target: Target) -> Any:
    from .server.http.inspector_app import inspector_app
    from .server.http.stdio_bridge import StdioBridge

    if target.command is not None:
        bridge = StdioBridge(target.command[0], target.command[1:], env=target.env, cwd=target.cwd)
        return inspector_app(bridge=bridge, title=target.title)
    return inspector_app(
        url=target.url, transport=target.transport, headers=target.headers, title=target.title
    )


def serve(target: Target, port: int, log_level: str | None = None) -> None:
    import uvicorn

    from .server.runner import configure_logging

    app = build_app(target)
    configure_logging(log_level, 0)
    where = target.url or f"stdio: {' '.join(target.command or [])}"
    print(
        f"\n  mcp-use inspect: {where}\n  Inspector  http://127.0.0.1:{port}/\n",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level=(log_level or "warning").lower(), access_log=False
    )
