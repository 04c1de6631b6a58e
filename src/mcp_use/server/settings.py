"""The server's settings, grouped by what they are about instead of ~30 loose attributes.

`MCPServer(...)` packs its keyword arguments into one `ServerSettings` once; the engine,
the session table and the transports read the group they need (`settings.limits`,
`settings.paths`, ...). Frozen: nothing here changes once the server is built.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

DEFAULT_MAX_BODY = 4 * 1024 * 1024


def debug_level_from_env(debug: bool) -> int:
    """The debug level: `DEBUG` in the environment when it is set (a number, or
    true/yes/on), else 1 for `debug=True`.

    A set DEBUG wins over the constructor: `DEBUG=0 python server.py` turns the debug
    routes off in production even when the code says `debug=True`.
    """
    raw = os.environ.get("DEBUG", "").strip()
    if not raw:
        return 1 if debug else 0
    try:
        return max(int(raw), 0)
    except ValueError:
        return 1 if raw.lower() in ("true", "yes", "on") else 0


@dataclasses.dataclass(frozen=True, slots=True)
class Identity:
    """Who the server says it is: `serverInfo`, instructions, extra capabilities."""

    name: str
    version: str
    instructions: str | None
    info: dict[str, Any]
    extra_capabilities: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one client can make the server hold or send."""

    max_body_size: int = DEFAULT_MAX_BODY
    max_sessions: int = 10_000
    session_idle_timeout: float = 1800.0
    page_size: int | None = None
    mask_errors: bool | None = None  # None: masked unless DEBUG>=1
    sse_retry_ms: int = 1000
    input_timeout: float | None = 300.0  # a server-to-client request's wait
    tool_timeout: float | None = None  # default for tools without their own `timeout=`
    max_header_bytes: int = 32 * 1024
    body_timeout: float = 30.0  # seconds to receive a request body (408 after)


@dataclasses.dataclass(frozen=True, slots=True)
class Caching:
    """The 2026-07-28 cache hints put on cacheable results."""

    ttl_ms: int = 0
    scope: str = "public"


@dataclasses.dataclass(frozen=True, slots=True)
class Paths:
    """Where each HTTP route lives."""

    mcp: str = "/mcp"
    sse: str = "/sse"
    messages: str = "/messages/"
    docs: str = "/docs"
    inspector: str = "/inspector"
    openmcp: str = "/openmcp.json"


@dataclasses.dataclass(frozen=True, slots=True)
class TaskSettings:
    """`MCPServer(tasks=TaskSettings(...))`: retention, polling and the bounds on tasks."""

    ttl_ms: int = 3_600_000  # how long a record stays readable, from creation
    max_ttl_ms: int = 86_400_000  # the most a 2025-11-25 client may ask for
    poll_interval_ms: int = 1000
    max_live: int = 1000  # tasks running at once in one process
    max_result_bytes: int = 1 << 20  # a larger result fails the task instead of being stored
    input_timeout: float = 300.0  # how long a task waits for the client's answer
    list_page_size: int = 100  # tasks per `tasks/list` page (2025-11-25); more: `nextCursor`


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSettings:
    identity: Identity
    limits: Limits
    caching: Caching
    paths: Paths
    debug_level: int = 0
    pretty_print_jsonrpc: bool = False
    tasks: TaskSettings | None = None  # None: the defaults

    @property
    def debug(self) -> bool:
        return self.debug_level >= 1


def server_info(
    name: str,
    version: str,
    *,
    title: str | None,
    description: str | None,
    website_url: str | None,
    icons: list[Any] | None,
) -> dict[str, Any]:
    """The `serverInfo` object (an `Implementation`), with only the fields given."""
    info: dict[str, Any] = {"name": name, "version": version}
    if title:
        info["title"] = title
    if description:
        info["description"] = description
    if website_url:
        info["websiteUrl"] = website_url
    if icons:
        info["icons"] = [getattr(i, "to_wire", lambda i=i: i)() for i in icons]
    return info
