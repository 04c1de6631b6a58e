"""Token verification for a protected MCP server (an OAuth 2.1 resource server).

`AccessToken` and the `TokenVerifier` protocol cost nothing to import; the shipped
verifiers load lazily, so `import mcp_use` never pulls in pyjwt or aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .token import AccessToken, InvalidToken, TokenVerifier, VerifierUnavailable

if TYPE_CHECKING:
    from .introspection import IntrospectionVerifier
    from .jwt import JWTVerifier

_LAZY = {"JWTVerifier": ".jwt", "IntrospectionVerifier": ".introspection"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcp_use.auth' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)


__all__ = [
    "AccessToken",
    "IntrospectionVerifier",
    "InvalidToken",
    "JWTVerifier",
    "TokenVerifier",
    "VerifierUnavailable",
]
