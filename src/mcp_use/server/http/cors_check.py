"""A warning when CORS middleware hides `Mcp-Session-Id` from browser clients.

A browser lets a page read only the response headers CORS exposes. A legacy-era
client in a page (the inspector on another origin, a web app) must read
`Mcp-Session-Id` from the `initialize` answer and send it back; without
`expose_headers=["Mcp-Session-Id"]` it never sees it, and every later request fails
with "Session not found" (or 400) for no visible reason.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("mcp_use.server")
NEEDED = ("mcp-session-id",)


def check_cors_middleware(cls: Any, kwargs: dict[str, Any]) -> None:
    """Called by the app's `add_middleware`; warns once per call when a header is hidden."""
    try:
        from starlette.middleware.cors import CORSMiddleware
    except ImportError:  # pragma: no cover - starlette always has it
        return
    if not (isinstance(cls, type) and issubclass(cls, CORSMiddleware)):
        return
    exposed = {str(h).lower() for h in kwargs.get("expose_headers") or ()}
    if "*" in exposed:
        return
    missing = [h for h in NEEDED if h not in exposed]
    if missing:
        log.warning(
            "CORSMiddleware added without expose_headers=['Mcp-Session-Id']: browser clients "
            "on other origins cannot read the session id, so legacy-era (2025-11-25) sessions "
            "fail after initialize. Add expose_headers=['Mcp-Session-Id'] (and allow_headers "
            "should include Mcp-Session-Id, Mcp-Protocol-Version, Authorization)."
        )
