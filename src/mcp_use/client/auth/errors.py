"""OAuth failures: one exception type, raised with a message that says what to fix.

`OAuthError` is a `ClientError`, so `except MCPError` still catches it; `error` holds the
authorization server's RFC 6749 error code when there was one (`invalid_grant`, ...).
"""

from __future__ import annotations

from types import ModuleType

from ..errors import ClientError


class OAuthError(ClientError):
    """Authorization failed: discovery, registration, the user's consent or a token request."""

    def __init__(self, message: str, *, error: str | None = None, server: str | None = None) -> None:
        super().__init__(server, message, http_status=401)
        self.error = error


def require_jwt(why: str) -> ModuleType:
    """pyjwt (the `[auth]` extra), imported when a flow first signs something."""
    try:
        import jwt
        from jwt.algorithms import has_crypto
    except ImportError:
        raise OAuthError(f"{why} needs pyjwt[crypto]: pip install 'mcp-use[auth]'") from None
    if not has_crypto:
        raise OAuthError(f"{why} needs pyjwt's crypto support: pip install 'mcp-use[auth]'")
    return jwt


__all__ = ["OAuthError", "require_jwt"]
