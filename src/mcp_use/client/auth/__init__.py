"""Client-side OAuth 2.1 for MCP servers: discovery, registration, grants, token storage.

`OAuthProvider` is the `HTTPAuth` hook the client's HTTP transports call; `MCPClient`
builds one per server entry whose `"auth"` is an object. `MemoryTokenStorage` and
`FileTokenStorage` keep tokens and client registrations between runs.
"""

from .callback import BrowserAuthorizer
from .errors import OAuthError
from .provider import OAuthProvider
from .settings import OAuthSettings, parse_settings
from .storage import FileTokenStorage, MemoryTokenStorage, TokenStorage

__all__ = [
    "BrowserAuthorizer",
    "FileTokenStorage",
    "MemoryTokenStorage",
    "OAuthError",
    "OAuthProvider",
    "OAuthSettings",
    "TokenStorage",
    "parse_settings",
]
