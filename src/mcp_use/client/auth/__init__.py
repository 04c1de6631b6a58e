"""Client-side OAuth 2.1 for MCP servers: discovery, registration, grants, token storage.

`OAuthProvider` is the `HTTPAuth` hook the client's HTTP transports call; `MCPClient`
builds one per server entry whose `"auth"` is an object. `MemoryTokenStorage` and
`FileTokenStorage` keep tokens and client registrations between runs. The names are
loaded on first use, so reading a config (which needs only `settings`) does not import
aiohttp or the flow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .callback import BrowserAuthorizer as BrowserAuthorizer
    from .errors import OAuthError as OAuthError
    from .provider import OAuthProvider as OAuthProvider
    from .settings import OAuthSettings as OAuthSettings
    from .settings import parse_settings as parse_settings
    from .storage import FileTokenStorage as FileTokenStorage
    from .storage import MemoryTokenStorage as MemoryTokenStorage
    from .storage import TokenStorage as TokenStorage

_WHERE = {
    "BrowserAuthorizer": "callback",
    "FileTokenStorage": "storage",
    "MemoryTokenStorage": "storage",
    "OAuthError": "errors",
    "OAuthProvider": "provider",
    "OAuthSettings": "settings",
    "TokenStorage": "storage",
    "parse_settings": "settings",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_WHERE)
