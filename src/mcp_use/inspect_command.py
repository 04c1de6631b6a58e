"""`mcp-use inspect`: the inspector page on 127.0.0.1, pointed at any MCP server.

    mcp-use inspect http://host:port/mcp          # an HTTP server (through the proxy route)
    mcp-use inspect config.json [SERVER]          # a config entry: stdio command or URL
    mcp-use inspect -- COMMAND ARGS...            # a bare stdio command

A stdio target runs behind a bridge the page talks Streamable HTTP to; an HTTP target
is reached through the page's proxy route with the entry's headers (its token) added
on the way. An entry whose `"auth"` is an OAuth object gets the client's own OAuth, as
`mcp-use login` runs it (`MCPClient.oauth_provider`: the same token storage, the same
browser-or-paste `authorize` step): the first 401 starts the flow, later ones refresh,
and the proxy adds the token, so the page never holds it. Only 127.0.0.1 is served:
the bridge runs a command for its caller.
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
    # an entry whose "auth" is an object: its name and the config it came from
    oauth_entry: str | None = None
    config: dict[str, Any] | None = None


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
    from .client.config import HttpServerConfig, StdioServerConfig, load_file, parse, pick_entry
    from .client.errors import ConfigError

    try:
        raw = load_file(target)
        servers = parse(raw)
        server, entry = pick_entry(servers, server, where=f" in {target}", how="name one after it")
    except ConfigError as exc:
        raise InspectTargetError(str(exc)) from None
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
        oauth_entry=server if entry.oauth is not None else None,
        config={"mcpServers": {server: raw["mcpServers"][server]}} if entry.oauth is not None else None,
    )


def build_app(target: Target) -> Any:
    from .server.http.inspector_app import inspector_app
    from .server.http.stdio_bridge import StdioBridge

    if target.command is not None:
        bridge = StdioBridge(target.command[0], target.command[1:], env=target.env, cwd=target.cwd)
        return inspector_app(bridge=bridge, title=target.title)
    auth, on_close = None, None
    if target.oauth_entry is not None:
        from .client.auth import BrowserAuthorizer
        from .client.client import MCPClient

        client = MCPClient(target.config, authorize=BrowserAuthorizer())
        auth, on_close = client.oauth_provider(target.oauth_entry), client.close_all_sessions
    from .server.lifecycle import Lifecycle

    return inspector_app(
        url=target.url,
        transport=target.transport,
        headers=target.headers,
        title=target.title,
        auth=auth,
        on_close=on_close,
        lifecycle=Lifecycle(),  # ends the proxied event streams at SIGTERM/SIGINT
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
    # The page's proxied event streams never end by themselves: without a bound, a stop
    # waits for them forever ("Waiting for connections to close"); same bound as `run`.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level=(log_level or "warning").lower(),
        access_log=False,
        timeout_graceful_shutdown=5,
    )
